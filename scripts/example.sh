#!/usr/bin/env bash
# Builds Examples/CacheService and checks both of its services end to end — CacheService
# (Hummingbird) and VaporCacheService (Vapor): one run with the memory cache (no configuration
# at all) and one against a throwaway loopback Redis Cluster (REDIS_URL + CACHE_PROVIDER=redis).
# Each run: GET /fib/30 twice (computed once, then cached), a login kept in a session, /ready;
# against the cluster the session also outlives a restart of the service, and a wrong password
# stops the start with the setting named.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib-cluster.sh
swift build --package-path Examples/CacheService
bin=$(swift build --package-path Examples/CacheService --show-bin-path)

# http METHOD URL [COOKIE]: prints the body; fails on a non-2xx status. With LOGIN_COOKIE=1,
# prints the session cookie (name=value) the response sets instead.
http() {
  python3 - "$@" <<'PY'
import os, sys, urllib.request
method, url = sys.argv[1], sys.argv[2]
request = urllib.request.Request(url, method=method)
if len(sys.argv) > 3: request.add_header("Cookie", sys.argv[3])
response = urllib.request.urlopen(request, timeout=10)
if os.environ.get("LOGIN_COOKIE"): print(response.headers["Set-Cookie"].split(";")[0])
else: print(response.read().decode())
PY
}
get() { http GET "$1"; }
header() { python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=10).headers[sys.argv[2]])' "$1" "$2"; }

services=()
stop_services() { for p in "${services[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap stop_services EXIT

# start_service BINARY PORT ENV...: starts it in the background and waits until it answers.
start_service() {
  local binary=$1 port=$2
  shift 2
  env -u REDIS_URL -u CACHE_PROVIDER -u REDIS_PROVIDER_CONFIG_DIR "$@" PORT="$port" "$bin/$binary" &
  service=$!
  services+=("$service")
  for _ in $(seq 100); do get "http://127.0.0.1:$port/live" >/dev/null 2>&1 && break; sleep 0.1; done
}

stop_service() {
  kill -TERM "$service"
  wait "$service"  # a graceful shutdown exits 0
}

check_service() {  # $1: binary; $2: expected cache kind; the rest: env arguments for the service
  local binary=$1 kind=$2 port
  shift 2
  port=$(free_port)
  start_service "$binary" "$port" "$@"
  local first second
  first=$(get "http://127.0.0.1:$port/fib/30")
  second=$(get "http://127.0.0.1:$port/fib/30")
  echo "$binary fib/30: $first"
  [[ "$first" == "$second" ]] || { echo "the second answer was not the cached first one" >&2; exit 1; }
  [[ "$first" == *'"value":832040'* ]] || { echo "wrong value" >&2; exit 1; }
  [[ $(header "http://127.0.0.1:$port/fib/30" X-Computations) == 1 ]] || { echo "computed more than once" >&2; exit 1; }
  local cookie me
  cookie=$(LOGIN_COOKIE=1 http PUT "http://127.0.0.1:$port/login/alice")
  me=$(http GET "http://127.0.0.1:$port/me" "$cookie")
  echo "$binary session: $me"
  [[ "$me" == *'"user":"alice"'* ]] || { echo "the session did not hold the login" >&2; exit 1; }
  local ready
  ready=$(get "http://127.0.0.1:$port/ready")
  echo "$binary ready: ${ready:0:160}"
  [[ "$ready" == *"\"cache\":\"$kind\""* && "$ready" == *'"ready":true'* ]] || { echo "not ready with cache $kind" >&2; exit 1; }
  stop_service
  if [[ $kind == redis ]]; then
    # A new process, the same cookie: the session lives in Redis.
    start_service "$binary" "$port" "$@"
    me=$(http GET "http://127.0.0.1:$port/me" "$cookie")
    echo "$binary session after a restart: $me"
    [[ "$me" == *'"user":"alice"'* ]] || { echo "the session did not survive the restart" >&2; exit 1; }
    stop_service
  fi
}

check_refused_start() {  # $1: binary; $2: a URL whose credentials the cluster refuses
  local output
  if output=$(env -u REDIS_PROVIDER_CONFIG_DIR REDIS_URL="$2" CACHE_PROVIDER=redis PORT="$(free_port)" timeout 60 "$bin/$1" 2>&1); then
    echo "$1 started with wrong credentials" >&2; exit 1
  fi
  echo "$1 with wrong credentials: $(grep -o 'check redis.url[^;]*' <<< "$output" | head -1)"
  grep -q 'check redis.url (from environment (REDIS_URL))' <<< "$output" || { echo "$output" >&2; exit 1; }
  if grep -q 'not-the-password' <<< "$output"; then echo "the password leaked into the output" >&2; exit 1; fi
}

for binary in CacheService VaporCacheService; do
  echo "== $binary: memory cache (no configuration)"
  check_service "$binary" memory
done

echo "== Redis Cluster cache"
start_cluster
# start_cluster's own EXIT trap stops the cluster; stop the services first.
trap "stop_services; $(trap -p EXIT | sed -E "s/^trap -- '(.*)' EXIT$/\1/")" EXIT
for binary in CacheService VaporCacheService; do
  check_service "$binary" redis REDIS_URL="$url" CACHE_PROVIDER=redis
  check_refused_start "$binary" "${url/redis:\/\//redis://nobody:not-the-password@}"
done
for prefix in cache-service vapor-cache-service; do
  stored=$(redis-cli -c -p "${ports[0]}" GET "$prefix:fib:30")
  echo "stored in the cluster under $prefix: $stored"
  [[ "$stored" == *832040* ]]
done
echo "example OK"
