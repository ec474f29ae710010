#!/usr/bin/env python3
"""Generates a typed method for every command the captured servers know, from their COMMAND
DOCS (Data/commands/redis-*.json, valkey-*.json: arguments, summary, complexity, since) and the
reply shapes of Data/commands/reply-schemas.json (scripts/capture-reply-schemas.py):

  Sources/RedisProvider/Commands/Generated/Commands+<Group>+Generated.swift   methods on RedisCommandExecutor
  Sources/RedisProvider/Commands/Generated/RedisArguments+Generated.swift   the options' enums
  Tests/RedisProviderTests/Generated/GeneratedCommandSamples.swift   one sample call per method

A command that has a hand-written method of the same name (or one listed in HAND_WRITTEN)
keeps it; commands that take over or change the state of a connection are left to the
session APIs (SKIPPED). Rerunnable: the output depends only on the data files and the
hand-written sources' method names.

Usage:
    python3 scripts/generate-commands.py            # write the files
    python3 scripts/generate-commands.py --check    # exit 1 if they are out of date
"""
import argparse
import glob
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA_DIR = os.path.join(ROOT, "Data", "commands")
SOURCES = os.path.join(ROOT, "Sources", "RedisProvider")
OUT_DIR = os.path.join(SOURCES, "Commands", "Generated")
SAMPLES = os.path.join(ROOT, "Tests", "RedisProviderTests", "Generated", "GeneratedCommandSamples.swift")

# Commands that take over the connection, change its state, wait for its own writes, or are
# internal to replication and the cluster bus: the session APIs (withDedicatedConnection,
# transaction, subscribe) cover the ones applications use.
SKIPPED = {
    "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe", "monitor",
    "sync", "psync", "replconf", "multi", "exec", "discard", "watch", "unwatch", "select", "reset", "quit",
    "hello", "auth", "asking", "readonly", "readwrite", "client|reply", "client|tracking", "wait", "waitaof",
    "restore-asking", "pfselftest", "pfdebug", "shutdown", "debug", "cluster|setslot", "cluster|forget",
}
# Hand-written methods under another name than the generated one would have.
HAND_WRITTEN = {"zrangebyscore": "zrangeByScore", "client|id": "clientID", "xgroup|create": "xgroupCreate",
                "xgroup|destroy": "xgroupDestroy"}
# Optional arguments the samples (the key-position test) give anyway, where the server needs
# them for the command to be complete.
SAMPLE_OPTIONALS = {"pfmerge": {"sourcekey"}, "geosearch": {"from"}, "geosearchstore": {"from"}}
# Reply shapes of commands newer than the captured schemas.
EXTRA_REPLIES = {
    "delifeq": {"type": "integer"},
    "hsetex": {"type": "integer"},
    "hgetex": {"type": "array", "items": {"oneOf": [{"type": "string"}, {"type": "null"}]}},
    "hgetdel": {"type": "array", "items": {"oneOf": [{"type": "string"}, {"type": "null"}]}},
    "hexpire": {"type": "array", "items": {"type": "integer"}},
    "hpexpire": {"type": "array", "items": {"type": "integer"}},
    "hexpireat": {"type": "array", "items": {"type": "integer"}},
    "hpexpireat": {"type": "array", "items": {"type": "integer"}},
    "hpersist": {"type": "array", "items": {"type": "integer"}},
    "httl": {"type": "array", "items": {"type": "integer"}},
    "hpttl": {"type": "array", "items": {"type": "integer"}},
    "hexpiretime": {"type": "array", "items": {"type": "integer"}},
    "hpexpiretime": {"type": "array", "items": {"type": "integer"}},
}
SWIFT_KEYWORDS = {
    "as", "break", "case", "catch", "class", "continue", "default", "defer", "do", "else", "enum", "extension",
    "fallthrough", "false", "for", "func", "guard", "if", "import", "in", "init", "inout", "internal", "is", "let",
    "nil", "operator", "private", "protocol", "public", "repeat", "rethrows", "return", "self", "Self", "static",
    "struct", "subscript", "super", "switch", "throw", "throws", "true", "try", "var", "where", "while", "Type",
    "any", "some",
}
VALUE = "any RESPArgumentEncodable & Sendable"


def fail(message):
    sys.exit("generate-commands: " + message)


