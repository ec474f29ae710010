import Foundation
import Histogram
import NIOCore
import RESP
import RedisProvider
import Synchronization

/// The tests `bench -t` knows, named as redis-benchmark names them.
enum BenchTest: String, CaseIterable {
    case ping = "ping_mbulk", set, get, incr, lpush, rpush, lpop, rpop, sadd, hset, spop, zadd, mset
    /// `getOrSet` hits through `RedisCacheProvider` (JSON string values of -d bytes), on the
    /// keys GET reads: the cache layer's cost next to the raw GET figure.
    case cacheget
    /// `getOrSetBytes` hits: the cache layer without decoding.
    case cachegetraw
    /// `getOrSet` hits of a small struct (`BenchValue`), decoded by `JSONDecoder`.
    case cachegetstruct
    /// `RedisScript.run` of an INCRBY script on the key (by digest; loaded first).
    case script
    /// The same script as a raw `EVALSHA` command: the cost of `RedisScript` next to it.
    case evalsha
    /// `RedisLock.tryAcquire` and `release` of a lock named after the key: two round trips.
    case lock
    /// `RedisRateLimiter.check` on a limiter named after the key (one script run, admitted).
    case ratelimit

    /// The limiter `-t ratelimit` checks: wide enough that every request is admitted.
    static let limiter = RedisRateLimiter(limit: 1_000_000_000, per: .seconds(1))
    /// The script `-t script` and `-t evalsha` run.
    static let incrementScript = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")

    /// Whether redis-benchmark has a test of this name to compare with.
    var redisBenchmarkKnows: Bool { cacheValueKind == nil && ![.script, .evalsha, .lock, .ratelimit].contains(self) }

    /// The kind of values a cache test reads (stored before it runs); `nil` for other tests.
    enum CacheValueKind {
        case string, structure

        func value(size: Int) -> any Encodable & Sendable {
            self == .string ? String(repeating: "x", count: size) : BenchValue(size: size)
        }
    }

    var cacheValueKind: CacheValueKind? {
        switch self {
        case .cacheget, .cachegetraw: return .string
        case .cachegetstruct: return .structure
        default: return nil
        }
    }

    /// Whether the test overwrites the keys the cache tests read.
    var writesKeys: Bool { self == .set || self == .mset }

    /// The name redis-benchmark prints for this test.
    var reportName: String {
        switch self {
        case .ping: return "PING_MBULK"
        case .mset: return "MSET (10 keys)"
        case .cacheget: return "CACHE GETORSET (hit)"
        case .cachegetraw: return "CACHE GETORSETBYTES (hit)"
        case .cachegetstruct: return "CACHE GETORSET (hit, struct)"
        default: return rawValue.uppercased()
        }
    }

    /// The command a request of this test sends; nil for the tests that send two (`lock`) or
    /// whose arguments a helper computes (`ratelimit`).
    func command(key: String, value: ByteBuffer) -> RESPCommand? {
        switch self {
        case .ping: return RESPCommand("PING")
        case .set: return RESPCommand("SET", key, value)
        case .get: return RESPCommand("GET", key)
        case .incr: return RESPCommand("INCR", "counter:" + key.dropFirst(4))
        case .lpush: return RESPCommand("LPUSH", "mylist", value)
        case .rpush: return RESPCommand("RPUSH", "mylist", value)
        case .lpop: return RESPCommand("LPOP", "mylist")
        case .rpop: return RESPCommand("RPOP", "mylist")
        case .sadd: return RESPCommand("SADD", "myset", "element:" + key.dropFirst(4))
        case .hset: return RESPCommand("HSET", "myhash", "element:" + key.dropFirst(4), value)
        case .spop: return RESPCommand("SPOP", "myset")
        case .zadd: return RESPCommand("ZADD", "myzset", 0, "element:" + key.dropFirst(4))
        case .mset:
            var c = RESPCommand("MSET")
            for _ in 0..<10 { c.append(key); c.append(value) }
            return c
        case .cacheget, .cachegetraw, .cachegetstruct: return RESPCommand("GET", key)  // what a cache hit sends
        case .script, .evalsha: return Self.incrementScript.command(keys: [key], arguments: [1])
        case .lock, .ratelimit: return nil
        }
    }

    /// What one pipeline of this test does (-P): one command per key, sent with
    /// `pipeline(_:)`; a failed command counts as the pipeline's error. `nil` for the cache
    /// tests and those that are not one command: they run one request at a time.
    func pipelineOperation(client: any RedisClientProtocol, valueSize: Int) -> BenchRunner.PipelineOperation? {
        let value = ByteBuffer(repeating: UInt8(ascii: "x"), count: valueSize)
        guard cacheValueKind == nil, command(key: "", value: value) != nil else { return nil }
        return { keys in
            for result in await client.pipeline(keys.map { self.command(key: $0, value: value)! }) { _ = try result.get() }
        }
    }

