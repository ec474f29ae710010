#!/usr/bin/env bash
# Two builds of redis-provider, side by side: alternated ROUNDS times (default 3) against one
# standalone server and one 3+3 sandbox cluster started in this shell, each run in the default
# mode and with --shared-loops, each next to redis-benchmark. Prints every run, then medians.
# Usage: scripts/bench-ab.sh OLD_BINARY NEW_BINARY [bench flags, default -c 50 -n 200000 -d 16 -t set,get -r 100000]
# e.g. build an older commit in a worktree with `swift build -c release`, and compare its
# .build/release/redis-provider with this checkout's.
set -euo pipefail
cd "$(dirname "$0")/.."
old=$1 new=$2
shift 2
args=("$@")
((${#args[@]})) || args=(-c 50 -n 200000 -d 16 -t set,get -r 100000)
source scripts/lib-cluster.sh
start_cluster
start_standalone
runs=$(mktemp)
for round in $(seq "${ROUNDS:-3}"); do
  for build in old new; do
    binary=$old; [[ $build == new ]] && binary=$new
    for target in standalone cluster; do
      u="redis://127.0.0.1:$sport"; [[ $target == cluster ]] && u=$url
      for mode in default shared-loops; do
        extra=(); [[ $mode == shared-loops ]] && extra=(--shared-loops)
        "$binary" bench --url "$u" "${args[@]}" "${extra[@]}" --compare --json | python3 -c "
import json, sys
r = json.load(sys.stdin)
for x in r['results']:
    t = r['redisBenchmark'].get(x['name'], 0)
    print('$round $build $target $mode', x['name'], round(x['requestsPerSecond']), round(t), f\"{x['p99Milliseconds']:.3f}\")
" | tee -a "$runs"
      done
    done
  done
done
python3 - "$runs" <<'PY'
import collections, statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
ours, ratio = collections.defaultdict(list), collections.defaultdict(list)
for _, build, target, mode, name, rps, theirs, _ in rows:
    ours[(target, mode, name, build)].append(int(rps))
    if int(theirs): ratio[(target, mode, name, build)].append(int(rps) / int(theirs))
print("\nmedians (requests/s, and the ratio to redis-benchmark in the same run):")
for key in sorted({k[:3] for k in ours}):
    o, n = key + ("old",), key + ("new",)
    print(f"{key[0]:10} {key[1]:12} {key[2]:4} old {statistics.median(ours[o]):8.0f} ({statistics.median(ratio[o] or [0]):.2f}x)"
          f"  new {statistics.median(ours[n]):8.0f} ({statistics.median(ratio[n] or [0]):.2f}x)"
          f"  new/old {statistics.median(ours[n]) / statistics.median(ours[o]):.2f}")
PY
rm -f "$runs"
