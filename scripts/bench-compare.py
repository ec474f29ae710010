"""Driver of scripts/bench-compare.sh: runs every mode against the servers it is given and
prints medians as a table. Arguments: BINARY STANDALONE_PORT STANDALONE_PID CLUSTER_URL CLUSTER_PIDS..."""
import json, os, re, resource, statistics, subprocess, sys, time

binary, sport, spid, curl = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
cpids = [int(p) for p in sys.argv[5:]]
rounds = int(os.environ.get("ROUNDS", "3"))
n = int(os.environ.get("REQUESTS", "400000"))
chost, cport = re.search(r"redis://([^:,/?]+):(\d+)", curl).groups()
targets = {
    "standalone": ("redis://127.0.0.1:" + sport, ["-h", "127.0.0.1", "-p", sport], [spid]),
    "cluster": (curl, ["-h", chost, "-p", cport, "--cluster"], cpids),
}
common = ["-c", "50", "-d", "16", "-r", "100000"]


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(cmd, pids):
    """Runs cmd; returns its stdout, the child's CPU seconds and the servers' CPU seconds."""
    before = sum(cpu_seconds(p) for p in pids)
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    client = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return out, client, sum(cpu_seconds(p) for p in pids) - before


def redis_benchmark(target, test, extra, requests, flags=common):
    _, args, pids = targets[target]
    out, client, server = measured(["redis-benchmark", *args, *flags, "-n", str(requests), "-t", test, "--csv", *extra], pids)
    for line in out.splitlines():
        f = [x.strip('"') for x in line.split(",")]
        if f[0].upper() == test.upper():
            rps = float(f[1])
            return dict(rps=rps, p99=float(f[6]), client_us=client / requests * 1e6, server_us=server / requests * 1e6)
    raise SystemExit(f"redis-benchmark printed no {test} line: {out}")


def ours(target, test, extra, requests, flags=common):
    u, _, pids = targets[target]
    out, client, server = measured([binary, "bench", "--url", u, *flags, "-n", str(requests), "-t", test, "--json", *extra], pids)
    report = json.loads(out)
    r = report["results"][0]
    m = dict(rps=r["requestsPerSecond"], p99=r["p99Milliseconds"], client_us=client / requests * 1e6,
             server_us=server / requests * 1e6, errors=sum(r["errors"].values()))
    if report.get("waitingCallers"):
        m["waiting"] = report["waitingCallers"]
    return m


rows = {}  # (target, test, mode) -> list of measurements
def add(key, m):
    rows.setdefault(key, []).append(m)
    print(" ".join(key), f"{m['rps']:.0f}/s client {m['client_us']:.2f} us/req server {m['server_us']:.2f} us/req", file=sys.stderr)

modes = [
    ("redis-benchmark -P 1", lambda t, x: redis_benchmark(t, x, [], n)),
    ("redis-benchmark -P 16", lambda t, x: redis_benchmark(t, x, ["-P", "16"], n * 4)),
    ("redis-provider (one loop)", lambda t, x: ours(t, x, [], n)),
    ("redis-provider --shared-loops", lambda t, x: ours(t, x, ["--shared-loops"], n)),
    ("redis-provider -P 16", lambda t, x: ours(t, x, ["-P", "16"], n * 4)),
    ("redis-provider -P 16 --shared-loops", lambda t, x: ours(t, x, ["-P", "16", "--shared-loops"], n * 4)),
]
for _ in range(rounds):
    for target in targets:
        for test in ("set", "get"):
            for mode, run in modes:
                add((target, test.upper(), mode), run(target, test))
    if not os.environ.get("SKIP_LARGE"):
        large = ["-c", "10", "-d", "1048576", "-r", "100"]
        for test in ("set", "get"):
            add(("standalone", test.upper() + " 1 MB", "redis-benchmark -P 1"), redis_benchmark("standalone", test, [], 2000, flags=large))
            add(("standalone", test.upper() + " 1 MB", "redis-provider (one loop)"), ours("standalone", test, [], 2000, flags=large))
    if not os.environ.get("SKIP_MANY"):
        for target in targets:
            # The memory of a waiting caller is measured on its own (--waiting-callers: the
            # server paused, every caller waiting at once), standalone only.
            extra = ["--waiting-callers", "10000"] if target == "standalone" else []
            add((target, "GET 10,000 callers", "redis-provider (one loop)"),
                ours(target, "get", extra, 400000, flags=["-c", "10000", "-r", "100000"]))


def med(ms, k):
    return statistics.median(m[k] for m in ms)

print("\n| target | test | mode | requests/s | × redis-benchmark -P 1 | × -P 16 | client CPU µs/req | server CPU µs/req | p99 ms |")
print("|---|---|---|---|---|---|---|---|---|")
for (target, test, mode), ms in rows.items():
    base1 = rows.get((target, test, "redis-benchmark -P 1"))
    base16 = rows.get((target, test, "redis-benchmark -P 16"))
    # Ratios are taken round by round (same round, same server state), then the median.
    r1 = statistics.median(m["rps"] / b["rps"] for m, b in zip(ms, base1)) if base1 else None
    r16 = statistics.median(m["rps"] / b["rps"] for m, b in zip(ms, base16)) if base16 else None
    extra = ""
    if "GET 10,000" in test:
        extra = f" ({sum(m['errors'] for m in ms)} errors"
        if "waiting" in ms[0]:
            w = statistics.median(m["waiting"]["bytesPerCaller"] for m in ms)
            bare = statistics.median(m["waiting"]["bytesPerSleepingTask"] for m in ms)
            extra += f"; {w / 1024:.1f} KiB resident per waiting caller, of which {bare / 1024:.1f} KiB the bare task"
        extra += ")"
    print(f"| {target} | {test} | {mode} | {med(ms, 'rps'):,.0f} | {'%.2f×' % r1 if r1 else ''} | {'%.2f×' % r16 if r16 else ''} | "
          f"{med(ms, 'client_us'):.2f} | {med(ms, 'server_us'):.2f} | {med(ms, 'p99'):.3f}{extra} |")
