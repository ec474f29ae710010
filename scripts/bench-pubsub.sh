#!/usr/bin/env bash
# Pub/sub delivery rate, side by side in one shell session: redis-benchmark publishes N
# messages to one channel as fast as it can (-c 50 -P 16) while one consumer receives them;
# the consumer is redis-cli SUBSCRIBE, then redis-provider subscribe with 1 and with 100
# subscribers in one process (one server subscription). Prints messages per second received
# by each consumer (and, with 100, delivered to all of them), medians of ROUNDS (default 3),
# next to the publish rate redis-benchmark reports.
# Usage: scripts/bench-pubsub.sh [N, default 200000]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib-cluster.sh
scripts/install-deps.sh
build_release_cli
n=${1:-200000}
rounds=${ROUNDS:-3}
port=$(free_port)
dir=$(mktemp -d)
redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no --dir "$dir" --logfile "$dir/log" \
  --client-output-buffer-limit "pubsub 0 0 0" &
server=$!
trap 'kill $server 2>/dev/null || true; wait 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
url="redis://127.0.0.1:$port"
now() { python3 -c 'import time; print(time.monotonic())'; }

# $1: name, then the consumer command (it must exit after n messages). Prints the rate.
measure() {
  local name=$1; shift
  "$@" > /dev/null &
  local consumer=$!
  for _ in $(seq 100); do
    [[ $(redis-cli -p "$port" pubsub numsub bench | tail -1) -ge 1 ]] && break
    sleep 0.05
  done
  sleep 0.2
  local start end publish
  start=$(now)
  publish=$(redis-benchmark -p "$port" -n "$n" -c 50 -P 16 -q PUBLISH bench 0123456789abcdef | tr '\r' '\n' | grep -o '[0-9.]* requests per second' | tail -1)
  wait "$consumer"
  end=$(now)
  python3 -c "print(f'$name: {$n/($end-$start):.0f} messages/s received (redis-benchmark published at ${publish%% *}/s)')"
}

for round in $(seq "$rounds"); do
  echo "== round $round"
  measure "redis-cli SUBSCRIBE" python3 -c '
import subprocess, sys
port, n = sys.argv[1], int(sys.argv[2])
cli = subprocess.Popen(["redis-cli", "-p", port, "--raw", "SUBSCRIBE", "bench"], stdout=subprocess.PIPE)
for _ in range(3 + 3 * n):
    cli.stdout.readline()
cli.kill()
' "$port" "$n"
  # A buffer that holds the whole run: redis-cli never drops, so neither may the compared reader.
  measure "redis-provider subscribe (1 subscriber)" .build/release/redis-provider subscribe --url "$url" --raw --count "$n" \
    --buffer "$((2 * n))" bench
  measure "redis-provider subscribe (100 subscribers, $((100 * n)) deliveries)" \
    .build/release/redis-provider subscribe --url "$url" --raw --count "$n" --buffer "$((2 * n))" --subscribers 100 bench
done
