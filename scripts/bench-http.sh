#!/usr/bin/env bash
# HTTP requests/s of the example service (Examples/CacheService, release build) answering
# GET /fib/30 from its cache, with wrk on loopback: the memory cache, RedisProvider on one
# redis-server, and RedisProvider on a 3+3 cluster — servers, service and wrk started from
# this one shell. Prints req/s and the CPU seconds the service and Redis used during each run.
#   scripts/bench-http.sh [SECONDS (10)] [CONNECTIONS (50)] [BINARY (CacheService)]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib-cluster.sh
seconds=${1:-10} connections=${2:-50} binary=${3:-CacheService}
command -v wrk >/dev/null || apt-get install -y wrk >/dev/null
swift build -c release --package-path Examples/CacheService --product "$binary" >/dev/null
bin=$(swift build -c release --package-path Examples/CacheService --show-bin-path)/$binary

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # user + system clock ticks
ticks=$(getconf CLK_TCK)

run() {  # $1: label; $2: pid of the Redis server to account (or -); the rest: env for the service
  local label=$1 redis_pid=$2 port service
  shift 2
  port=$(free_port)
  env -u REDIS_URL -u CACHE_PROVIDER -u REDIS_PROVIDER_CONFIG_DIR "$@" PORT="$port" "$bin" >/dev/null 2>&1 &
  service=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/live" >/dev/null && break; sleep 0.1; done
  curl -sf "http://127.0.0.1:$port/fib/30" >/dev/null  # computed once; every later request is a cache hit
  local s0 r0 s1 r1 out
  s0=$(cpu "$service"); r0=$([[ $redis_pid == - ]] && echo 0 || cpu "$redis_pid")
  out=$(wrk -t2 -c"$connections" -d"${seconds}s" "http://127.0.0.1:$port/fib/30")
  s1=$(cpu "$service"); r1=$([[ $redis_pid == - ]] && echo 0 || cpu "$redis_pid")
  kill -TERM "$service"; wait "$service" || true
  printf '%-22s %10s req/s   service CPU %5.1f s   redis CPU %5.1f s   (%s)\n' "$label" \
    "$(awk '/Requests\/sec/ {print $2}' <<< "$out")" "$(bc -l <<< "($s1-$s0)/$ticks")" "$(bc -l <<< "($r1-$r0)/$ticks")" \
    "$(awk '/Latency/ {print "latency avg " $2 ", p-stdev " $3}' <<< "$out")"
}

start_cluster
start_standalone
echo "GET /fib/30 from the cache, wrk -t2 -c$connections -d${seconds}s, $binary (release):"
run "memory" -
run "redis standalone" "$standalone" REDIS_URL="redis://127.0.0.1:$sport" CACHE_PROVIDER=redis
# In the cluster the key lives on one primary: account that one.
key=$([[ $binary == VaporCacheService ]] && echo vapor-cache-service:fib:30 || echo cache-service:fib:30)
owner_port=$(redis-cli -p "${ports[0]}" cluster nodes | awk -v s="$(redis-cli -p "${ports[0]}" cluster keyslot "$key")" '$3 ~ /master/ { for (i = 9; i <= NF; i++) { split($i, r, "-"); if (s >= r[1] && s <= (r[2] == "" ? r[1] : r[2])) { split($2, a, "[:@]"); print a[2] } } }')
owner_pid=-
for i in "${!ports[@]}"; do if [[ ${ports[$i]} == "$owner_port" ]]; then owner_pid=${pids[$i]}; fi; done
run "redis cluster" "$owner_pid" REDIS_URL="$url" CACHE_PROVIDER=redis
