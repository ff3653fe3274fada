#!/usr/bin/env bash
# A no-op rerun: `logpushkit run` folder -> folder over OBJECTS objects that were all converted before, with the state
# store (the default). Every object is unchanged, so the run must list the folder, read the state and convert nothing;
# the goal is <= 1 s of wall clock per 10,000 objects for the whole process. Prints each run's wall clock and peak RSS
# (GNU time), the median, and the load average before and after (the machine is shared: read the numbers with it).
# Every run is checked: nothing converted, every object skipped as up to date, nothing failed.
#
#   benchmarks/noop-rerun.sh                    OBJECTS=10000 RUNS=5
#   CLI=/path/to/logpushkit benchmarks/noop-rerun.sh   another build (default: the published one, built first)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
OBJECTS=${OBJECTS:-10000} RECORDS=${RECORDS:-10} RUNS=${RUNS:-5}
work=${WORK_DIR:-/tmp/logpushkit-noop-rerun}; mkdir -p "$work"
if [[ -z ${CLI:-} ]]; then
  dotnet publish "$root/samples/LogpushKit.Cli" -c Release -nologo -v q >/dev/null
  CLI=$root/artifacts/publish/LogpushKit.Cli/release/logpushkit
fi
[[ -x $CLI ]] || { echo "noop-rerun.sh: no CLI at $CLI (dotnet publish samples/LogpushKit.Cli -c Release writes it; or set CLI=path/to/logpushkit)" >&2; exit 1; }
src=$work/src-$OBJECTS-$RECORDS
if [[ ! -f $src/.complete ]]; then
  dotnet build "$root/benchmarks/LogpushKit.Benchmarks" -c Release -nologo -v q >/dev/null
  rm -rf "$src"
  dotnet "$root/artifacts/bin/LogpushKit.Benchmarks/release/LogpushKit.Benchmarks.dll" generate --records "$RECORDS" --objects "$OBJECTS" --seed 7 --output-dir "$src/data" >/dev/null
  touch "$src/.complete"
fi
# a state and a target of this build's own: the first run converts everything, the timed ones convert nothing
export XDG_STATE_HOME=$work/state
rm -rf "$work/state" "$work/dst"
"$CLI" run --source "$src/data" --target "$work/dst" --no-jobs --quiet
echo "workload: $OBJECTS unchanged objects in $src/data; $CLI"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
walls=()
for ((i = 1; i <= RUNS; i++)); do
  out=$(/usr/bin/time -f "%e %M" "$CLI" run --source "$src/data" --target "$work/dst" --no-jobs 2>&1)
  summary=$(grep '^logpushkit: run:' <<<"$out" | tr -d ,)
  if [[ $summary != *": 0 converted $OBJECTS skipped ($OBJECTS up to date"* || $summary != *" 0 failed"* ]]; then
    echo "run $i did not find every object up to date: $summary" >&2
    exit 1
  fi
  read -r wall rss < <(tail -n 1 <<<"$out")
  walls+=("$wall")
  printf 'run %d: %s s wall, peak %d MiB\n' "$i" "$wall" $((rss / 1024))
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%s\n' "${walls[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "median %.2f s over %d runs\n", (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2), NR }'
