#!/usr/bin/env python3
"""Generates Sources/RedisProvider/Commands/CommandTable+Generated.swift from the server replies
that scripts/capture-command-metadata.sh saved in Data/commands/ (redis-<version>.json,
valkey-<version>.json).

The table is the union of the commands (and subcommands) of every captured server. Where
several servers know a command, the description of the preferred server is used: Valkey
first (the newer server here, 9.1), then Redis; within one kind the newest version. Each
command records which servers know it.

The script stops with an error, rather than generate something wrong, when the data holds
something the hand-written Swift types (CommandMetadata.swift) cannot express: an unknown
command flag, key-spec flag, ACL category or tip, or a key spec that the servers mark
incomplete / unknown / variable_flags on a command that has no reviewed key finder below.

The hand-written types it fills in are in Sources/RedisProvider/Commands/CommandMetadata.swift;
Tests/RedisProviderTests/CommandMetadataTests.swift checks the generated table against the JSON.

Usage:
    python3 scripts/generate-command-table.py            # write the Swift file
    python3 scripts/generate-command-table.py --check    # exit 1 if the file is out of date
    python3 scripts/generate-command-table.py --report   # also list Redis/Valkey differences
"""
import argparse
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA_DIR = os.path.join(ROOT, "Data", "commands")
OUTPUT = os.path.join(ROOT, "Sources", "RedisProvider", "Commands", "CommandTable+Generated.swift")

# Server kinds in order of preference (the first that knows a command describes it).
PREFERENCE = ["valkey", "redis"]
SERVER_KIND_SWIFT = {"redis": ".redis", "valkey": ".valkey"}

COMMAND_FLAGS = {
    "write": "write", "readonly": "readonly", "denyoom": "denyoom", "admin": "admin",
    "pubsub": "pubsub", "noscript": "noscript", "blocking": "blocking", "loading": "loading",
    "stale": "stale", "skip_monitor": "skipMonitor", "skip_slowlog": "skipSlowlog",
    "skip_commandlog": "skipCommandlog", "asking": "asking", "fast": "fast", "no_auth": "noAuth",
    "may_replicate": "mayReplicate", "no_mandatory_keys": "noMandatoryKeys", "no_multi": "noMulti",
    "movablekeys": "movablekeys", "allow_busy": "allowBusy", "no_async_loading": "noAsyncLoading",
    "module": "module",
}
ACL_CATEGORIES = {
    "@keyspace": "keyspace", "@read": "read", "@write": "write", "@set": "set",
    "@sortedset": "sortedSet", "@list": "list", "@hash": "hash", "@string": "string",
    "@bitmap": "bitmap", "@hyperloglog": "hyperloglog", "@geo": "geo", "@stream": "stream",
    "@pubsub": "pubsub", "@admin": "admin", "@fast": "fast", "@slow": "slow",
    "@blocking": "blocking", "@dangerous": "dangerous", "@connection": "connection",
    "@transaction": "transaction", "@scripting": "scripting",
}
KEY_SPEC_FLAGS = {
    "RO": "ro", "RW": "rw", "OW": "ow", "RM": "rm", "access": "access", "update": "update",
    "insert": "insert", "delete": "delete", "not_key": "notKey", "incomplete": "incomplete",
    "variable_flags": "variableFlags",
}
REQUEST_POLICIES = {"all_nodes": "allNodes", "all_shards": "allShards", "multi_shard": "multiShard", "special": "special"}
RESPONSE_POLICIES = {
    "one_succeeded": "oneSucceeded", "all_succeeded": "allSucceeded", "agg_logical_and": "aggLogicalAnd",
    "agg_logical_or": "aggLogicalOr", "agg_min": "aggMin", "agg_max": "aggMax", "agg_sum": "aggSum",
    "special": "special",
}

# Commands whose key specs the servers mark incomplete / unknown (or variable_flags where the
# server's GETKEYS then uses its own key finder and the positions can differ from the specs):
# RedisCommandMetadata mirrors the servers' key finders for them (KeyFinder in
# CommandMetadata.swift). Reviewed against COMMAND GETKEYS by scripts/check-command-keys.py.
KEY_FINDERS = {
    "sort": "sort",
    "sort_ro": "sortReadOnly",
    "migrate": "migrate",
    "georadius": "georadius",
    "georadiusbymember": "georadius",
}
# Commands with variable_flags key specs whose key *positions* are exactly those of the specs
# (only the RO/RW flags vary with the arguments).
SPEC_POSITIONS_EXACT = {"set", "bitfield"}

