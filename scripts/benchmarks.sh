#!/usr/bin/env bash
# Deterministic micro-benchmarks of Benchmarks/ (ordo-one/benchmark): allocations per GET and
# SET through each layer (encoder, parser, connection, standalone and cluster client) against
# an in-process server that allocates nothing itself. Checks them against
# Benchmarks/Thresholds and fails (exit 2) when one grew: a hot path gained an allocation.
#   scripts/benchmarks.sh           # check (CI runs this)
#   scripts/benchmarks.sh update    # write new thresholds, after a deliberate change
#   scripts/benchmarks.sh show      # every metric (instructions, time, throughput), printed
set -euo pipefail
cd "$(dirname "$0")/../Benchmarks"
case "${1:-check}" in
  check)
    status=0
    CI=1 swift package benchmark thresholds check --path "$PWD/Thresholds" --no-progress || status=$?
    # 4: only improvements: fewer allocations than recorded. Not a failure; record them.
    if [[ $status == 4 ]]; then echo "allocations went down: record them with scripts/benchmarks.sh update"; status=0; fi
    exit "$status" ;;
  update) CI=1 swift package --allow-writing-to-package-directory benchmark thresholds update --path "$PWD/Thresholds" --no-progress ;;
  show) swift package benchmark --no-progress ;;
  *) echo "usage: $0 [check|update|show]" >&2; exit 64 ;;
esac
