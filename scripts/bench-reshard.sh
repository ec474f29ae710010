#!/usr/bin/env bash
# p99 latency while 1,000 slots move between primaries under load, next to the steady-state
# p99 of the same 50-caller GET load on a throwaway loopback cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib-cluster.sh
start_cluster
build_release_cli
cli=.build/release/redis-provider
"$cli" bench --url "$url" -c 50 -t set -r 20000 -n 20000 -d 16 >/dev/null   # data to move
echo "steady state:"
"$cli" bench --url "$url" -c 50 -t get -r 20000 --duration 8
from=$(redis-cli -p "${ports[0]}" cluster nodes | awk '/master/ && $9 ~ /^0-/ {print $1}')
to=$(redis-cli -p "${ports[0]}" cluster nodes | awk '/master/ && $9 !~ /^0-/ {print $1; exit}')
echo "while 1000 slots move:"
"$cli" bench --url "$url" -c 50 -t get -r 20000 --duration 8 &
bench=$!
sleep 1
start=$(date +%s.%N)
redis-cli --cluster reshard "127.0.0.1:${ports[0]}" --cluster-from "$from" --cluster-to "$to" \
  --cluster-slots 1000 --cluster-yes --cluster-pipeline 100 >/dev/null
echo "(reshard took $(python3 -c "print(round($(date +%s.%N) - $start, 2))") s)"
wait "$bench"