def words(name):
    return [w for w in re.split(r"[^A-Za-z0-9]+", name) if w]


def lower_camel(name):
    ws = words(name.lower())
    if not ws:
        fail(f"no identifier in {name!r}")
    ident = ws[0] + "".join(w.capitalize() for w in ws[1:])
    if ident[0].isdigit():
        ident = "n" + ident
    return ident


def upper_camel(name):
    ident = "".join(w.capitalize() for w in words(name.lower()))
    return ("N" + ident) if ident[0].isdigit() else ident


def escaped(ident):
    return f"`{ident}`" if ident in SWIFT_KEYWORDS else ident


def swift_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def load_docs():
    """COMMAND DOCS of every captured server: {name: (docs, [kinds])}, Valkey's preferred."""
    merged = {}
    for path in sorted(glob.glob(os.path.join(DATA_DIR, "*.json")), key=lambda p: "valkey" not in p):
        base = os.path.basename(path)
        if base == "reply-schemas.json":
            continue
        kind = base.split("-")[0]
        with open(path) as f:
            data = json.load(f)

        def visit(name, docs):
            entry = merged.setdefault(name, [docs, []])
            if kind not in entry[1]:
                entry[1].append(kind)
            for sub, subdocs in (docs.get("subcommands") or {}).items():
                visit(sub.lower(), subdocs)

        for name, docs in data["command_docs"].items():
            visit(name.lower(), docs)
    return merged


def hand_written_names():
    names = set()
    for path in glob.glob(os.path.join(SOURCES, "**", "*.swift"), recursive=True):
        if os.path.commonpath([path, OUT_DIR]) == OUT_DIR:
            continue
        with open(path) as f:
            names.update(re.findall(r"public func (\w+)\s*[<(]", f.read()))
    return names


class Context:
    """What one command's generation collects: enum declarations and a counter for samples."""

    def __init__(self, command):
        self.command = command
        self.namespace = "RedisArguments." + upper_camel(command)
        self.enums = []
        self.enum_names = set()
        self.sample_keys = []


def is_optional(arg):
    return "optional" in arg.get("flags", [])


def is_multiple(arg):
    return "multiple" in arg.get("flags", [])


def counts_next(args, i):
    """Whether args[i] is the count of the multiple argument after it (numkeys key…), which
    the generated method fills in itself."""
    arg = args[i]
    return arg["type"] == "integer" and arg["name"].startswith("num") and i + 1 < len(args) and is_multiple(args[i + 1])


def shown(args):
    """The arguments that become parameters or tuple fields: all but the counts."""
    return [a for i, a in enumerate(args) if not counts_next(args, i)]


def element_type(arg, ctx, top_level):
    """The Swift type of one occurrence of `arg` (ignoring optional and multiple)."""
    t = arg["type"]
    if t == "key":
        return "String"
    if t in ("string", "pattern"):
        return VALUE
    if t in ("integer", "unix-time"):
        return "Int"
    if t == "double":
        return "Double"
    if t == "pure-token":
        return "Bool"
    if t == "oneof":
        return declare_enum(arg, ctx)
    if t == "block":
        children = shown(arg["arguments"])
        if len(children) == 1:
            return full_type(children[0], ctx)
        fields = [f"{escaped(field_name(c))}: {full_type(c, ctx)}" for c in children]
        return "(" + ", ".join(fields) + ")"
    fail(f"{ctx.command}: unknown argument type {t}")


def field_name(arg):
    """A parameter or field name: plural for a list."""
    name = lower_camel(arg["name"])
    if not is_multiple(arg) or name.endswith("s") or name.endswith("data"):
        return name
    if name.endswith("y") and name[-2:-1] not in "aeiou":
        return name[:-1] + "ies"
    return name + "s"


def full_type(arg, ctx):
    base = element_type(arg, ctx, False)
    if arg["type"] == "pure-token":
        return "Bool"
    if is_multiple(arg):
        return f"[{base}]"
    if is_optional(arg):
        return f"({base})?" if base.startswith("any ") else base + "?"
    return base


