#!/usr/bin/env bash
# Kills a primary of a throwaway loopback cluster at second 4 of a 15-second GET benchmark and
# reports what callers saw (errors, the longest stall and when it ended) next to when
# CLUSTER INFO said cluster_state:ok again. Every process is stopped by pid at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib-cluster.sh
start_cluster
build_release_cli

.build/release/redis-provider call --url "$url" SET warm up >/dev/null
victim_port=$(redis-cli -p "${ports[0]}" cluster nodes | awk '/master/ && !/myself/ {split($2,a,":"); split(a[2],b,"@"); print b[1]; exit}')
victim_pid=""
for i in "${!ports[@]}"; do [[ "${ports[$i]}" == "$victim_port" ]] && victim_pid=${pids[$i]}; done
watch_port=${ports[0]}; [[ "$watch_port" == "$victim_port" ]] && watch_port=${ports[1]}
start=$(date +%s.%N)
.build/release/redis-provider bench --url "$url" -c 50 -t get -r 100000 --duration 15 --json > "$dir/bench.json" &
bench=$!
sleep 4
kill -9 "$victim_pid"
killed=$(date +%s.%N)
state_fail=""; state_ok=""
while kill -0 "$bench" 2>/dev/null; do
  info=$(redis-cli -p "$watch_port" cluster info 2>/dev/null || true)
  now=$(date +%s.%N)
  if [[ -z "$state_fail" && "$info" == *"cluster_state:fail"* ]]; then state_fail=$now; fi
  if [[ -n "$state_fail" && -z "$state_ok" && "$info" == *"cluster_state:ok"* ]]; then state_ok=$now; fi
  sleep 0.02
done
wait "$bench"
python3 - "$dir/bench.json" "$start" "$killed" "${state_fail:-0}" "${state_ok:-0}" <<'PY'
import json, sys
report = json.load(open(sys.argv[1])); r = report["results"][0]
start, killed, fail, ok = map(float, sys.argv[2:6])
print(f"GET for {r['seconds']:.1f} s: {r['requestsPerSecond']:.0f} requests/s, errors seen by callers: {sum(r['errors'].values())} {r['errors']}")
print(f"primary killed at {killed-start:.2f} s")
if fail: print(f"cluster_state:fail seen at {fail-start:.2f} s")
if ok: print(f"cluster_state:ok again at {ok-start:.2f} s ({ok-killed:.2f} s after the kill)")
print(f"longest stall {r['maxMilliseconds']:.0f} ms, ended at {r['slowestEndedAtSeconds']:.2f} s "
      f"({r['slowestEndedAtSeconds']-(killed-start):.2f} s after the kill"
      + (f", {1000*(r['slowestEndedAtSeconds']-(ok-start)):.0f} ms after cluster_state:ok)" if ok else ")"))
print(f"p50 {r['p50Milliseconds']:.3f} ms, p99 {r['p99Milliseconds']:.3f} ms")
PY
