#!/usr/bin/env bash
# Benchmarks redis-provider against redis-benchmark --cluster on a throwaway loopback cluster,
# ROUNDS times (default 3) each way, and prints every round and the median ratio:
# once on one thread like redis-benchmark (the default), once as an application runs it out of
# the box (--shared-loops). The servers, the client and redis-benchmark run in this one
# session, so the kernel's per-session CPU sharing (autogroup) favours none of them.
# Usage: scripts/bench-cluster.sh [bench flags, default -c 50 -n 200000 -d 16 -t set,get -r 100000]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib-cluster.sh
start_cluster
build_release_cli
args=("$@")
((${#args[@]})) || args=(-c 50 -n 200000 -d 16 -t set,get -r 100000)
rounds=${ROUNDS:-3}
run_mode() {  # $1: title, then extra bench flags
  local title=$1; shift
  echo "== $title"
  for _ in $(seq "$rounds"); do
    .build/release/redis-provider bench --url "$url" "${args[@]}" "$@" --compare --json
  done | python3 <(cat <<'PY'
import json, statistics, sys
text = sys.stdin.read()
reports, decoder, i = [], json.JSONDecoder(), 0
while i < len(text):
    if text[i].isspace():
        i += 1
        continue
    report, i = decoder.raw_decode(text, i)
    reports.append(report)
for name in [r["name"] for r in reports[0]["results"]]:
    ratios = []
    for rep in reports:
        ours = next(r for r in rep["results"] if r["name"] == name)
        theirs = rep["redisBenchmark"].get(name, 0)
        print(f"{name}: {ours['requestsPerSecond']:.0f} requests/s (p99 {ours['p99Milliseconds']:.3f} ms), redis-benchmark {theirs:.0f} requests/s")
        if theirs: ratios.append(ours["requestsPerSecond"] / theirs)
    if ratios:
        rounds = " ".join(f"{x:.2f}x" for x in ratios)
        print(f"{name}: redis-provider/redis-benchmark median {statistics.median(ratios):.2f}x (rounds: {rounds})")
PY
)
}
run_mode "default: callers and connections on one event loop of the client's own, like redis-benchmark's one thread"
run_mode "--shared-loops: callers on Swift's global executor, connections on NIO's shared loops" --shared-loops
