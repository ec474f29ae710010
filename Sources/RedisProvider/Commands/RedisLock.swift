import RESP
import Synchronization

/// A lock held in one Redis key: taken with `SET key token NX PX lease`, given back and
/// extended by scripts (or Valkey's `DELIFEQ`) that act only while the key still holds this
/// holder's random token.
///
/// It has the semantics of a single Redis primary (not Redlock): while the primary is up, at
/// most one holder's token is in the key. A failover can lose a lock that was not yet
/// replicated, and a holder that stops for longer than its lease (a pause, a partition) loses
/// it to the next caller; ``RedisCommandExecutor/withLock(_:lease:timeout:_:)`` notices that at
/// its next renewal and cancels the body. Make the work it protects safe to repeat.
///
/// ```swift
/// try await redis.withLock("lock:nightly-report", lease: .seconds(10)) {
///     try await buildNightlyReport()      // renewed every few seconds while it runs
/// }
/// ```
public struct RedisLock: Sendable, Hashable {
    /// The key that holds the lock.
    public let key: String
    /// The random value that proves this holder owns the key.
    public let token: String
    /// How long the lock lasts without an extension.
    public let lease: Duration

    static let releaseScript = RedisScript(
        "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end")
    static let extendScript = RedisScript(
        "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end")

    /// Takes the lock if it is free; nil when another holder has it.
    public static func tryAcquire(
        _ key: String, lease: Duration, on redis: some RedisCommandExecutor
    ) async throws(RedisError) -> RedisLock? {
        let lock = RedisLock(key: key, token: Self.newToken(), lease: lease)
        let taken = try await redis.set(key, lock.token, condition: .ifNotExists, expiration: .after(Self.atLeastAMillisecond(lease)))
        return taken ? lock : nil
    }

    /// Takes the lock, waiting for it up to `timeout` (retries after 10 ms, doubling to 200 ms,
    /// with jitter); throws ``RedisError/Kind/lockNotAcquired`` when it stayed taken.
    public static func acquire(
        _ key: String, lease: Duration, timeout: Duration, on redis: some RedisCommandExecutor
    ) async throws(RedisError) -> RedisLock {
        let deadline = ContinuousClock.now + timeout
        var pause = Duration.milliseconds(10)
        while true {
            if let lock = try await tryAcquire(key, lease: lease, on: redis) { return lock }
            let now = ContinuousClock.now
            guard now < deadline else {
                throw RedisError(
                    .lockNotAcquired,
                    "The lock '\(key)' stayed taken for \(RedisURL.format(timeout)); another holder has it (raise the timeout, or check for a holder that keeps renewing)")
            }
            let jittered = pause * Double.random(in: 0.5...1.0)
            do {
                try await Task.sleep(until: min(now + jittered, deadline))
            } catch {
                throw RedisError(.cancelled, "The task was cancelled while waiting for the lock '\(key)'").markedNotSent()
            }
            pause = min(pause * 2, .milliseconds(200))
        }
    }

    /// Gives the lock back if this holder still has it: `true` when it was deleted, `false`
    /// when it had expired or another holder had taken it (nothing is deleted then).
    ///
    /// Valkey 9 does this in one command, `DELIFEQ key token`; elsewhere a script does.
    @discardableResult
    public func release(on redis: some RedisCommandExecutor) async throws(RedisError) -> Bool {
        if Self.serversLackDeleteIfEqual.load(ordering: .relaxed) == false {
            do {
                return try await redis.execute(RESPCommand("DELIFEQ", key, token), as: Int.self) == 1
            } catch where error.serverError?.code == "ERR" && error.message.lowercased().contains("unknown command") {
                // Remembered for the process: a server without it means the script from now on,
                // which every server runs (one process talking to both kinds only loses speed).
                Self.serversLackDeleteIfEqual.store(true, ordering: .relaxed)
            }
        }
        return try await Self.releaseScript.run(on: redis, keys: [key], arguments: [token], as: Int.self) == 1
    }

    /// Whether a server answered that it has no `DELIFEQ` (it came with Valkey 9).
    static let serversLackDeleteIfEqual = Atomic<Bool>(false)

    /// Makes the lock last `lease` (this lock's own by default) from now, if this holder still
    /// has it; `false` when it was lost.
    public func extend(by lease: Duration? = nil, on redis: some RedisCommandExecutor) async throws(RedisError) -> Bool {
        let ms = Int(Self.atLeastAMillisecond(lease ?? self.lease).nanoseconds / 1_000_000)
        return try await Self.extendScript.run(on: redis, keys: [key], arguments: [token, ms], as: Int.self) == 1
    }

    private static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in String(generator.next() as UInt64, radix: 16) }.joined(separator: "-")
    }

    private static func atLeastAMillisecond(_ lease: Duration) -> Duration {
        max(lease, .milliseconds(1))
    }
}

extension RedisCommandExecutor {
    /// Runs `body` while holding the lock `key`, and gives it back afterwards.
    ///
    /// Waits up to `timeout` for the lock (``RedisError/Kind/lockNotAcquired`` after that).
    /// While `body` runs, the lease is extended every third of `lease`. When an extension finds
    /// the lock gone — it expired while this holder could not reach the server, or was deleted
    /// — or the server stays unreachable until the lease ends, `body`'s task is cancelled, and
    /// once it returns this throws ``RedisError/Kind/lockLost``: from that moment another
    /// holder may run.
    public func withLock<T: Sendable>(
        _ key: String, lease: Duration = .seconds(10), timeout: Duration = .seconds(30),
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let lock = try await RedisLock.acquire(key, lease: lease, timeout: timeout, on: self)
        let outcome = await withTaskGroup(of: Result<LockRenewal.Outcome<T>, any Error>.self) { group in
            group.addTask {
                do { return .success(.finished(try await body())) } catch { return .failure(error) }
            }
            group.addTask { await .success(.lost(LockRenewal.untilLost(lock, on: self))) }
            let first = await group.next()!
            group.cancelAll()
            if case .success(.lost) = first {
                _ = await group.next()  // the body, told by its cancellation
            }
            return first
        }
        switch outcome {
        case .success(.finished(let value)):
            try await lock.release(on: self)
            return value
        case .success(.lost(let why)):
            throw RedisError(.lockLost, "The lock '\(key)' was lost while its holder ran: \(why); another holder may have run meanwhile")
        case .failure(let error):
            _ = try? await lock.release(on: self)
            throw error
        }
    }
}

/// The renewals of a held lock.
enum LockRenewal {
    /// What ended a ``RedisCommandExecutor/withLock(_:lease:timeout:_:)``: its body, or the
    /// loss of the lock (and why).
    enum Outcome<T: Sendable>: Sendable {
        case finished(T)
        case lost(String)
    }

    /// Extends `lock` every third of its lease until an extension finds it gone or the lease
    /// runs out without a successful one; returns why. Returns at once when cancelled.
    static func untilLost(_ lock: RedisLock, on redis: some RedisCommandExecutor) async -> String {
        var heldUntil = ContinuousClock.now + lock.lease
        while true {
            do {
                try await Task.sleep(for: lock.lease / 3)
            } catch {
                return "cancelled"
            }
            do throws(RedisError) {
                let sent = ContinuousClock.now
                guard try await lock.extend(on: redis) else { return "its key no longer holds this holder's token (it expired or was deleted)" }
                heldUntil = sent + lock.lease
            } catch {
                if ContinuousClock.now >= heldUntil {
                    return "the lease ran out while the server could not be reached (\(error.message))"
                }
            }
        }
    }
}
