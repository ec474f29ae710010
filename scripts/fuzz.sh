#!/usr/bin/env bash
# Builds the RESP decoder fuzz target with libFuzzer and runs it for SECONDS (default 30).
# Crashes are written to fuzz-artifacts/. Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
swift build --package-path Fuzz --scratch-path .build-fuzz -c release \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
mkdir -p fuzz-artifacts .build-fuzz/corpus
cp Fuzz/corpus/* .build-fuzz/corpus/
SWIFT_BACKTRACE=enable=no .build-fuzz/release/RESPFuzz .build-fuzz/corpus -max_total_time="$seconds" -max_len=4096 \
  -rss_limit_mb=2048 -artifact_prefix=fuzz-artifacts/ -print_final_stats=1
