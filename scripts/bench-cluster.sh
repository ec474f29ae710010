#!/usr/bin/env bash
# Benchmarks redis-provider against redis-benchmark --cluster on a throwaway loopback cluster.
# Usage: scripts/bench-cluster.sh [bench flags, default -c 50 -n 200000 -d 16 -t set,get -r 100000]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib-cluster.sh
start_cluster
build_release_cli
args=("$@")
((${#args[@]})) || args=(-c 50 -n 200000 -d 16 -t set,get -r 100000)
.build/release/redis-provider bench --url "$url" "${args[@]}" --compare
