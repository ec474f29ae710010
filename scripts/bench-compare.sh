#!/usr/bin/env bash
# Every speed figure of the README in one same-session run: redis-provider bench (one pinned
# loop, and --shared-loops as an application gets it out of the box, and -P 16 explicit
# pipelines) next to redis-benchmark -P 1 and -P 16, on one standalone server and one 3+3
# sandbox cluster started in this shell; then 1 MB values and 10,000 callers. Each line is
# the median of ROUNDS (default 3) alternated rounds, with the client's CPU per request and
# the server's (all nodes of the cluster) beside it.
# Usage: scripts/bench-compare.sh [redis-provider binary, default .build/release/redis-provider]
# Environment: ROUNDS (3), REQUESTS (400000 per -P 1 test), SKIP_LARGE=1, SKIP_MANY=1.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib-cluster.sh
binary=${1:-}
if [[ -z $binary ]]; then build_release_cli; binary=.build/release/redis-provider; fi
start_cluster
start_standalone
python3 scripts/bench-compare.py "$binary" "$sport" "$standalone" "$url" "${pids[@]}"
