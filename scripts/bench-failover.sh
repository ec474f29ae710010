#!/usr/bin/env bash
# Kills a primary of a fresh loopback cluster (cluster-node-timeout 1000) at second 2 of an
# 8-second GET benchmark of 50 callers, ROUNDS times (default 3), and reports per round what
# callers saw next to the replica's own clock: when it said role:master (its promotion), when
# it first counted a GET (polled every millisecond by scripts/failover-watch.py), and when the
# dead shard's first and last stuck callers were answered (the bench's stall report). Then the
# medians. Every process is stopped by pid at the end of its round.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib-cluster.sh
build_release_cli
rounds=${ROUNDS:-3}
results=$(mktemp)
for round in $(seq "$rounds"); do
  start_cluster >/dev/null
  victim_port=$(redis-cli -p "${ports[0]}" cluster nodes | awk '/master/ && !/myself/ {split($2,a,":"); split(a[2],b,"@"); print b[1]; exit}')
  victim_id=$(redis-cli -p "$victim_port" cluster myid)
  replica_port=$(redis-cli -p "${ports[0]}" cluster nodes | awk -v id="$victim_id" '$4 == id {split($2,a,":"); split(a[2],b,"@"); print b[1]; exit}')
  victim_pid=""
  for i in "${!ports[@]}"; do [[ "${ports[$i]}" == "$victim_port" ]] && victim_pid=${pids[$i]}; done
  python3 scripts/failover-watch.py "$replica_port" "$dir/watch.json" 20 &
  watcher=$!
  .build/release/redis-provider bench --url "$url" -c 50 -t get -r 100000 --duration 8 --json > "$dir/bench.json" &
  bench=$!
  sleep 2
  kill -9 "$victim_pid"
  killed=$(python3 -c 'import time; print(time.time())')
  wait "$bench"
  kill "$watcher" 2>/dev/null || true
  wait "$watcher" || true
  python3 - "$dir/bench.json" "$dir/watch.json" "$killed" "127.0.0.1:$victim_port" "$round" <<'PY' | tee -a "$results" | grep -v "^RESULT"
import json, sys
report, watch = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
killed, victim, round_ = float(sys.argv[3]), sys.argv[4], sys.argv[5]
r = report["results"][0]
start = r["startedAtUnixSeconds"]
stall = next((s for s in r["stalls"] if s["shard"] == victim), None)
promoted, first_get = watch["promotedAt"], watch["firstGetAt"]
def ms(t): return "-" if t is None or promoted is None else f"{1000 * (t - promoted):.0f}"
first = start + stall["firstAnsweredAtSeconds"] if stall and stall.get("firstAnsweredAtSeconds") is not None else None
last = start + stall["lastAnsweredAtSeconds"] if stall and stall.get("lastAnsweredAtSeconds") is not None else None
errors = sum(r["errors"].values())
print(f"round {round_}: promoted {promoted - killed:.2f} s after the kill" if promoted else f"round {round_}: no promotion seen",
      f"| after the promotion: first GET executed by it {ms(first_get)} ms, first stuck caller answered {ms(first)} ms,"
      f" last stuck caller answered {ms(last)} ms | caller errors {errors} {r['errors'] or ''}"
      f" | {r['requestsPerSecond']:.0f} GET/s | longest stall {r['maxMilliseconds']:.0f} ms")
print("RESULT", ms(first_get), ms(first), ms(last), errors)
PY
  "$(swift build --show-bin-path)/redis-provider" sandbox stop --state-dir "$dir" >/dev/null 2>&1 || true
  rm -rf "$dir"
  trap - EXIT
done
python3 - "$results" <<'PY'
import statistics, sys
rows = [l.split()[1:] for l in open(sys.argv[1]) if l.startswith("RESULT")]
def med(i):
    v = [float(r[i]) for r in rows if r[i] != "-"]
    return f"{statistics.median(v):.0f} ms" if v else "-"
print(f"\nmedians over {len(rows)} rounds, after the promotion: first GET executed by the new primary {med(0)}, "
      f"first stuck caller answered {med(1)}, last stuck caller answered {med(2)}; caller errors in all rounds: "
      f"{sum(int(r[3]) for r in rows)}")
PY
rm -f "$results"