SWIFT_KEYWORDS = {
    "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init",
    "inout", "internal", "let", "open", "operator", "private", "protocol", "public", "rethrows",
    "static", "struct", "subscript", "typealias", "var", "break", "case", "continue", "default",
    "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return", "switch",
    "where", "while", "as", "catch", "false", "is", "nil", "super", "self", "Self", "throw",
    "throws", "true", "try", "Type", "Protocol", "any", "some",
}


def fail(message):
    sys.exit("generate-command-table: " + message)


def version_key(version):
    return tuple(int(p) if p.isdigit() else 0 for p in re.split(r"[.\-]", version))


def load_sources(data_dir):
    sources = []
    for fn in sorted(os.listdir(data_dir)):
        m = re.fullmatch(r"(redis|valkey)-([0-9][0-9A-Za-z.\-]*)\.json", fn)
        if not m:
            continue
        with open(os.path.join(data_dir, fn)) as f:
            data = json.load(f)
        kind, version = m.group(1), m.group(2)
        if data.get("server") != kind or data.get("version") != version:
            fail("%s says it holds %s %s" % (fn, data.get("server"), data.get("version")))
        info = {}
        for c in data["command_info"]:
            info[c["name"]] = c
        sources.append({"kind": kind, "version": version, "file": fn, "info": info, "docs": data["command_docs"]})
    if not sources:
        fail("no redis-*.json / valkey-*.json in %s: run scripts/capture-command-metadata.sh" % data_dir)
    sources.sort(key=lambda s: (PREFERENCE.index(s["kind"]), tuple(-x for x in version_key(s["version"]))))
    return sources


def swift_string(s):
    out = []
    for ch in s:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20:
            out.append("\\u{%x}" % ord(ch))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def identifier(name):
    parts = [p for p in re.split(r"[|\-_ .]", name) if p]
    ident = parts[0].lower() + "".join(p[:1].upper() + p[1:].lower() for p in parts[1:])
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", ident):
        ident = "command_" + re.sub(r"[^A-Za-z0-9_]", "_", name)
    return "`%s`" % ident if ident in SWIFT_KEYWORDS else ident


def option_set(values, mapping, what, command):
    members = []
    for v in values:
        if v not in mapping:
            fail("%s: unknown %s %r; add it to CommandMetadata.swift and to this script" % (command, what, v))
        members.append("." + mapping[v])
    return "[" + ", ".join(members) + "]"


def key_spec_swift(spec, command):
    bs, fk = spec["begin_search"], spec["find_keys"]
    if bs["type"] == "index":
        begin = ".index(%d)" % bs["spec"]["index"]
    elif bs["type"] == "keyword":
        begin = ".keyword(%s, startFrom: %d)" % (swift_string(bs["spec"]["keyword"]), bs["spec"]["startfrom"])
    elif bs["type"] == "unknown":
        begin = ".unknown"
    else:
        fail("%s: unknown begin_search type %r" % (command, bs["type"]))
    if fk["type"] == "range":
        s = fk["spec"]
        find = ".range(lastKey: %d, keyStep: %d, limit: %d)" % (s["lastkey"], s["keystep"], s["limit"])
    elif fk["type"] == "keynum":
        s = fk["spec"]
        find = ".keynum(keyNumIndex: %d, firstKey: %d, keyStep: %d)" % (s["keynumidx"], s["firstkey"], s["keystep"])
    elif fk["type"] == "unknown":
        find = ".unknown"
    else:
        fail("%s: unknown find_keys type %r" % (command, fk["type"]))
    flags = option_set(spec.get("flags", []), KEY_SPEC_FLAGS, "key spec flag", command)
    notes = ", notes: %s" % swift_string(spec["notes"]) if spec.get("notes") else ""
    return "RedisKeySpec(beginSearch: %s, findKeys: %s, flags: %s%s)" % (begin, find, flags, notes)


def key_finder(name, info):
    special = [
        s for s in info["key_specs"]
        if s["begin_search"]["type"] == "unknown" or s["find_keys"]["type"] == "unknown"
        or "incomplete" in s.get("flags", []) or "variable_flags" in s.get("flags", [])
    ]
    if name in KEY_FINDERS:
        return KEY_FINDERS[name]
    if special and name not in SPEC_POSITIONS_EXACT:
        fail("%s: its key specs are incomplete/unknown/variable_flags (%s); compare COMMAND GETKEYS with "
             "the specs, then add a key finder (KEY_FINDERS) or list it in SPEC_POSITIONS_EXACT"
             % (name, json.dumps(special)))
    return None


