#!/usr/bin/env bash
# Two builds of `logpushkit convert` (or any two commands) against the bare inflate of the same file, in one run: the
# three run in turn, round after round (a warm-up of each first), so this shared machine's drift hits all alike. Prints
# each side's median wall, median CPU time, peak RSS and the median of its per-round ratios to the inflate of the same round; the
# before/after ratio of a change is then read off one run.
#
#   benchmarks/ab-compare.sh FILE 'BEFORE CMD {in}' 'AFTER CMD {in}'        RUNS=7 by default
#   e.g. benchmarks/ab-compare.sh obj.log.gz '/tmp/old/logpushkit convert {in} -o /dev/null -q' \
#        'artifacts/publish/LogpushKit.Cli/release/logpushkit convert {in} -o /dev/null -q'
#   (this script builds only the benchmarks: the commands are yours; that path exists after
#   `dotnet publish samples/LogpushKit.Cli -c Release`, artifacts/bin/LogpushKit.Cli/release/logpushkit after a build)
#
# A file of many gzip members (how Logpush or a concatenating tool may write one object), from any generated file:
#   gzip -dc one.ndjson.gz > plain.ndjson && split -n l/600 --filter='gzip -6' plain.ndjson > members-600.ndjson.gz
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
in=${1:?usage: ab-compare.sh FILE 'BEFORE {in}' 'AFTER {in}'}; before=${2:?}; after=${3:?}
RUNS=${RUNS:-7}
dotnet build "$root/benchmarks/LogpushKit.Benchmarks" -c Release -nologo -v q >/dev/null
inflate="dotnet $root/artifacts/bin/LogpushKit.Benchmarks/release/LogpushKit.Benchmarks.dll inflate '$in'"
python3 - "$RUNS" "$inflate" "${before//\{in\}/$in}" "${after//\{in\}/$in}" <<'PY'
import os, statistics, subprocess, sys, time
runs, commands = int(sys.argv[1]), dict(zip(("inflate", "before", "after"), sys.argv[2:5]))

def run(cmd):
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, shell=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"'{cmd}' failed: {p.stderr.read().decode(errors='replace')[-2000:]}")
    return wall, usage.ru_maxrss / 1024.0, usage.ru_utime + usage.ru_stime

for cmd in commands.values():
    run(cmd)  # warm-up: page cache, JIT of the inflate floor
walls = {k: [] for k in commands}; cpus = {k: [] for k in commands}; rss = {k: 0.0 for k in commands}
for _ in range(runs):
    for k, cmd in commands.items():
        w, r, c = run(cmd); walls[k].append(w); cpus[k].append(c); rss[k] = max(rss[k], r)
# CPU seconds (user + sys, all threads) are steadier than wall when other work shares the cores.
print(f"{'':8} {'median wall s':>14} {'median CPU s':>13} {'peak MiB':>9} {'x inflate (median of rounds)':>29}")
for k in commands:
    ratio = statistics.median(w / f for w, f in zip(walls[k], walls["inflate"]))
    print(f"{k:8} {statistics.median(walls[k]):14.3f} {statistics.median(cpus[k]):13.3f} {rss[k]:9.1f} {ratio:29.2f}")
ab = statistics.median(a / b for a, b in zip(walls["after"], walls["before"]))
spread = (max(walls["inflate"]) - min(walls["inflate"])) / statistics.median(walls["inflate"])
print(f"after/before (median of {runs} rounds): {ab:.2f}; inflate's spread across rounds: {spread:.0%} (noise)")
PY
