#!/usr/bin/env bash
# The whole test run: installs what is missing, builds, runs every test against real
# loopback servers, checks the allocations per command (scripts/benchmarks.sh), checks the
# documentation (scripts/docs.sh), builds the example services (Hummingbird and Vapor)
# and checks them with the memory cache and a real cluster, then fuzzes the RESP decoder
# briefly (FUZZ_SECONDS, default 30; 0 skips).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
export SWIFT_BACKTRACE=enable=no
cleanup() { scripts/stop-test-servers.sh || true; }
trap cleanup EXIT
# The DocExamples target must hold every example of the docs as they are now.
scripts/generate-doc-examples.py --check
# The generated command methods and the command table must be what the data in Data/commands gives.
python3 scripts/generate-commands.py --check
python3 scripts/generate-command-table.py --check
# Symbol graphs for scripts/docs.sh come from the same build.
swift build --build-tests -Xswiftc -emit-symbol-graph -Xswiftc -emit-symbol-graph-dir -Xswiftc "$PWD/.build/symbol-graphs"
swift test --skip-build
# Allocations per GET and SET through each layer, against Benchmarks/Thresholds.
scripts/benchmarks.sh check
scripts/docs.sh
scripts/example.sh
if [[ "${FUZZ_SECONDS:-30}" != 0 ]]; then
  scripts/fuzz.sh "${FUZZ_SECONDS:-30}"
fi
