#!/usr/bin/env bash
# The main job: on a fresh machine, install Redis when missing, start a throwaway 3-primary,
# 3-replica cluster on loopback (redis-provider sandbox), and show the provider working
# against it: the configuration and the cluster mode it detects, keys written and read across
# slots, a cluster-wide SCAN, the doctor's checks, and a short benchmark side by side with
# redis-benchmark. The sandbox is stopped (by the pids it recorded) at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product redis-provider
cli=.build/release/redis-provider
state=$(mktemp -d)
trap '"$cli" sandbox stop --state-dir "$state" >/dev/null 2>&1 || true; rm -rf "$state"' EXIT
REDIS_URL=$("$cli" sandbox start --cluster --state-dir "$state")
export REDIS_URL
set -x
"$cli" config
"$cli" cluster nodes
"$cli" call MSET user:1 Ada user:2 Grace user:3 Linus user:4 Barbara user:5 Ken
"$cli" call MGET user:1 user:2 user:3 user:4 user:5
"$cli" scan --match 'user:*'
"$cli" call DBSIZE
"$cli" doctor
"$cli" cluster check
"$cli" bench -c 50 -n 100000 -d 16 -t set,get -r 100000 --compare