def declare_enum(arg, ctx):
    name = upper_camel(arg["name"])
    if name in ("Type", "Protocol", "Self"):
        name += "Option"
    base, n = name, 2
    while name in ctx.enum_names:
        name = f"{base}{n}"
        n += 1
    ctx.enum_names.add(name)
    lines = [f"    /// {arg['name']} of `{ctx.command.upper().replace('|', ' ')}`.",
             f"    public enum {name}: Sendable {{"]
    cases, encodes, used = [], [], set()
    for alt in arg["arguments"]:
        case = lower_camel(alt["name"])
        while case in used:
            case += "_"
        used.add(case)
        token = alt.get("token")
        if alt["type"] == "pure-token":
            cases.append(f"        case {escaped(case)}")
            encodes.append(f"        case .{escaped(case)}:\n            request.append({swift_string(token)})")
            continue
        value_type = full_type(dict(alt, flags=[f for f in alt.get("flags", []) if f != "optional"]), ctx)
        cases.append(f"        case {escaped(case)}({value_type})")
        body = []
        if token:
            body.append(f"request.append({swift_string(token)})")
        body += encode(dict(alt, token=None, flags=[f for f in alt.get("flags", []) if f != "optional"]), "value", ctx)
        encodes.append(f"        case .{escaped(case)}(let value):\n" + "\n".join("            " + b for b in body))
    lines += cases
    lines.append("")
    lines.append("        func append(to request: inout RESPCommand) {")
    lines.append("            switch self {")
    lines += ["    " + e.replace("\n", "\n    ") for e in encodes]
    lines.append("            }")
    lines.append("        }")
    lines.append("    }")
    ctx.enums.append("\n".join(lines))
    return f"{ctx.namespace}.{name}"


def encode(arg, expr, ctx):
    """Swift statements appending `expr` (of `full_type(arg)`) to `command`."""
    token = arg.get("token")
    t = arg["type"]
    if t == "pure-token":
        return [f"if {expr} {{ request.append({swift_string(token)}) }}"]
    if is_multiple(arg):
        one = dict(arg, flags=[f for f in arg.get("flags", []) if f not in ("multiple", "optional", "multiple_token")], token=None)
        inner = encode(one, "element", ctx)
        body = []
        if token and "multiple_token" in arg.get("flags", []):
            body.append(f"for element in {expr} {{")
            body.append(f"    request.append({swift_string(token)})")
        else:
            if token:
                body.append(f"if !{expr}.isEmpty {{ request.append({swift_string(token)}) }}")
            body.append(f"for element in {expr} {{")
        body += ["    " + line for line in inner]
        body.append("}")
        return body
    if is_optional(arg):
        one = dict(arg, flags=[f for f in arg.get("flags", []) if f != "optional"])
        inner = encode(one, "value", ctx)
        return [f"if let value = {expr} {{"] + ["    " + line for line in inner] + ["}"]
    lines = []
    if token:
        lines.append(f"request.append({swift_string(token)})")
    if t == "oneof":
        lines.append(f"{expr}.append(to: &request)")
    elif t == "block":
        children = arg["arguments"]
        visible = shown(children)
        def path(c):
            return expr if len(visible) == 1 else f"{expr}.{escaped(field_name(c))}"
        for i, c in enumerate(children):
            if counts_next(children, i):
                lines.append(f"request.append({path(children[i + 1])}.count)")
            else:
                lines += encode(c, path(c), ctx)
    else:
        lines.append(f"request.append({expr})")
    return lines


def sample(arg, ctx):
    """A Swift expression of `full_type(arg)` for the samples: required parts only."""
    t = arg["type"]
    if t == "pure-token":
        return "false"
    if is_optional(arg) and arg["name"] not in SAMPLE_OPTIONALS.get(ctx.command, ()):
        return "[]" if is_multiple(arg) else "nil"
    one = dict(arg, flags=[])
    value = sample_one(one, ctx)
    return f"[{value}]" if is_multiple(arg) else value


def sample_one(arg, ctx):
    t = arg["type"]
    if t == "key":
        key = f"key:{len(ctx.sample_keys)}"
        ctx.sample_keys.append(key)
        return swift_string(key)
    if t in ("string", "pattern"):
        return '"v"'
    if t in ("integer", "unix-time"):
        return "1"
    if t == "double":
        return "1.5"
    if t == "oneof":
        alt = arg["arguments"][0]
        case = escaped(lower_camel(alt["name"]))
        if alt["type"] == "pure-token":
            return f".{case}"
        return f".{case}({sample(dict(alt, flags=[f for f in alt.get('flags', []) if f != 'optional']), ctx)})"
    if t == "block":
        children = shown(arg["arguments"])
        if len(children) == 1:
            return sample(children[0], ctx)
        return "(" + ", ".join(f"{escaped(field_name(c))}: {sample(c, ctx)}" for c in children) + ")"
    fail(f"{ctx.command}: no sample for {t}")


