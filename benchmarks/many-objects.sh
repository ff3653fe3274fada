#!/usr/bin/env bash
# Many small objects, as Logpush writes them: `logpushkit run` folder -> folder against the floor for that job, in one
# run. The floor (`LogpushKit.Benchmarks floor`) inflates every object into its .csv durably (temporary file, fsync,
# rename), one object per core, with no conversion: what `run` must do, minus the work. Runs alternate (a warm-up of
# each first), so this noisy machine's drift hits both alike; the ratio is the median of the per-round ratios.
# Every round is checked: both sides wrote one file per object, and the candidate's CSV holds every record once.
#
#   benchmarks/many-objects.sh                          OBJECTS=300 RECORDS=1000 RUNS=3
#   OBJECTS=10000 RUNS=1 benchmarks/many-objects.sh     memory at any object count
#   CANDIDATE='... {src} {dst}' benchmarks/many-objects.sh   another command (default: logpushkit run --quiet)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
OBJECTS=${OBJECTS:-300} RECORDS=${RECORDS:-1000} RUNS=${RUNS:-3}
work=${WORK_DIR:-/tmp/logpushkit-many-objects}; mkdir -p "$work"
dotnet publish "$root/samples/LogpushKit.Cli" -c Release -nologo -v q >/dev/null
dotnet build "$root/benchmarks/LogpushKit.Benchmarks" -c Release -nologo -v q >/dev/null
cli=$root/artifacts/publish/LogpushKit.Cli/release/logpushkit
[[ -x $cli ]] || { echo "many-objects.sh: dotnet publish left no CLI at $cli" >&2; exit 1; }
bench="dotnet $root/artifacts/bin/LogpushKit.Benchmarks/release/LogpushKit.Benchmarks.dll"
src=$work/src-$OBJECTS-$RECORDS
if [[ ! -f $src/.complete ]]; then
  rm -rf "$src"
  $bench generate --dataset gateway_http --records "$RECORDS" --objects "$OBJECTS" --seed 5 --output-dir "$src/gateway_http" >/dev/null
  touch "$src/.complete"
fi
# a state database of its own, removed with the target before every run (else the second run converts nothing)
candidate=${CANDIDATE:-"$cli run --source {src} --target {dst} --state $work/state-candidate/state.db --quiet"}
candidate=${candidate//\{src\}/$src}; candidate=${candidate//\{dst\}/$work/dst-candidate}
floor="$bench floor $src $work/dst-floor"
echo "workload: $OBJECTS objects x $RECORDS gateway_http records, $(du -sm "$src" | cut -f1) MB gzip'd, in $src"
python3 - "$RUNS" "$OBJECTS" "$RECORDS" "$work" "$candidate" "$floor" <<'PY'
import csv, glob, os, shutil, statistics, subprocess, sys, time
runs, objects, records, work, candidate, floor = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]

def run(cmd, dst):
    shutil.rmtree(dst, ignore_errors=True)
    shutil.rmtree(os.path.join(work, "state-candidate"), ignore_errors=True)
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, shell=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"'{cmd}' exited {code}: {p.stderr.read().decode(errors='replace')[-2000:]}")
    return wall, usage.ru_maxrss / 1024.0, usage.ru_utime + usage.ru_stime

def check(dst, data_rows_per_file):
    files = glob.glob(os.path.join(dst, "**", "*.csv"), recursive=True)
    if len(files) != objects:
        sys.exit(f"{dst}: {len(files)} .csv files, expected {objects}")
    total = 0
    for name in files:
        with open(name, newline="", encoding="utf-8") as f:
            total += data_rows_per_file(f)
    if total != objects * records:
        sys.exit(f"{dst}: {total} records, expected {objects * records}")

cand_dst, floor_dst = os.path.join(work, "dst-candidate"), os.path.join(work, "dst-floor")
run(candidate, cand_dst); run(floor, floor_dst)  # warm-up: page cache, JIT of the floor
check(cand_dst, lambda f: sum(1 for _ in csv.reader(f)) - 1)   # one header row per file
check(floor_dst, lambda f: sum(1 for _ in f))                   # ndjson lines, inflated as they are
walls, floors, rss, floor_rss, cpu, floor_cpu = [], [], [], [], [], []
for _ in range(runs):
    w, r, c = run(candidate, cand_dst); walls.append(w); rss.append(r); cpu.append(c)
    w, r, c = run(floor, floor_dst); floors.append(w); floor_rss.append(r); floor_cpu.append(c)
check(cand_dst, lambda f: sum(1 for _ in csv.reader(f)) - 1)
ratio = statistics.median([c / f for c, f in zip(walls, floors)])
print(f"candidate: median {statistics.median(walls):.3f} s, {statistics.median(cpu):.2f} CPU-s, peak {max(rss):.0f} MiB")
print(f"floor:     median {statistics.median(floors):.3f} s, {statistics.median(floor_cpu):.2f} CPU-s, peak {max(floor_rss):.0f} MiB")
print(f"ratio candidate/floor (median of {runs} rounds): {ratio:.2f}x; every round checked: {objects} files, {objects * records} records")
PY
