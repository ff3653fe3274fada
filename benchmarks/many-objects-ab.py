#!/usr/bin/env python3
"""Two builds of `logpushkit run` folder -> folder over one many-objects workload, against the floor, in one run.

Each round runs before, after and the floor (`LogpushKit.Benchmarks floor`) in turn, after a warm-up of each, each with a
fresh target and state database, so this noisy machine's drift hits all alike. Prints each build's median wall, CPU
seconds (user + sys), peak RSS, file count and its median per-round ratio to the floor, and the after/before ratios of
every round. Build the benchmarks first (`dotnet build benchmarks/LogpushKit.Benchmarks -c Release`); make the
workload with benchmarks/many-objects.sh (it leaves it in /tmp/logpushkit-many-objects/src-OBJECTS-RECORDS).

    benchmarks/many-objects-ab.py SOURCE RUNS BEFORE_LOGPUSHKIT AFTER_LOGPUSHKIT [WORK_DIR]
"""
import glob, os, shutil, statistics, subprocess, sys, time

src, runs, before, after = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
work = sys.argv[5] if len(sys.argv) > 5 else "/tmp/logpushkit-many-objects-ab"
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
bench = f"dotnet {root}/artifacts/bin/LogpushKit.Benchmarks/release/LogpushKit.Benchmarks.dll"
cmds = {
    "before": f"{before} run --source {src} --target {work}/dst-before --state {work}/state-before/state.db --quiet",
    "after": f"{after} run --source {src} --target {work}/dst-after --state {work}/state-after/state.db --quiet",
    "floor": f"{bench} floor {src} {work}/dst-floor",
}


def run(name):
    shutil.rmtree(f"{work}/dst-{name}", ignore_errors=True)
    shutil.rmtree(f"{work}/state-{name}", ignore_errors=True)
    t0 = time.monotonic()
    p = subprocess.Popen(cmds[name], shell=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{name} failed: {p.stderr.read().decode(errors='replace')[-2000:]}")
    files = len(glob.glob(f"{work}/dst-{name}/**/*.csv", recursive=True))
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0, files


os.makedirs(work, exist_ok=True)
print(f"load before: {open('/proc/loadavg').read().split()[:3]}")
for name in cmds:
    run(name)
res = {k: [] for k in cmds}
for _ in range(runs):
    for name in cmds:
        res[name].append(run(name))
for name in ("before", "after"):
    r = res[name]
    ratio = statistics.median([a[0] / f[0] for a, f in zip(r, res["floor"])])
    print(f"{name}: median wall {statistics.median(x[0] for x in r):.3f} s, cpu {statistics.median(x[1] for x in r):.3f} s, "
          f"peak {max(x[2] for x in r):.0f} MiB, files {r[-1][3]}, ratio to floor {ratio:.3f}x")
f = res["floor"]
print(f"floor: median wall {statistics.median(x[0] for x in f):.3f} s, cpu {statistics.median(x[1] for x in f):.3f} s, files {f[-1][3]}")
for i, label in ((0, "wall"), (1, "cpu")):
    per = [a[i] / b[i] for a, b in zip(res["after"], res["before"])]
    print(f"after/before {label} per round: {' '.join(f'{x:.3f}' for x in per)}; median {statistics.median(per):.3f}")
print(f"load after: {open('/proc/loadavg').read().split()[:3]}")
