#!/usr/bin/env bash
# Stops test servers a crashed test run left behind: only the pids the test support
# recorded (one file per pid), never anything found by name.
dir="${TMPDIR:-/tmp}/redis-provider-test-pids"
[[ -d "$dir" ]] || exit 0
for f in "$dir"/*; do
  [[ -e "$f" ]] || continue
  pid=$(basename "$f")
  if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
    echo "stopping leftover test server pid $pid" >&2
    kill "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
done