    /// What one request of this test does: a command, a cache call for `cacheget`, a script
    /// run, a lock taken and given back, or a rate limit checked.
    func operation(client: any RedisCommandExecutor, valueSize: Int) -> BenchRunner.Operation {
        switch self {
        case .script:
            return { key in _ = try await Self.incrementScript.run(on: client, keys: [key], arguments: [1]) }
        case .lock:
            return { key in
                let lock = try await RedisLock.tryAcquire("lock:" + key, lease: .seconds(10), on: client)
                try await lock?.release(on: client)
            }
        case .ratelimit:
            return { key in _ = try await Self.limiter.check("rate:" + key, on: client) }
        default:
            break
        }
        return cacheOperation(RedisCacheProvider(redis: client), valueSize: valueSize) ?? {
            let value = ByteBuffer(repeating: UInt8(ascii: "x"), count: valueSize)
            return { key in _ = try await client.execute(self.command(key: key, value: value)!) }
        }()
    }

    /// A cache test's request on `cache`; `nil` for command tests.
    func cacheOperation(_ cache: some CacheProvider, valueSize: Int) -> BenchRunner.Operation? {
        switch self {
        case .cacheget:
            let value = String(repeating: "x", count: valueSize)
            return { key in _ = try await cache.getOrSet(key) { value } }
        case .cachegetraw:
            let value = ByteBuffer(string: "\"" + String(repeating: "x", count: valueSize) + "\"")
            return { key in _ = try await cache.getOrSetBytes(key, ttl: nil) { value } }
        case .cachegetstruct:
            let value = BenchValue(size: valueSize)
            return { key in _ = try await cache.getOrSet(key) { value } }
        default:
            return nil
        }
    }
}

/// The struct `-t cachegetstruct` caches: an id, a name of -d bytes, two tags.
struct BenchValue: Codable, Sendable {
    var id: Int
    var name: String
    var tags: [String]

    init(size: Int) {
        id = 12345
        name = String(repeating: "x", count: size)
        tags = ["a", "b"]
    }
}

/// One test's outcome.
struct BenchResult: Codable {
    var name: String
    var requests: Int
    var seconds: Double
    var requestsPerSecond: Double
    var p50Milliseconds: Double
    var p99Milliseconds: Double
    var p999Milliseconds: Double
    var maxMilliseconds: Double
    /// When the slowest request finished, in seconds from the start: with a node killed
    /// mid-run, when its shard served again.
    var slowestEndedAtSeconds: Double
    var errors: [String: Int]
    /// When the run started, in seconds since 1970: lines the run up with outside clocks.
    var startedAtUnixSeconds: Double
    /// Requests slower than the stall threshold, by shard: what a failover did to callers.
    var stalls: [BenchStall]

    var line: String {
        var s = String(
            format: "%@: %.2f requests per second, p50=%.3f ms, p99=%.3f ms, p99.9=%.3f ms, max=%.3f ms (%d requests in %.2f s)",
            name, requestsPerSecond, p50Milliseconds, p99Milliseconds, p999Milliseconds, maxMilliseconds, requests, seconds)
        if maxMilliseconds > 1000 { s += String(format: ", slowest request ended at %.2f s", slowestEndedAtSeconds) }
        if !errors.isEmpty { s += ", errors: " + errors.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
        for stall in stalls { s += "\n  " + stall.line }
        return s
    }
}

struct BenchReport: Codable {
    var results: [BenchResult]
    var residentBytes: Int
    var idleConnections: IdleConnectionCost?
    var redisBenchmark: [String: Double]
    var memoryCache: MemoryCacheCost? = nil
    var waitingCallers: WaitingCallerCost? = nil

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}

/// Runs one test: `callers` tasks, each sending its next request only after its reply.
struct BenchRunner {
    /// One request for a key.
    typealias Operation = nonisolated(nonsending) @Sendable (_ key: String) async throws -> Void
    /// One explicit pipeline, a command per key.
    typealias PipelineOperation = nonisolated(nonsending) @Sendable (_ keys: [String]) async throws -> Void

    let name: String
    let operation: Operation
    let callers: Int
    let requests: Int
    let duration: Double?
    let keyspace: Int?
    let progress: Bool
    /// Caller *i* runs on `executors[i % count]`; none: Swift's global executor.
    var executors: [EventLoopExecutor] = []
    /// Requests slower than this are reported as stalls, by shard.
    var stallThreshold: Duration = .milliseconds(50)
    var shards = ShardNames.none
    /// With -P: pipelines of `depth` commands instead of single requests; each counts as
    /// `depth` requests, its latency as one.
    var pipeline: (depth: Int, operation: PipelineOperation)?

    private final class Shared: Sendable {
        let issued = Atomic<Int>(0)
        let completed = Atomic<Int>(0)
    }

    private struct CallerResult: Sendable {
        var histogram: Histogram<UInt64>
        var errors: [String: Int]
        var slowest: Duration = .zero
        var slowestEndedAt: Duration = .zero
        var stalls: [StallRecorder.Stall] = []
    }

