# Sourced by the cluster scripts. start_cluster installs what is missing, starts a throwaway
# 3-primary, 3-replica Redis Cluster on loopback and stops every node by its pid on exit
# (sets: dir, ports[], pids[], url); build_release_cli builds .build/release/redis-provider.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

build_release_cli() { swift build -c release --product redis-provider >/dev/null; }

start_cluster() {
  scripts/install-deps.sh
  dir=$(mktemp -d)
  pids=()
  ports=()
  trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$dir"' EXIT
  for i in 0 1 2 3 4 5; do
    local port
    port=$(free_port); while ((port > 55535)); do port=$(free_port); done  # bus port = port + 10000
    mkdir -p "$dir/$i"
    redis-server --bind 127.0.0.1 --port "$port" --cluster-enabled yes --cluster-config-file nodes.conf \
      --cluster-node-timeout 1000 --save "" --appendonly no --dir "$dir/$i" --logfile "$dir/$i/log" &
    pids+=($!)
    ports+=("$port")
  done
  for p in "${ports[@]}"; do for _ in $(seq 50); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done; done
  redis-cli --cluster create $(for p in "${ports[@]}"; do printf '127.0.0.1:%s ' "$p"; done) \
    --cluster-replicas 1 --cluster-yes >/dev/null
  for _ in $(seq 100); do redis-cli -p "${ports[0]}" cluster info | grep -q 'cluster_state:ok' && break; sleep 0.1; done
  # Replicas make their first full sync a few seconds after joining (repl-diskless-sync-delay):
  # wait for it, so that no benchmark shares the machine with a fork and an RDB transfer.
  for p in "${ports[@]}"; do
    for _ in $(seq 200); do
      info=$(redis-cli -p "$p" info replication)
      [[ "$info" != *"role:slave"* || "$info" == *"master_link_status:up"* ]] && break
      sleep 0.1
    done
  done
  sleep 1
  url="redis://127.0.0.1:${ports[0]},127.0.0.1:${ports[1]},127.0.0.1:${ports[2]}?cluster=true"
}
