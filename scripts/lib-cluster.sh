# Sourced by the cluster scripts. start_cluster installs what is missing and starts a throwaway
# 3-primary, 3-replica Redis Cluster on loopback with the CLI's own sandbox (the formation the
# tests use too; SANDBOX_FLAGS=--valkey for Valkey), replicas synced, cluster-node-timeout 1000 ms; it is stopped, by the pids the
# sandbox recorded, on exit. Sets: dir, ports[], pids[], url. build_release_cli builds
# .build/release/redis-provider. start_standalone (after start_cluster) starts one more
# server, alone, in the same folder and stops it by pid on exit. Sets: sport, standalone.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

build_release_cli() { swift build -c release --product redis-provider >/dev/null; }

start_cluster() {
  scripts/install-deps.sh
  swift build --product redis-provider >/dev/null
  local cli
  cli="$(swift build --show-bin-path)/redis-provider"
  dir=$(mktemp -d)
  trap "\"$cli\" sandbox stop --state-dir \"$dir\" >/dev/null 2>&1 || true; rm -rf \"$dir\"" EXIT
  url=$("$cli" sandbox start --cluster --node-timeout 1000 ${SANDBOX_FLAGS:-} --state-dir "$dir")
  mapfile -t ports < <(python3 -c 'import json, sys; [print(n["port"]) for n in json.load(open(sys.argv[1]))["nodes"]]' "$dir/sandbox.json")
  mapfile -t pids < <(python3 -c 'import json, sys; [print(n["pid"]) for n in json.load(open(sys.argv[1]))["nodes"]]' "$dir/sandbox.json")
}

start_standalone() {
  sport=$(free_port)
  redis-server --bind 127.0.0.1 --port "$sport" --save "" --appendonly no --dir "$dir" --logfile "$dir/standalone.log" &
  standalone=$!
  trap "kill $standalone 2>/dev/null || true; $(trap -p EXIT | sed -E "s/^trap -- '(.*)' EXIT$/\1/")" EXIT
  for _ in $(seq 50); do redis-cli -p "$sport" ping >/dev/null 2>&1 && break; sleep 0.1; done
}
