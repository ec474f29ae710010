import Dispatch
import NIOCore
import RESP
import RedisProvider
import RedisProviderTestSupport
import Synchronization
import Testing

/// Runs `body` with a fresh real server, always stopped afterwards.
func withServer<T>(
    _ options: RedisServer.Options = .init(), _ body: (RedisServer) async throws -> T
) async throws -> T {
    let server = try await RedisServer.start(options)
    do {
        let result = try await body(server)
        server.stop()
        return result
    } catch {
        server.stop()
        throw error
    }
}

/// Runs `body` with a client for a fresh real server; both are stopped afterwards.
func withClient<T>(
    _ options: RedisServer.Options = .init(), query: String = "", _ body: (RedisClient, RedisServer) async throws -> T
) async throws -> T {
    try await withServer(options) { server in
        let client = try RedisClient(url: server.url + query)
        do {
            let result = try await body(client, server)
            await client.shutdown(graceful: false)
            return result
        } catch {
            await client.shutdown(graceful: false)
            throw error
        }
    }
}

/// The error `body` throws, as a `RedisError`; records an issue when it throws none.
func redisError(_ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async -> RedisError? {
    do {
        try await body()
        Issue.record("expected a RedisError, got success", sourceLocation: sourceLocation)
    } catch let e as RedisError {
        return e
    } catch {
        Issue.record("expected a RedisError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

extension Optional where Wrapped == ByteBuffer {
    var text: String? { map { String(buffer: $0) } }
}

/// A list that concurrent tasks append to.
final class Collector<T: Sendable>: Sendable {
    private let items = Mutex<[T]>([])
    func append(_ item: T) { items.withLock { $0.append(item) } }
    var all: [T] { items.withLock { $0 } }
}

/// A `transaction(watching:_:)` of a provider or a cluster client.
typealias WatchedTransactionCall = @Sendable ([String], (RedisWatchSession) async throws -> [RESPCommand]) async throws -> [RESPValue]?

/// What every watched transaction must do, standalone or cluster, on keys tagged `{w}`:
/// commit on an unchanged key, abort (nil) when another client writes a watched key between
/// WATCH and EXEC, commit nothing for no commands, refuse MULTI in the body, and, with
/// read-modify-write retried on nil, lose no update among concurrent writers.
func checkWatchedTransactions(
    _ redis: any RedisCommandExecutor, _ transaction: @escaping WatchedTransactionCall,
    sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    try await redis.set("{w}:balance", "100")
    let committed = try await transaction(["{w}:balance"]) { session in
        let balance = Int(try await session.get("{w}:balance").text ?? "") ?? 0
        #expect(balance == 100, sourceLocation: sourceLocation)
        return [RESPCommand("DECRBY", "{w}:balance", 30), RESPCommand("RPUSH", "{w}:log", "-30")]
    }
    #expect(committed == [.integer(70), .integer(1)], sourceLocation: sourceLocation)

    // Another client writes the watched key after WATCH: EXEC aborts, nothing queued runs.
    let aborted = try await transaction(["{w}:balance"]) { session in
        _ = try await session.get("{w}:balance")
        try await redis.set("{w}:balance", "5")
        return [RESPCommand("DECRBY", "{w}:balance", 30)]
    }
    #expect(aborted == nil, sourceLocation: sourceLocation)
    #expect(try await redis.get("{w}:balance").text == "5", sourceLocation: sourceLocation)

    #expect(try await transaction(["{w}:balance"]) { _ in [] } == [], sourceLocation: sourceLocation)
    let multi = await redisError { _ = try await transaction(["{w}:balance"]) { session in
        _ = try await session.send("MULTI")
        return []
    } }
    #expect(multi?.kind == .unsupportedCommand, sourceLocation: sourceLocation)

    // Optimistic locking: GET then SET (not INCR) by 8 writers, each retrying on nil.
    try await redis.set("{w}:counter", "0")
    try await withThrowingTaskGroup(of: Void.self) { group in
        for _ in 0..<8 {
            group.addTask {
                for _ in 0..<50 {
                    let done = try await transaction(["{w}:counter"]) { session in
                        let n = Int(try await session.get("{w}:counter").text ?? "") ?? 0
                        return [RESPCommand("SET", "{w}:counter", n + 1)]
                    }
                    if done != nil { return }
                }
                Issue.record("a writer did not get its update in within 50 attempts", sourceLocation: sourceLocation)
            }
        }
        try await group.waitForAll()
    }
    #expect(try await redis.get("{w}:counter").text == "8", sourceLocation: sourceLocation)
}

/// A task executor that counts the jobs it is given (and runs them on Swift's global pool).
final class CountingTaskExecutor: TaskExecutor {
    private let count = Atomic<Int>(0)
    var jobs: Int { count.load(ordering: .relaxed) }

    func enqueue(_ job: consuming ExecutorJob) {
        count.add(1, ordering: .relaxed)
        let job = UnownedJob(job)
        DispatchQueue.global().async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

/// An actor on a serial queue of its own, as an application's UI or service actors are.
actor QueueActor {
    private final class QueueExecutor: SerialExecutor {
        let queue = DispatchQueue(label: "QueueActor")
        func enqueue(_ job: consuming ExecutorJob) {
            let job = UnownedJob(job)
            queue.async { job.runSynchronously(on: self.asUnownedSerialExecutor()) }
        }
    }

    private let executor = QueueExecutor()
    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// SETs and GETs `n` keys from this actor.
    func setAndGet(_ n: Int, on redis: any RedisCommandExecutor) async throws {
        for i in 0..<n {
            try await redis.set("actor:{a}:\(i)", "v")
            let value = try await redis.get("actor:{a}:\(i)")
            #expect(value.text == "v")
        }
    }
}

/// Commands called from an actor run on it: the only job a command puts elsewhere is its
/// resumption, which Swift sends through the generic executor on its way back to the actor.
/// A task executor preference makes such jobs countable: code that leaves the actor runs on
/// the preferred executor. A command whose code itself hops off the actor and back (a
/// closure on the global executor, a nonisolated async function) shows up as two jobs or more.
func checkCommandsStayOnTheCallersActor(
    _ redis: any RedisCommandExecutor, sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    let elsewhere = CountingTaskExecutor()
    let actor = QueueActor()
    let commands = 200
    try await withTaskExecutorPreference(elsewhere) {
        try await actor.setAndGet(commands / 2, on: redis)
    }
    // One resumption per command, plus entering and leaving the actor.
    #expect(elsewhere.jobs <= commands + 10, "\(elsewhere.jobs) jobs left the actor for \(commands) commands", sourceLocation: sourceLocation)
}

/// Runs `body` while `provider.run()` runs beside it (a cluster's background refreshes);
/// the provider is shut down afterwards.
func whileRunning<T: Sendable>(_ provider: RedisProvider, _ body: () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: Void.self, returning: T.self) { group in
        group.addTask { try await provider.run() }
        do {
            let result = try await body()
            group.cancelAll()
            return result
        } catch {
            group.cancelAll()
            throw error
        }
    }
}
