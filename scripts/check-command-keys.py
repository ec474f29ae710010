#!/usr/bin/env python3
"""Checks key positions of sample command lines against a real server's COMMAND GETKEYS.

The samples below are the expected results recorded in
Tests/RedisProviderTests/CommandMetadataTests.swift (`serverVerifiedSamples`). This script
asks a running server (`--port`, always on 127.0.0.1) for `COMMAND GETKEYS <argv...>` of
each sample, turns the returned key names into argv indices, and compares them with the
expectation for that server kind. A server error (unknown command, wrong arity, "no key
arguments", "invalid arguments") counts as "no keys".

Every key name in a sample appears exactly once in its argv, so names map to indices.

Run by scripts/capture-command-metadata.sh against each server it starts, or by hand:
    python3 scripts/check-command-keys.py --port 6379
    python3 scripts/check-command-keys.py --update-swift-test   # rewrite the Swift test table
Exit status 1 when any server answer differs from the expectation.

With --corpus FILE it also writes a differential corpus: for every command and subcommand
the server knows, argvs of 0-13 arguments made of fresh names, numbers and option keywords
(seeded, so reproducible), each with the server's GETKEYS answer (key indices, or the error).
The Swift test "key indices match a COMMAND GETKEYS corpus" compares against it when
REDIS_COMMAND_KEYS_CORPUS names the file (several files: separate them with ':').
"""
import argparse
import json
import os
import random
import socket
import sys

