#!/usr/bin/env bash
# The main job: on a fresh machine, install Redis when missing, start a throwaway server on a
# free loopback port, and show redis-provider working against it: ping, commands, and a
# benchmark side by side with redis-benchmark. The server is stopped by its pid at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product redis-provider
cli=.build/release/redis-provider
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
dir=$(mktemp -d)
redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no --dir "$dir" --logfile "$dir/redis.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
export REDIS_URL="redis://127.0.0.1:$port"
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
set -x
"$cli" ping
"$cli" call SET greeting "hello from redis-provider"
"$cli" call GET greeting
"$cli" call HSET user:42 name Ada lang Swift
"$cli" call HGETALL user:42
"$cli" call -3 HGETALL user:42
"$cli" bench -c 50 -n 200000 -d 16 -t set,get -r 100000 --compare
