#!/usr/bin/env bash
# Records far larger than Logpush's usual few KiB, through the published `logpushkit convert`: one field of 5, 20 and 64
# million characters (mixed ASCII and multi-byte text, quotes and commas), and a first record of 100,000 and 350,000
# keys (then the same keys reversed, so every key is looked up). Prints wall time and peak RSS of each (GNU time), and
# checks every cell of the output against the input.
#   benchmarks/large-records.sh            CLI=path/to/logpushkit to time another build
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${WORK_DIR:-/tmp/logpushkit-large-records}; mkdir -p "$work"
if [[ -z ${CLI:-} ]]; then
  dotnet publish "$root/samples/LogpushKit.Cli" -c Release -nologo -v q >/dev/null
  CLI=$root/artifacts/publish/LogpushKit.Cli/release/logpushkit
fi
[[ -x $CLI ]] || { echo "large-records.sh: no CLI at $CLI (dotnet publish samples/LogpushKit.Cli -c Release writes it; or set CLI=path/to/logpushkit)" >&2; exit 1; }
python3 - "$CLI" "$work" <<'PY'
import csv, gzip, json, os, subprocess, sys, time
cli, work = sys.argv[1], sys.argv[2]
csv.field_size_limit(2**31 - 1)

def convert(name, records, *flags):
    src, dst = os.path.join(work, name + ".ndjson.gz"), os.path.join(work, name + ".csv")
    with gzip.open(src, "wt", encoding="utf-8", compresslevel=1) as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")
    # GNU time reports the peak RSS: a child of this (large) Python process would inherit its high-water mark.
    stats = os.path.join(work, "time.txt")
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", stats, cli, "convert", src, "-o", dst, "-q", *flags], stderr=subprocess.PIPE)
    wall = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit(f"{name}: exit {p.returncode}: {p.stderr.decode(errors='replace')}")
    peak_kib = int(open(stats).read().split()[-1])
    with open(dst, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header = list(records[0].keys())
    expected = [header] + [["" if r.get(k) is None else str(r[k]) for k in header] for r in records]
    if rows != expected:
        sys.exit(f"{name}: the CSV differs from the input")
    line = max(len(json.dumps(r, ensure_ascii=False, separators=(",", ":")).encode()) for r in records)
    print(f"{name:28} longest line {line / 1e6:7.1f} MB  {wall:7.2f} s  peak {peak_kib / 1024:7.0f} MiB  cells checked")
    os.remove(src); os.remove(dst)

for millions in (5, 20, 64):
    n = millions * 10**6
    value = ('a,"b" é€ xyz' * (n // 12 + 1))[:n]
    convert(f"field-{millions}M-chars", [{"a": 1, "big": "x"}, {"a": 2, "big": value}, {"a": 3, "big": None}])
for keys in (100_000, 350_000):
    names = [f"k{i:06d}" for i in range(keys)]
    first = {k: i for i, k in enumerate(names)}
    convert(f"first-record-{keys}-keys", [first, dict(reversed(list(first.items())))])
PY
