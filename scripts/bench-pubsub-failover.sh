#!/usr/bin/env bash
# Sharded pub/sub through a kill -9 of the channel's primary, ROUNDS times (default 3), each
# on a fresh loopback 3+3 cluster: when the first message reaches a redis-provider subscriber
# again, next to the promoted replica's role:master, cluster_state:ok and the first message it
# accepted (scripts/bench-pubsub-failover.py says how).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib-cluster.sh
build_release_cli
for round in $(seq "${ROUNDS:-3}"); do
  (
    start_cluster >/dev/null
    python3 scripts/bench-pubsub-failover.py .build/release/redis-provider "$url" "$(IFS=,; echo "${ports[*]}")"
  )
done
