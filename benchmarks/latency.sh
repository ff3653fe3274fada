#!/usr/bin/env bash
# Far-away buckets: `logpushkit run` s3 -> s3 through a loopback proxy that adds DELAY_MS to every request, against the
# same run straight to the server, in one run. The server is s3rver (the tests' pinned version, npm-installed once
# under CACHE_DIR), the proxy is `LogpushKit.Benchmarks latency-proxy`. Runs alternate (a warm-up of each first), so
# this noisy machine's drift hits both alike; the ratio is the median of the per-round ratios. Every run writes to a
# fresh target prefix and is checked: exit code 0 and one CSV object per source object.
#
#   benchmarks/latency.sh                                   OBJECTS=60 RECORDS=1000 DELAY_MS=50 RUNS=5
#   EXTRA='--concurrency 2' benchmarks/latency.sh           extra flags for both sides (e.g. the old schedule)
#   CLI=path/to/logpushkit benchmarks/latency.sh             another build (default: the `dotnet build` of the CLI this
#                                                           script runs first, artifacts/bin/LogpushKit.Cli/release/logpushkit;
#                                                           NO_BUILD=1 skips that build and uses what is there)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
OBJECTS=${OBJECTS:-60} RECORDS=${RECORDS:-1000} DELAY_MS=${DELAY_MS:-50} RUNS=${RUNS:-5} EXTRA=${EXTRA:-}
work=${WORK_DIR:-/tmp/logpushkit-latency}; mkdir -p "$work"
cache=${CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/logpushkit-bench/s3rver}
if [[ ! -f $cache/node_modules/s3rver/bin/s3rver.js ]]; then
  mkdir -p "$cache"
  cp "$root/tests/tools/s3rver/package.json" "$root/tests/tools/s3rver/package-lock.json" "$cache/"
  (cd "$cache" && npm ci --no-audit --no-fund >/dev/null)
fi
if [[ -z ${NO_BUILD:-} ]]; then
  dotnet build "$root/samples/LogpushKit.Cli" -c Release -nologo -v q >/dev/null
  dotnet build "$root/benchmarks/LogpushKit.Benchmarks" -c Release -nologo -v q >/dev/null
fi
cli=${CLI:-$root/artifacts/bin/LogpushKit.Cli/release/logpushkit}
[[ -x $cli ]] || { echo "latency.sh: no CLI at $cli (run without NO_BUILD to build it, or set CLI=path/to/logpushkit)" >&2; exit 1; }
bench="dotnet $root/artifacts/bin/LogpushKit.Benchmarks/release/LogpushKit.Benchmarks.dll"
src=$work/src-$OBJECTS-$RECORDS
if [[ ! -f $src/.complete ]]; then
  rm -rf "$src"
  $bench generate --dataset gateway_http --records "$RECORDS" --objects "$OBJECTS" --seed 7 --output-dir "$src/gateway_http" >/dev/null
  touch "$src/.complete"
fi
python3 - "$cache/node_modules/s3rver/bin/s3rver.js" "$work" "$src" "$cli" "$bench" "$DELAY_MS" "$RUNS" "$OBJECTS" "$EXTRA" <<'PY'
import os, re, shlex, shutil, statistics, subprocess, sys, time, urllib.request
script, work, src, cli, bench, delay, runs, objects, extra = sys.argv[1:]
runs, objects = int(runs), int(objects)
data = os.path.join(work, "s3rver-data"); shutil.rmtree(data, ignore_errors=True); os.makedirs(data)
procs = []

def start(cmd, pattern):
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    procs.append(p)
    for line in p.stdout:
        m = re.search(pattern, line)
        if m:
            return m
    sys.exit(f"{cmd[0]} exited before it listened")

try:
    port = start(["node", "--openssl-legacy-provider", script, "-d", data, "-a", "127.0.0.1", "-p", "0", "--silent", "--no-vhost-buckets"],
                 r"listening on [^\s:]+:(\d+)").group(1)
    direct = f"http://127.0.0.1:{port}/"
    proxy = start(shlex.split(bench) + ["latency-proxy", "--upstream", direct, "--delay-ms", delay], r"(http://127\.0\.0\.1:\d+/)").group(1)

    def request(method, path, body=None):
        req = urllib.request.Request(direct + path, data=body, method=method)
        with urllib.request.urlopen(req) as r:
            return r.read()

    request("PUT", "src"); request("PUT", "dst")
    sent = 0
    for dirpath, _, files in os.walk(src):
        for name in sorted(files):
            if name.endswith(".log.gz"):
                rel = os.path.relpath(os.path.join(dirpath, name), src)
                with open(os.path.join(dirpath, name), "rb") as f:
                    request("PUT", "src/" + rel, f.read())
                sent += 1
    if sent != objects:
        sys.exit(f"uploaded {sent} objects, expected {objects}")

    env = dict(os.environ, AWS_ACCESS_KEY_ID="S3RVER", AWS_SECRET_ACCESS_KEY="S3RVER", DOTNET_gcServer="0")
    counter = [0]

    def run(endpoint):
        counter[0] += 1
        prefix = f"run-{counter[0]}"
        cmd = [cli, "run", "--source", "s3://src/gateway_http", "--target", f"s3://dst/{prefix}", "--endpoint", endpoint, "--quiet", "--no-jobs"] + shlex.split(extra)
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.monotonic() - t0
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            sys.exit(f"'{' '.join(cmd)}' exited {code}: {p.stderr.read().decode(errors='replace')[-2000:]}")
        listing = request("GET", f"dst?list-type=2&prefix={prefix}/&max-keys=1000").decode()
        written = len(re.findall(r"<Key>[^<]*\.csv</Key>", listing))
        if written != objects:
            sys.exit(f"{' '.join(cmd)}: {written} CSV objects under {prefix}/, expected {objects}")
        return wall, usage.ru_maxrss / 1024.0

    print(f"workload: {objects} objects, {sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(src) for f in fs if f.endswith('.log.gz')) / 1e6:.1f} MB gzip'd; proxy adds {delay} ms per request; flags: {extra or '(defaults)'}")
    run(direct); run(proxy)  # warm-up
    directs, proxied, rss = [], [], []
    for _ in range(runs):
        w, r = run(direct); directs.append(w); rss.append(r)
        w, r = run(proxy); proxied.append(w); rss.append(r)
    ratios = [p / d for p, d in zip(proxied, directs)]
    print(f"direct:  median {statistics.median(directs):.3f} s  ({', '.join(f'{x:.2f}' for x in directs)})")
    print(f"proxied: median {statistics.median(proxied):.3f} s  ({', '.join(f'{x:.2f}' for x in proxied)})")
    print(f"peak RSS {max(rss):.0f} MiB")
    print(f"ratio proxied/direct (median of {runs} rounds): {statistics.median(ratios):.2f}x  (rounds: {', '.join(f'{x:.2f}' for x in ratios)})")
finally:
    for p in procs:
        try:
            p.stdin.close()
        except Exception:
            pass
        p.kill()
        p.wait()
PY
