#!/usr/bin/env bash
# Builds Examples/CacheService and checks it end to end: one run with the memory cache (no
# configuration at all) and one against a throwaway loopback Redis Cluster (REDIS_URL +
# CACHE_PROVIDER=redis). Each run: GET /fib/30 twice (computed once, then cached), /ready.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib-cluster.sh
swift build --package-path Examples/CacheService
bin=$(swift build --package-path Examples/CacheService --show-bin-path)/CacheService

# get URL: prints the body; fails on a non-2xx status.
get() { python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())' "$1"; }
header() { python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=10).headers[sys.argv[2]])' "$1" "$2"; }

services=()
trap 'for p in "${services[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

check_service() {  # $1: expected cache kind; the rest: env arguments for the service
  local kind=$1 port service
  shift
  port=$(free_port)
  env -u REDIS_URL -u CACHE_PROVIDER -u REDIS_PROVIDER_CONFIG_DIR "$@" PORT="$port" "$bin" &
  service=$!
  services+=("$service")
  for _ in $(seq 100); do get "http://127.0.0.1:$port/live" >/dev/null 2>&1 && break; sleep 0.1; done
  local first second
  first=$(get "http://127.0.0.1:$port/fib/30")
  second=$(get "http://127.0.0.1:$port/fib/30")
  echo "fib/30: $first"
  [[ "$first" == "$second" ]] || { echo "the second answer was not the cached first one" >&2; exit 1; }
  [[ "$first" == *'"value":832040'* ]] || { echo "wrong value" >&2; exit 1; }
  [[ $(header "http://127.0.0.1:$port/fib/30" X-Computations) == 1 ]] || { echo "computed more than once" >&2; exit 1; }
  local ready
  ready=$(get "http://127.0.0.1:$port/ready")
  echo "ready: ${ready:0:160}"
  [[ "$ready" == *"\"cache\":\"$kind\""* && "$ready" == *'"ready":true'* ]] || { echo "not ready with cache $kind" >&2; exit 1; }
  kill -TERM "$service"
  wait "$service"  # a graceful shutdown exits 0
}

echo "== memory cache (no configuration)"
check_service memory

echo "== Redis Cluster cache"
start_cluster
check_service redis REDIS_URL="$url" CACHE_PROVIDER=redis
stored=$(redis-cli -c -p "${ports[0]}" GET cache-service:fib:30)
echo "stored in the cluster: $stored"
[[ "$stored" == *832040* ]]
echo "example OK"
