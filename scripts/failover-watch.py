#!/usr/bin/env python3
"""Watches one replica of a loopback cluster every millisecond: when ROLE first says master
(its promotion) and when INFO commandstats first counts a GET (the first GET it served).
Usage: failover-watch.py PORT OUTPUT.json [SECONDS]; writes wall-clock times (time.time())
when SECONDS (default 30) have passed or on SIGTERM."""
import json, signal, socket, sys, time

port, output = int(sys.argv[1]), sys.argv[2]
limit = time.time() + (float(sys.argv[3]) if len(sys.argv) > 3 else 30)
found = {"promotedAt": None, "firstGetAt": None}
stop = False


def on_term(*_):
    global stop
    stop = True


signal.signal(signal.SIGTERM, on_term)


def read(f):
    line = f.readline()
    kind, rest = line[:1], line[1:-2]
    if kind in (b"+", b"-", b":"):
        return rest.decode()
    if kind == b"$":
        n = int(rest)
        return None if n < 0 else f.read(n + 2)[:-2].decode()
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [read(f) for _ in range(n)]
    raise ValueError(f"unexpected reply {line!r}")


def command(*args):
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


sock = socket.create_connection(("127.0.0.1", port))
f = sock.makefile("rb")
while not stop and time.time() < limit and found["firstGetAt"] is None:
    sock.sendall(command(b"ROLE") + command(b"INFO", b"commandstats"))
    role, stats = read(f), read(f)
    now = time.time()
    if found["promotedAt"] is None and role and role[0] == "master":
        found["promotedAt"] = now
    if found["promotedAt"] is not None and "cmdstat_get:" in stats:
        found["firstGetAt"] = now
    time.sleep(0.001)
json.dump(found, open(output, "w"))