def reply_type(schema):
    """(Swift type, how to get it) for a reply schema; RESPValue when the shape is not simple."""
    def simple(s):
        if not isinstance(s, dict) or not s:
            return None
        if "const" in s:
            c = s["const"]
            return "Int" if isinstance(c, int) else ("Void" if c == "OK" else "ByteBuffer")
        t = s.get("type")
        if t == "integer":
            return "Int"
        if t == "number":
            return "Double"
        if t == "string":
            return "ByteBuffer"
        if t == "null":
            return "null"
        if t == "array" and isinstance(s.get("items"), dict):
            inner = simple(s["items"])
            if inner in ("Int", "Double", "ByteBuffer", "ByteBuffer?", "Int?", "Double?"):
                return f"[{inner}]"
        for combinator in ("oneOf", "anyOf"):
            if combinator in s:
                kinds = [simple(x) for x in s[combinator]]
                if None in kinds:
                    return None
                nullable = "null" in kinds
                rest = sorted(set(k for k in kinds if k != "null"))
                if len(rest) == 1 and rest[0] in ("Int", "Double", "ByteBuffer"):
                    return rest[0] + ("?" if nullable else "")
                if len(rest) == 1 and rest[0] == "Void" and not nullable:
                    return "Void"
                return None
        return None

    kind = simple(schema) if schema is not None else None
    if kind in (None, "null"):
        return "RESPValue"
    return kind


def method(name, docs, kinds, schema, names_taken):
    ctx = Context(name)
    ident = lower_camel(name)
    parts = name.upper().split("|")
    args = docs.get("arguments", [])
    params, body, sample_args = [], [], []
    labels = {"request"}  # the local the command is built in
    first_key_unlabeled = bool(args) and args[0]["type"] == "key" and not is_optional(args[0])
    names = {}
    for i, arg in enumerate(args):
        if not counts_next(args, i):
            names[i] = label_for(arg, labels)
    for i, arg in enumerate(args):
        if counts_next(args, i):
            body.append(f"request.append({escaped(names[i + 1])}.count)")
            continue
        label = names[i]
        swift_type = full_type(arg, ctx)
        default = ""
        if arg["type"] == "pure-token":
            default = " = false"
        elif is_optional(arg):
            default = " = []" if is_multiple(arg) else " = nil"
        if swift_type == VALUE:
            swift_type = "some RESPArgumentEncodable"
        unlabeled = i == 0 and first_key_unlabeled
        params.append(f"{'_ ' if unlabeled else ''}{escaped(label)}: {swift_type}{default}")
        body += encode(arg, escaped(label), ctx)
        sample_args.append(("" if unlabeled else f"{escaped(label)}: ") + sample(arg, ctx))
    returns = reply_type(schema)
    header = [f"    /// {docs.get('summary', name.upper())}", "    ///",
              f"    /// `{' '.join(parts)}`" + (f" — complexity {docs['complexity']}" if docs.get("complexity") else "")
              + (f"; since {docs['since']}." if docs.get("since") else ".")]
    servers = {"redis": "Redis", "valkey": "Valkey"}
    if len(kinds) == 1:
        header.append(f"    /// Only {servers[kinds[0]]} has it (of Redis 7.0 and Valkey 9.1).")
    if "deprecated" in docs.get("doc_flags", []):
        header.append(f"    /// Deprecated by the server" + (f": use {docs['replaced_by']}." if docs.get("replaced_by") else "."))
    signature = f"nonisolated(nonsending) public func {escaped(ident)}({', '.join(params)}) async throws(RedisError)"
    init = f"var request = RESPCommand({', '.join(swift_string(p) for p in parts)})" if body else \
        f"let request = RESPCommand({', '.join(swift_string(p) for p in parts)})"
    lines = header
    if returns == "Void":
        lines.append(f"    {signature} {{")
        lines += ["        " + init] + ["        " + b for b in body]
        lines.append("        _ = try await execute(request)")
    elif returns == "RESPValue":
        lines.append("    @discardableResult")
        lines.append(f"    {signature} -> RESPValue {{")
        lines += ["        " + init] + ["        " + b for b in body]
        lines.append("        return try await execute(request)")
    else:
        lines.append("    @discardableResult")
        lines.append(f"    {signature} -> {returns} {{")
        lines += ["        " + init] + ["        " + b for b in body]
        lines.append(f"        return try await execute(request, as: {returns}.self)")
    lines.append("    }")
    sample_line = (f"        GeneratedCommandSample({swift_string(name)}, servers: {json.dumps(sorted(kinds))}, "
                   f"keys: {json.dumps(ctx.sample_keys)}) {{ r in try await r.{escaped(ident)}({', '.join(sample_args)}) }},")
    return ident, "\n".join(lines), ctx.enums, sample_line


