#!/usr/bin/env bash
# Measures the cache layer: getOrSet hits through RedisCacheProvider next to raw GET in the same
# run, on a throwaway loopback 3-primary, 3-replica cluster; then the memory provider's
# operations per second and bytes per entry (no server).
# Usage: scripts/bench-cache.sh [bench flags, default -c 50 --duration 5 -d 16 -r 100000]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib-cluster.sh
start_cluster
build_release_cli
args=("$@")
((${#args[@]})) || args=(-c 50 --duration 5 -d 16 -r 100000)
echo "== cluster: raw GET, then cache hits (string, bytes, struct), then raw GET again"
.build/release/redis-provider bench --url "$url" "${args[@]}" -t get,cacheget,cachegetraw,cachegetstruct,get
echo "== memory provider"
.build/release/redis-provider bench --memory-cache "${args[@]}" -t set,get,cacheget,cachegetstruct