def docs_for(sources, chosen, name, container):
    order = [chosen] + [s for s in sources if s is not chosen]
    for s in order:
        if container is None:
            d = s["docs"].get(name)
        else:
            d = (s["docs"].get(container) or {}).get("subcommands", {}).get(name)
        if d:
            return d
    return {}


def command_swift(name, info, docs, servers, all_kinds, subcommand_idents, finder):
    args = ["name: %s" % swift_string(name), "arity: %d" % info["arity"]]
    if info["flags"]:
        args.append("flags: " + option_set(info["flags"], COMMAND_FLAGS, "command flag", name))
    if info["acl_categories"]:
        args.append("aclCategories: " + option_set(info["acl_categories"], ACL_CATEGORIES, "ACL category", name))
    if info["first_key"] or info["last_key"] or info["step"]:
        args.append("firstKey: %d, lastKey: %d, keyStep: %d" % (info["first_key"], info["last_key"], info["step"]))
    request = response = None
    nondeterministic = nondeterministic_order = False
    for tip in info["tips"]:
        if tip.startswith("request_policy:"):
            request = tip.split(":", 1)[1]
            if request not in REQUEST_POLICIES:
                fail("%s: unknown request policy %r" % (name, tip))
        elif tip.startswith("response_policy:"):
            response = tip.split(":", 1)[1]
            if response not in RESPONSE_POLICIES:
                fail("%s: unknown response policy %r" % (name, tip))
        elif tip == "nondeterministic_output":
            nondeterministic = True
        elif tip == "nondeterministic_output_order":
            nondeterministic_order = True
        else:
            fail("%s: unknown tip %r; add it to CommandMetadata.swift and to this script" % (name, tip))
    if request:
        args.append("requestPolicy: ." + REQUEST_POLICIES[request])
    if response:
        args.append("responsePolicy: ." + RESPONSE_POLICIES[response])
    if nondeterministic:
        args.append("nondeterministicOutput: true")
    if nondeterministic_order:
        args.append("nondeterministicOutputOrder: true")
    for field, label in [("group", "group"), ("summary", "summary"), ("since", "since"),
                         ("deprecated_since", "deprecatedSince"), ("replaced_by", "replacedBy")]:
        if docs.get(field):
            args.append("%s: %s" % (label, swift_string(docs[field])))
    if servers != all_kinds:
        args.append("servers: [%s]" % ", ".join(SERVER_KIND_SWIFT[k] for k in PREFERENCE if k in servers))
    if finder:
        args.append("keyFinder: ." + finder)
    lines = ["        " + a + "," for a in args]
    if info["key_specs"]:
        lines.append("        keySpecs: [")
        for spec in info["key_specs"]:
            lines.append("            " + key_spec_swift(spec, name) + ",")
        lines.append("        ],")
    if subcommand_idents:
        lines.append("        subcommands: [%s]," % ", ".join(subcommand_idents))
    lines[-1] = lines[-1][:-1]  # no trailing comma after the last argument
    return lines


def build(sources, report):
    all_kinds = {s["kind"] for s in sources}
    top_names = sorted({n for s in sources for n in s["info"]})
    commands = []  # (ident, lines)
    top_idents = []
    used_idents = {}
    differences = []

    def define(name, info, chosen, servers, container, sub_idents):
        ident = identifier(name)
        if ident in used_idents:
            fail("identifier %s used for both %s and %s" % (ident, used_idents[ident], name))
        used_idents[ident] = name
        docs = docs_for(sources, chosen, name, container)
        lines = command_swift(name, info, docs, servers, all_kinds, sub_idents, key_finder(name, info))
        commands.append((ident, name, lines))
        # Differences between servers that know the command.
        for other in sources:
            if other is chosen:
                continue
            o = other["info"].get(name) if container is None else (
                {sc["name"]: sc for sc in (other["info"].get(container) or {}).get("subcommands", [])}.get(name))
            if o is None:
                continue
            # Key positions must agree, so that the one table routes correctly for every server.
            positions = lambda specs: [(x["begin_search"], x["find_keys"]) for x in specs]
            if positions(info["key_specs"]) != positions(o["key_specs"]) and name not in KEY_FINDERS:
                fail("%s: %s %s and %s %s find keys differently; review with scripts/check-command-keys.py and "
                     "add a key finder" % (name, chosen["kind"], chosen["version"], other["kind"], other["version"]))
            for field in ["arity", "flags", "acl_categories", "tips", "key_specs"]:
                a, b = info[field], o[field]
                if field == "key_specs":
                    a = [{k: v for k, v in x.items() if k != "notes"} for x in a]
                    b = [{k: v for k, v in x.items() if k != "notes"} for x in b]
                elif isinstance(a, list):
                    a, b = sorted(a), sorted(b)
                if a != b:
                    differences.append("%s %s: %s %s %s, %s %s %s" % (
                        name, field, chosen["kind"], chosen["version"], json.dumps(a),
                        other["kind"], other["version"], json.dumps(b)))
        return ident

    for name in top_names:
        holders = [s for s in sources if name in s["info"]]
        chosen = holders[0]
        info = chosen["info"][name]
        sub_names = sorted({sc["name"] for s in holders for sc in s["info"][name]["subcommands"]})
        sub_idents = []
        for sub in sub_names:
            sub_holders = [s for s in holders if any(sc["name"] == sub for sc in s["info"][name]["subcommands"])]
            sub_chosen = sub_holders[0]
            sub_info = next(sc for sc in sub_chosen["info"][name]["subcommands"] if sc["name"] == sub)
            if sub_info["subcommands"]:
                fail("%s has subcommands of its own; the table supports one level" % sub)
            sub_idents.append(define(sub, sub_info, sub_chosen, {s["kind"] for s in sub_holders}, name, []))
        top_idents.append(define(name, info, chosen, {s["kind"] for s in holders}, None, sub_idents))

    for name in KEY_FINDERS:
        if not any(name in s["info"] for s in sources):
            print("warning: KEY_FINDERS names %s, which no captured server knows" % name, file=sys.stderr)

    if report:
        print("Differences where several servers know a command (the first one is used):")
        for d in differences:
            print("  " + d)
    return commands, top_idents, differences