def label_for(arg, labels):
    label = field_name(arg)
    base, n = label, 2
    while label in labels:
        label = f"{base}{n}"
        n += 1
    labels.add(label)
    return label


HEADER = """// GENERATED FILE - DO NOT EDIT.
//
// Generated by scripts/generate-commands.py from Data/commands/ (COMMAND DOCS of Redis 7.0
// and Valkey 9.1, reply shapes from Valkey's command definitions). To regenerate:
//   python3 scripts/generate-commands.py
"""


def build():
    merged = load_docs()
    with open(os.path.join(DATA_DIR, "reply-schemas.json")) as f:
        schemas = json.load(f)["schemas"]
    schemas.update(EXTRA_REPLIES)
    taken = hand_written_names()
    groups, enums, samples = {}, [], []
    for name in sorted(merged):
        docs, kinds = merged[name]
        if name in SKIPPED or name.endswith("|help") or name in HAND_WRITTEN or docs.get("subcommands"):
            continue
        if lower_camel(name) in taken:
            continue
        ident, text, command_enums, sample_line = method(name, docs, kinds, schemas.get(name), taken)
        group = docs.get("group", "generic")
        groups.setdefault(group, []).append(text)
        if command_enums:
            enums.append(f"extension RedisArguments {{\n    /// The options of `{name.upper().replace('|', ' ')}`.\n"
                         f"    public enum {upper_camel(name)} {{\n"
                         + "\n\n".join("\n".join("    " + l if l else l for l in e.split("\n")) for e in command_enums)
                         + "\n    }\n}")
        samples.append(sample_line)
    files = {}
    for group, methods in sorted(groups.items()):
        title = upper_camel(group)
        files[os.path.join(OUT_DIR, f"Commands+{title}+Generated.swift")] = (
            HEADER + "\nimport NIOCore\nimport RESP\n\n"
            + f"/// The {group} commands without a hand-written method, typed from the servers' own documentation.\n"
            + "extension RedisCommandExecutor {\n" + "\n\n".join(methods) + "\n}\n")
    files[os.path.join(OUT_DIR, "RedisArguments+Generated.swift")] = (
        HEADER + "\nimport RESP\n\n" + "\n\n".join(enums) + "\n")
    files[SAMPLES] = (
        HEADER + "\nimport RedisProvider\n\n"
        + "/// One call of every generated command with its required arguments, and the keys it passes.\n"
        + "let generatedCommandSamples: [GeneratedCommandSample] = [\n" + "\n".join(samples) + "\n]\n")
    return files


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true", help="exit 1 if the generated files are out of date")
    options = parser.parse_args()
    files = build()
    stale = []
    existing = set(glob.glob(os.path.join(OUT_DIR, "*.swift")))
    for path, text in files.items():
        current = open(path).read() if os.path.exists(path) else None
        if current != text:
            stale.append(path)
            if not options.check:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w") as f:
                    f.write(text)
    for path in existing - set(files):
        stale.append(path)
        if not options.check:
            os.remove(path)
    if options.check:
        if stale:
            print("Out of date (run python3 scripts/generate-commands.py):", *[os.path.relpath(p, ROOT) for p in stale], sep="\n  ")
            sys.exit(1)
        print("generated commands are up to date")
    else:
        print(f"{sum(t.count('public func ') for p, t in files.items() if p != SAMPLES)} commands, {len(stale)} files written")


if __name__ == "__main__":
    main()