    func run() async throws -> BenchResult {
        let shared = Shared()
        let start = ContinuousClock.now
        let startedAtUnixSeconds = Date().timeIntervalSince1970
        let deadline = duration.map { start + .milliseconds(Int64($0 * 1000)) }
        let limit = deadline == nil ? requests : Int.max
        let progressTask = progress ? Task { await reportProgress(shared, start: start) } : nil
        let perCaller = try await withThrowingTaskGroup(of: CallerResult.self) { group in
            for i in 0..<callers {
                let executor = executors.isEmpty ? nil : executors[i % executors.count]
                group.addTask(executorPreference: executor) { [operation, pipeline, keyspace, stallThreshold] in
                    let depth = pipeline?.depth ?? 1
                    var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
                    var errors: [String: Int] = [:]
                    var slowest = Duration.zero
                    var slowestEndedAt = Duration.zero
                    var stalls = StallRecorder(threshold: stallThreshold)
                    var random = SplitMix64(seed: UInt64.random(in: 1...UInt64.max))
                    while true {
                        if let deadline, ContinuousClock.now >= deadline { break }
                        if shared.issued.add(depth, ordering: .relaxed).newValue > limit { break }
                        let key = keyspace.map { Self.key(Int(random.next() % UInt64($0))) } ?? "key:__rand_int__"
                        let t0 = ContinuousClock.now
                        var succeeded = false
                        do {
                            if let pipeline {
                                var keys = [key]
                                for _ in 1..<depth { keys.append(keyspace.map { Self.key(Int(random.next() % UInt64($0))) } ?? key) }
                                try await pipeline.operation(keys)
                            } else {
                                try await operation(key)
                            }
                            succeeded = true
                        } catch let error as RedisError {
                            errors["\(error.kind)", default: 0] += 1
                        } catch let error as CacheError {
                            errors["\(error.kind)", default: 0] += 1
                        } catch {
                            errors["other", default: 0] += 1
                        }
                        let t1 = ContinuousClock.now
                        let elapsed = t1 - t0
                        stalls.record(key: key, sent: t0 - start, ended: t1 - start, succeeded: succeeded)
                        if elapsed > slowest {
                            slowest = elapsed
                            slowestEndedAt = t1 - start
                        }
                        _ = histogram.record(UInt64(max(elapsed.components.attoseconds / 1_000_000_000_000 + elapsed.components.seconds * 1_000_000, 0)))
                        shared.completed.add(depth, ordering: .relaxed)
                    }
                    return CallerResult(
                        histogram: histogram, errors: errors, slowest: slowest, slowestEndedAt: slowestEndedAt, stalls: stalls.stalls)
                }
            }
            var all: [CallerResult] = []
            for try await r in group { all.append(r) }
            return all
        }
        let elapsed = ContinuousClock.now - start
        progressTask?.cancel()
        if progress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        var merged = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        var errors: [String: Int] = [:]
        let slowest = perCaller.max { $0.slowest < $1.slowest }
        for r in perCaller {
            merged.add(r.histogram)
            errors.merge(r.errors, uniquingKeysWith: +)
        }
        let seconds = elapsed.seconds
        let done = shared.completed.load(ordering: .relaxed)
        return BenchResult(
            name: name, requests: done, seconds: seconds, requestsPerSecond: Double(done) / seconds,
            p50Milliseconds: Double(merged.valueAtPercentile(50)) / 1000, p99Milliseconds: Double(merged.valueAtPercentile(99)) / 1000,
            p999Milliseconds: Double(merged.valueAtPercentile(99.9)) / 1000, maxMilliseconds: Double(merged.max) / 1000,
            slowestEndedAtSeconds: slowest?.slowestEndedAt.seconds ?? 0,
            errors: errors, startedAtUnixSeconds: startedAtUnixSeconds,
            stalls: StallRecorder.summary(perCaller.flatMap(\.stalls), shardOf: shards.shard(of:)))
    }

    /// `key:000000012345`, as redis-benchmark's `key:__rand_int__` becomes with -r.
    static func key(_ n: Int) -> String {
        String(unsafeUninitializedCapacity: 16) { bytes in
            bytes[0] = UInt8(ascii: "k"); bytes[1] = UInt8(ascii: "e"); bytes[2] = UInt8(ascii: "y"); bytes[3] = UInt8(ascii: ":")
            var v = n
            for i in stride(from: 15, through: 4, by: -1) {
                bytes[i] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            }
            return 16
        }
    }

    private func reportProgress(_ shared: Shared, start: ContinuousClock.Instant) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            let done = shared.completed.load(ordering: .relaxed)
            let elapsed = ContinuousClock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            FileHandle.standardError.write(Data(String(format: "\r\u{1B}[K%@: %.0f requests/s (%d done)", name, Double(done) / seconds, done).utf8))
        }
    }
}

/// A tiny, fast generator for benchmark keys (SystemRandomNumberGenerator makes a system call
/// per number, which would cost more than the command being measured).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