def render(sources, commands, top_idents):
    files = ", ".join("Data/commands/" + s["file"] for s in sources)
    out = []
    out.append("// GENERATED FILE - DO NOT EDIT.")
    out.append("//")
    out.append("// Generated by scripts/generate-command-table.py from the COMMAND INFO and COMMAND DOCS replies")
    out.append("// of real servers: %s." % files)
    out.append("// Where several servers know a command, the first of them describes it.")
    out.append("//")
    out.append("// To regenerate:")
    out.append("//   scripts/capture-command-metadata.sh        # capture the servers again (optional)")
    out.append("//   python3 scripts/generate-command-table.py  # rewrite this file")
    out.append("// Tests/RedisProviderTests/CommandMetadataTests.swift checks this table against Data/commands/.")
    out.append("")
    out.append("extension RedisCommandTable {")
    out.append("    /// The servers this table was generated from, preferred first.")
    out.append("    static let generatedSources: [String] = [%s]" % ", ".join(
        swift_string("%s %s" % (s["kind"], s["version"])) for s in sources))
    out.append("")
    # Appends, not one array literal: a literal of hundreds of elements type-checks slowly.
    out.append("    /// Every top-level command, sorted by name.")
    out.append("    static let generatedCommands: [RedisCommandMetadata] = {")
    out.append("        var commands: [RedisCommandMetadata] = []")
    out.append("        commands.reserveCapacity(%d)" % len(top_idents))
    for ident in top_idents:
        out.append("        commands.append(Generated.%s)" % ident)
    out.append("        return commands")
    out.append("    }()")
    out.append("")
    out.append("    /// One constant per command and subcommand (`configGet` is CONFIG GET).")
    out.append("    enum Generated {")
    for ident, name, lines in commands:
        out.append("        static let %s = RedisCommandMetadata(" % ident)
        out.extend("    " + l for l in lines)
        out.append("        )")
    out.append("    }")
    out.append("}")
    return "\n".join(out) + "\n"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", default=DATA_DIR)
    p.add_argument("--output", default=OUTPUT)
    p.add_argument("--check", action="store_true", help="exit 1 if the output file is not up to date")
    p.add_argument("--report", action="store_true", help="list where the servers describe a command differently")
    args = p.parse_args()

    sources = load_sources(args.data_dir)
    commands, top_idents, differences = build(sources, args.report)
    text = render(sources, commands, top_idents)
    n_sub = len(commands) - len(top_idents)
    if args.check:
        current = open(args.output).read() if os.path.exists(args.output) else ""
        if current != text:
            sys.exit("%s is out of date: run python3 scripts/generate-command-table.py" % args.output)
        print("%s is up to date" % os.path.relpath(args.output, ROOT))
        return
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output, "w") as f:
        f.write(text)
    print("wrote %s: %d commands, %d subcommands from %s (%d differences between servers; --report lists them)" % (
        os.path.relpath(args.output, ROOT), len(top_idents), n_sub,
        ", ".join("%s %s" % (s["kind"], s["version"]) for s in sources), len(differences)))


if __name__ == "__main__":
    main()
