#!/usr/bin/env bash
# Builds the DocC documentation of RedisProvider (the catalog in
# Sources/RedisProvider/RedisProvider.docc and every public doc comment) into
# .build/docs/RedisProvider.doccarchive, failing on any docc warning: a link to a symbol or an
# article that does not exist, a parameter documented under the wrong name.
# It reads the symbol graphs of a build made with
#   swift build -Xswiftc -emit-symbol-graph -Xswiftc -emit-symbol-graph-dir -Xswiftc "$PWD/.build/symbol-graphs"
# as scripts/test.sh builds.
set -euo pipefail
cd "$(dirname "$0")/.."
graphs=.build/symbol-graphs
if [[ ! -f $graphs/RedisProvider.symbols.json ]]; then
  echo "No symbol graph in $graphs: build as scripts/test.sh does first." >&2
  exit 2
fi
mkdir -p .build/docs
ours=$(mktemp -d)
trap 'rm -rf "$ours"' EXIT
cp "$graphs"/RedisProvider.symbols.json "$graphs"/RedisProvider@*.symbols.json "$ours"/ 2>/dev/null || true
docc convert Sources/RedisProvider/RedisProvider.docc --additional-symbol-graph-dir "$ours" \
  --fallback-display-name RedisProvider --fallback-bundle-identifier dev.redisprovider.RedisProvider \
  --output-path .build/docs/RedisProvider.doccarchive --warnings-as-errors
echo "docs: .build/docs/RedisProvider.doccarchive"