# (argv, expected key indices, {server kind: indices where that server differs})
# argv[0] is the command name, as in Redis. Indices are in the order the server reports.
SAMPLES = [
    (["GET", "k1"], [1], {}),
    (["get", "k1"], [1], {}),
    (["SET", "k1", "v"], [1], {}),
    (["SET", "k1", "v", "NX", "GET", "EX", "10"], [1], {}),
    (["MGET", "k1", "k2", "k3"], [1, 2, 3], {}),
    (["MSET", "k1", "v1", "k2", "v2"], [1, 3], {}),
    (["MSET", "k1", "v1", "k2"], [1, 3], {}),
    (["MSETNX", "k1", "v1", "k2", "v2"], [1, 3], {}),
    (["DEL", "k1", "k2", "k3"], [1, 2, 3], {}),
    (["UNLINK", "k1"], [1], {}),
    (["EXISTS", "k1", "k2"], [1, 2], {}),
    (["RENAME", "k1", "k2"], [1, 2], {}),
    (["COPY", "k1", "k2", "REPLACE"], [1, 2], {}),
    (["LMOVE", "k1", "k2", "LEFT", "RIGHT"], [1, 2], {}),
    (["BLPOP", "k1", "k2", "0"], [1, 2], {}),
    (["BRPOPLPUSH", "k1", "k2", "0"], [1, 2], {}),
    (["BITOP", "AND", "dst", "k1", "k2"], [2, 3, 4], {}),
    (["PFMERGE", "dst", "k1", "k2"], [1, 2, 3], {}),
    (["WATCH", "k1", "k2"], [1, 2], {}),
    (["EVAL", "return 1", "2", "k1", "k2", "arg"], [3, 4], {}),
    (["EVAL", "return 1", "0", "arg"], [], {}),
    (["EVALSHA", "0123456789abcdef0123456789abcdef01234567", "1", "k1", "arg"], [3], {}),
    (["EVAL_RO", "return 1", "1", "k1"], [3], {}),
    (["FCALL", "fn", "2", "k1", "k2", "arg"], [3, 4], {}),
    (["FCALL_RO", "fn", "1", "k1"], [3], {}),
    (["ZUNIONSTORE", "dst", "2", "k1", "k2", "WEIGHTS", "1", "2"], [1, 3, 4], {}),
    (["ZINTERSTORE", "dst", "1", "k1"], [1, 3], {}),
    (["ZUNION", "2", "k1", "k2", "WITHSCORES"], [2, 3], {}),
    (["ZDIFFSTORE", "dst", "2", "k1", "k2"], [1, 3, 4], {}),
    (["SINTERCARD", "2", "k1", "k2", "LIMIT", "1"], [2, 3], {}),
    (["XREAD", "COUNT", "2", "STREAMS", "s1", "s2", "0", "0"], [4, 5], {}),
    (["XREAD", "BLOCK", "0", "STREAMS", "s1", "$"], [4], {}),
    (["xread", "streams", "s1", "0"], [2], {}),
    # An odd number of streams and IDs: the key spec still takes the first half, rounded down.
    (["XREAD", "STREAMS", "s1", "s2", "s3"], [2], {}),
    (["XREADGROUP", "GROUP", "streams", "c", "STREAMS", "s1", "0"], [5], {}),
    (["XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "s1", "s2", ">", ">"], [7, 8], {}),
    (["MIGRATE", "127.0.0.1", "6379", "k1", "0", "5000"], [3], {}),
    (["MIGRATE", "127.0.0.1", "6379", "", "0", "5000", "KEYS", "k1", "k2"], [7, 8], {}),
    (["MIGRATE", "127.0.0.1", "6379", "", "0", "5000", "COPY", "REPLACE", "AUTH", "pw", "KEYS", "k1", "k2"], [11, 12], {}),
    (["MIGRATE", "127.0.0.1", "6379", "", "0", "5000", "AUTH2", "user", "keys", "KEYS", "k1"], [10], {}),
    # KEYS as the last argument: outside the key spec's search range, the spec's argv[3] stays.
    (["MIGRATE", "127.0.0.1", "6379", "", "0", "5000", "KEYS"], [3], {}),
    (["MIGRATE", "127.0.0.1", "6379", "k1", "0", "5000", "REPLACE", "KEYS"], [3], {}),
    (["SORT", "k1"], [1], {}),
    (["SORT", "k1", "STORE", "dst"], [1, 3], {}),
    (["SORT", "k1", "BY", "w_*", "GET", "o_*", "LIMIT", "0", "10", "ALPHA", "STORE", "dst"], [1, 11], {}),
    (["SORT", "k1", "GET", "store", "STORE", "dst"], [1, 5], {}),
    (["SORT_RO", "k1", "BY", "w_*"], [1], {}),
    (["LMPOP", "2", "k1", "k2", "LEFT", "COUNT", "1"], [2, 3], {}),
    (["BLMPOP", "0", "2", "k1", "k2", "LEFT"], [3, 4], {}),
    (["ZMPOP", "1", "k1", "MIN"], [2], {}),
    (["BZMPOP", "0", "2", "k1", "k2", "MAX"], [3, 4], {}),
    (["GEORADIUS", "k1", "15", "37", "200", "km", "WITHDIST"], [1], {}),
    (["GEORADIUS", "k1", "15", "37", "200", "km", "STORE", "dst"], [1, 7], {}),
    (["GEORADIUS", "k1", "15", "37", "200", "km", "COUNT", "5", "STOREDIST", "dst"], [1, 9], {}),
    # Both STORE and STOREDIST: the server stores into the last one. Valkey 9.1's GETKEYS uses
    # its georadius key finder (its specs are VARIABLE_FLAGS); Redis 7.0 walks its key specs.
    (["GEORADIUS", "k1", "15", "37", "200", "km", "STORE", "d1", "STOREDIST", "d2"], [1, 9], {"redis": [1, 7, 9]}),
    (["GEORADIUSBYMEMBER", "k1", "m", "200", "km", "STORE", "dst"], [1, 6], {}),
    (["GEORADIUS_RO", "k1", "15", "37", "200", "km"], [1], {}),
    (["GEOSEARCHSTORE", "dst", "src", "FROMMEMBER", "m", "BYRADIUS", "1", "km"], [1, 2], {}),
    (["OBJECT", "ENCODING", "k1"], [2], {}),
    (["object", "freq", "k1"], [2], {}),
    (["XINFO", "STREAM", "s1", "FULL"], [2], {}),
    (["XINFO", "GROUPS", "s1"], [2], {}),
    (["XINFO", "CONSUMERS", "s1", "g"], [2], {}),
    (["XGROUP", "CREATE", "s1", "g", "$", "MKSTREAM"], [2], {}),
    (["MEMORY", "USAGE", "k1", "SAMPLES", "5"], [2], {}),
    (["XADD", "s1", "*", "f", "v"], [1], {}),
    (["BITFIELD", "k1", "GET", "u8", "0"], [1], {}),
    (["CONFIG", "GET", "maxmemory"], [], {}),
    (["OBJECT", "HELP"], [], {}),
    (["PING"], [], {}),
    (["KEYS", "*"], [], {}),
    (["DBSIZE"], [], {}),
    (["SCRIPT", "LOAD", "return 1"], [], {}),
    (["PUBLISH", "ch", "msg"], [], {}),
    # Shard channels are "not_key" key specs: GETKEYS leaves them out.
    (["SPUBLISH", "ch", "msg"], [], {}),
    (["NOSUCHCOMMAND", "k1"], [], {}),
    # Valkey-only commands (unknown to Redis 7.0).
    (["HGETEX", "k1", "EX", "10", "FIELDS", "1", "f"], [1], {"redis": []}),
    (["HEXPIRE", "k1", "10", "FIELDS", "1", "f"], [1], {"redis": []}),
    (["DELIFEQ", "k1", "v"], [1], {"redis": []}),
    # MSETEX numkeys key value ...: a keynum spec with step 2, where numkeys counts key/value pairs.
    (["MSETEX", "2", "k1", "v1", "k2", "v2", "EX", "10"], [2, 4], {"redis": []}),
    # Malformed lines: the server reports an error, so no keys.
    (["GET"], [], {}),
    (["EVAL", "return 1", "5", "k1"], [], {}),
    (["EVAL", "return 1", "notanumber", "k1"], [], {}),
    (["EVAL", "return 1", "-1", "k1"], [], {}),
    (["LMPOP", "99999999999999999999", "k1", "LEFT"], [], {}),
    (["XREAD", "STREAMS"], [], {}),
    (["XREAD", "COUNT", "1", "s1", "0"], [], {}),
]


class RESP:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.file = self.sock.makefile("rb")

    def call(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a.encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(out)
        return self.read()

    def read(self):
        line = self.file.readline()
        if not line.endswith(b"\r\n"):
            raise EOFError("connection closed")
        t, rest = line[:1], line[1:-2]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            return RuntimeError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self.file.read(n + 2)[:-2].decode()
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise RuntimeError("unexpected RESP2 type %r" % t)


def server_kind(c):
    info = c.call("INFO", "server")
    fields = dict(l.split(":", 1) for l in info.splitlines() if ":" in l)
    kind = fields.get("server_name") or ("valkey" if "valkey_version" in fields else "redis")
    return kind, fields.get("valkey_version") or fields["redis_version"]


def getkeys(c, argv):
    reply = c.call("COMMAND", "GETKEYS", *argv)
    if isinstance(reply, Exception):
        return [], str(reply)
    indices = []
    for name in reply:
        positions = [i for i, a in enumerate(argv) if i > 0 and a == name]
        if len(positions) != 1:
            raise SystemExit("sample %r: key %r is not unique in argv" % (argv, name))
        indices.append(positions[0])
    return indices, None


CORPUS_WORDS = [
    "0", "1", "2", "3", "-1", "99", "", "STORE", "STOREDIST", "KEYS", "STREAMS", "LIMIT", "GET", "BY",
    "AUTH", "AUTH2", "COPY", "REPLACE", "FIELDS", "store", "keys", "streams", "WITHSCORES", "COUNT",
    "BLOCK", "GROUP",
]


def write_corpus(c, kind, version, path, per_shape):
    names = []
    for entry in c.call("COMMAND"):
        names.append([entry[0]])
        for sub in (entry[9] if len(entry) > 9 else []) or []:
            names.append(sub[0].split("|"))
    rnd = random.Random(20240601)
    cases = []
    for parts in sorted(names):
        for argc in range(len(parts), 14):
            for _ in range(per_shape):
                argv = [p.upper() for p in parts]
                fresh = 0
                while len(argv) < argc:
                    if rnd.random() < 0.5:
                        argv.append("a%d" % fresh)
                        fresh += 1
                    else:
                        argv.append(rnd.choice(CORPUS_WORDS))
                cases.append(argv)
    out = []
    for argv in cases:
        reply = c.call("COMMAND", "GETKEYS", *argv)
        if isinstance(reply, Exception):
            out.append({"argv": argv, "error": str(reply)})
            continue
        indices = []
        for name in reply:
            positions = [i for i, a in enumerate(argv) if i > 0 and a == name]
            if len(positions) != 1:
                indices = None  # a key name that repeats in argv: its index is ambiguous
                break
            indices.append(positions[0])
        if indices is not None:
            out.append({"argv": argv, "keys": indices})
    with open(path, "w") as f:
        json.dump({"server": kind, "version": version, "cases": out}, f, indent=0)
        f.write("\n")
    print("%s %s: corpus of %d argvs (%d with keys) -> %s" % (
        kind, version, len(out), sum(1 for x in out if "keys" in x), path))


def swift_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


SWIFT_TEST = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                          "Tests", "RedisProviderTests", "CommandMetadataTests.swift")
SWIFT_TABLE_START = "    static let serverVerifiedSamples: [CommandKeySample] = [\n"
SWIFT_TABLE_END = "    ]\n"
SERVER_NAMES = {"redis": "Redis 7.0.15", "valkey": "Valkey 9.1.2"}


def swift_table():
    lines = []
    for argv, expected, per_server in SAMPLES:
        note = ""
        if per_server:
            note = "  // " + ", ".join("%s GETKEYS: %s" % (SERVER_NAMES.get(k, k), v) for k, v in per_server.items())
        lines.append("        CommandKeySample([%s], %s),%s" % (", ".join(swift_string(a) for a in argv), expected, note))
    return "\n".join(lines) + "\n"


def update_swift_test(path):
    text = open(path).read()
    start = text.index(SWIFT_TABLE_START) + len(SWIFT_TABLE_START)
    end = text.index(SWIFT_TABLE_END, start)
    updated = text[:start] + swift_table() + text[end:]
    if updated != text:
        with open(path, "w") as f:
            f.write(updated)
    print("%s: %d samples (%s)" % (path, len(SAMPLES), "updated" if updated != text else "already up to date"))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, help="port of a server on 127.0.0.1")
    p.add_argument("--update-swift-test", action="store_true",
                   help="rewrite the sample table in %s from SAMPLES" % os.path.relpath(SWIFT_TEST))
    p.add_argument("--verbose", action="store_true")
    p.add_argument("--corpus", metavar="FILE", help="also write a differential corpus (see above)")
    p.add_argument("--corpus-per-shape", type=int, default=8, help="argvs per command and length")
    args = p.parse_args()
    if args.update_swift_test:
        update_swift_test(SWIFT_TEST)
    if args.port is None:
        if not args.update_swift_test:
            p.error("--port is required")
        return

    c = RESP(args.port)
    kind, version = server_kind(c)
    failures = 0
    for argv, expected, per_server in SAMPLES:
        want = per_server.get(kind, expected)
        got, error = getkeys(c, argv)
        ok = got == want
        failures += not ok
        if args.verbose or not ok:
            print("%s %-4s %-70s -> %s%s (expected %s)" % (
                kind, "ok" if ok else "FAIL", " ".join(a or '""' for a in argv), got,
                "  [%s]" % error if error else "", want))
    print("%s %s: COMMAND GETKEYS checked %d samples: %d passed, %d failed" % (
        kind, version, len(SAMPLES), len(SAMPLES) - failures, failures))
    if args.corpus:
        write_corpus(c, kind, version, args.corpus, args.corpus_per_shape)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
