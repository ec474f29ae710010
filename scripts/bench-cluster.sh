#!/usr/bin/env bash
# Benchmarks redis-provider against redis-benchmark --cluster on a throwaway loopback cluster:
# once as an application runs it out of the box, once thread-per-core (--threads 1).
# Usage: scripts/bench-cluster.sh [bench flags, default -c 50 -n 200000 -d 16 -t set,get -r 100000]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib-cluster.sh
start_cluster
build_release_cli
args=("$@")
((${#args[@]})) || args=(-c 50 -n 200000 -d 16 -t set,get -r 100000)
echo "== default: callers on Swift's global executor, connections on NIO's shared loops"
.build/release/redis-provider bench --url "$url" "${args[@]}" --compare
echo "== --threads 1: callers and connections on one event loop of the client's own"
.build/release/redis-provider bench --url "$url" "${args[@]}" --threads 1 --compare
