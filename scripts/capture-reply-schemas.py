#!/usr/bin/env python3
"""Saves the reply shapes of every command, from the command definitions in a Valkey source
tree (src/commands/*.json, whose "reply_schema" COMMAND DOCS does not return), into
Data/commands/reply-schemas.json, for scripts/generate-commands.py.

Only the shape is kept (types, constants, items, alternatives); descriptions are dropped.

Usage:
    python3 scripts/capture-reply-schemas.py PATH-TO-VALKEY-SOURCE [COMMIT-DESCRIPTION]
"""
import glob
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTPUT = os.path.join(ROOT, "Data", "commands", "reply-schemas.json")


def shape(schema):
    if isinstance(schema, dict):
        return {k: shape(v) for k, v in schema.items() if k not in ("description", "examples")}
    if isinstance(schema, list):
        return [shape(v) for v in schema]
    return schema


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    source = sys.argv[1]
    schemas = {}
    for path in sorted(glob.glob(os.path.join(source, "src", "commands", "*.json"))):
        with open(path) as f:
            for name, spec in json.load(f).items():
                if "reply_schema" not in spec:
                    continue
                container = spec.get("container")
                key = (container + "|" + name if container else name).lower()
                schemas[key] = shape(spec["reply_schema"])
    with open(OUTPUT, "w") as f:
        json.dump({"source": "valkey-io/valkey src/commands/*.json" + (" at " + sys.argv[2] if len(sys.argv) > 2 else ""),
                   "schemas": schemas}, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"{len(schemas)} reply schemas written to {os.path.relpath(OUTPUT, ROOT)}")


if __name__ == "__main__":
    main()
