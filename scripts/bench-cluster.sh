#!/usr/bin/env bash
# Benchmarks redis-provider against redis-benchmark --cluster on a throwaway loopback cluster:
# once on one thread like redis-benchmark (the default), once as an application runs it out of
# the box (--shared-loops).
# Usage: scripts/bench-cluster.sh [bench flags, default -c 50 -n 200000 -d 16 -t set,get -r 100000]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib-cluster.sh
start_cluster
build_release_cli
args=("$@")
((${#args[@]})) || args=(-c 50 -n 200000 -d 16 -t set,get -r 100000)
echo "== default: callers and connections on one event loop of the client's own, like redis-benchmark's one thread"
.build/release/redis-provider bench --url "$url" "${args[@]}" --compare
echo "== --shared-loops: callers on Swift's global executor, connections on NIO's shared loops"
.build/release/redis-provider bench --url "$url" "${args[@]}" --shared-loops --compare
