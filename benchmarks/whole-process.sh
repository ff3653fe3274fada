#!/usr/bin/env bash
# Whole-process timing of the published `logpushkit convert` against a bare .NET GZipStream inflate of the same file,
# in one run (ndjson and csv passthrough), with peak RSS. Needs the .NET SDK and GNU time (/usr/bin/time).
#   benchmarks/whole-process.sh            RECORDS=210000 (about 450 MB of gateway_http ndjson) RUNS=3
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
RECORDS=${RECORDS:-210000} RUNS=${RUNS:-3}
work=${WORK_DIR:-/tmp/logpushkit-whole-process}; mkdir -p "$work"
dotnet publish "$root/samples/LogpushKit.Cli" -c Release -nologo -v q >/dev/null
dotnet build "$root/benchmarks/LogpushKit.Benchmarks" -c Release -nologo -v q >/dev/null
cli=$root/artifacts/publish/LogpushKit.Cli/release/logpushkit
[[ -x $cli ]] || { echo "whole-process.sh: dotnet publish left no CLI at $cli" >&2; exit 1; }
bench=(dotnet "$root/artifacts/bin/LogpushKit.Benchmarks/release/LogpushKit.Benchmarks.dll")
for format in ndjson csv; do
  in=$work/gateway_http.$RECORDS.$format.log.gz
  [[ -f $in ]] || "${bench[@]}" generate --dataset gateway_http --records "$RECORDS" --format "$format" --seed 1 -o "$in" >/dev/null
done
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
measure() { # label, command...
  local label=$1; shift; local walls=() rss=0
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f '%e %M' -o "$work/time.txt" "$@" >/dev/null 2>&1
    local out; out=$(tail -1 "$work/time.txt")
    walls+=("${out% *}"); (( ${out#* } > rss )) && rss=${out#* }
  done
  printf '%-34s %8s s  %7.1f MiB\n' "$label" "$(printf '%s\n' "${walls[@]}" | median)" "$(echo "$rss/1024" | bc -l)"
}
for format in ndjson csv; do
  in=$work/gateway_http.$RECORDS.$format.log.gz
  echo "== $format: $(gzip -dc "$in" | wc -c) bytes uncompressed"
  measure "inflate only (.NET GZipStream)" "${bench[@]}" inflate "$in"
  measure "logpushkit convert" "$cli" convert "$in" -o /dev/null -q
done
