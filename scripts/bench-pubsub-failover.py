#!/usr/bin/env python3
"""Sharded pub/sub through a failover, timed: how long after a primary's kill -9 the first
message published on its shard reaches a redis-provider subscriber again, next to when the
promoted replica reports role master and cluster_state:ok.

The publisher sends SPUBLISH every 2 ms straight to the shard's primary, and after the kill to
its replica (a replica passes sharded messages on to its shard's subscribers, so publishing
never stops), so that what is measured is the subscriber. Run by scripts/bench-pubsub-failover.sh,
which starts the cluster. Arguments: the redis-provider binary, the cluster URL, the ports.
"""
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

binary, url, ports = sys.argv[1], sys.argv[2], [int(p) for p in sys.argv[3].split(",")]
CHANNEL = "{a}ch"  # slot 15495


def command(port, *args, timeout=0.2):
    """One command on a fresh loopback connection; a bulk or simple reply's text, or None."""
    words = [str(a).encode() for a in args]
    request = b"*%d\r\n" % len(words) + b"".join(b"$%d\r\n%s\r\n" % (len(w), w) for w in words)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(request)
            data = b""
            while b"\r\n" not in data:
                chunk = s.recv(65536)
                if not chunk:
                    return None
                data += chunk
            header, _, rest = data.partition(b"\r\n")
            if not header.startswith(b"$"):
                return header.decode(errors="replace")  # with its type: +OK, -MOVED …, :1
            length = int(header[1:])
            while len(rest) < length:
                chunk = s.recv(65536)
                if not chunk:
                    return None
                rest += chunk
            return rest[:length].decode(errors="replace")
    except (OSError, ValueError):
        return None


def owner(slot):
    for p in ports:
        text = command(p, "CLUSTER", "NODES") or ""
        for line in text.split("\n"):
            fields = line.split()
            if len(fields) > 8 and "myself" in fields[2] and "master" in fields[2]:
                for r in fields[8:]:
                    lo, _, hi = r.partition("-")
                    if lo.isdigit() and int(lo) <= slot <= int(hi or lo):
                        return p
    return None


def main():
    received = []  # (monotonic time, payload)
    sub = subprocess.Popen([binary, "ssubscribe", "--url", url, "--raw", CHANNEL], stdout=subprocess.PIPE, text=True)

    def read():
        for line in sub.stdout:
            line = line.strip()
            if line.startswith("seq-"):
                received.append((time.monotonic(), line))

    threading.Thread(target=read, daemon=True).start()
    victim = owner(15495)
    replica = None
    for p in ports:
        info = command(p, "INFO", "replication") or ""
        if "role:slave" in info and f"master_port:{victim}" in info:
            replica = p
    target = [victim]
    stop = threading.Event()
    published = [0]

    def publish():
        n = 0
        while not stop.is_set():
            n += 1
            published[0] = n
            command(target[0], "SPUBLISH", CHANNEL, f"seq-{n}", timeout=0.05)
            time.sleep(0.002)

    time.sleep(1.5)
    threading.Thread(target=publish, daemon=True).start()
    time.sleep(1.0)
    if not received:
        print("the subscriber received nothing before the kill", file=sys.stderr)
        sys.exit(1)
    pid = int(re.search(r"process_id:(\d+)", command(victim, "INFO", "server") or "").group(1))
    cut = published[0]  # messages published from now on could not reach the killed node
    killed = time.monotonic()
    target[0] = replica
    subprocess.run(["kill", "-9", str(pid)])
    promoted = state_ok = None
    deadline = killed + 30
    while time.monotonic() < deadline and (promoted is None or state_ok is None):
        if promoted is None and "role:master" in (command(replica, "INFO", "replication") or ""):
            promoted = time.monotonic()
        if promoted is not None and state_ok is None and "cluster_state:ok" in (command(replica, "CLUSTER", "INFO") or ""):
            state_ok = time.monotonic()
        time.sleep(0.002)
    time.sleep(2)
    stop.set()
    sub.send_signal(signal.SIGINT)
    first = next((t for t, payload in received if int(payload[4:]) > cut + 1), None)
    ms = lambda t: f"{(t - killed) * 1000:.0f} ms" if t else "never"
    print(f"kill -9 of the primary of slot 15495 at 0 ms; replica role:master at {ms(promoted)}; "
          f"cluster_state:ok at {ms(state_ok)}; first message received again at {ms(first)}"
          + (f" ({(first - state_ok) * 1000:+.0f} ms after cluster_state:ok)" if first and state_ok else ""))


main()
