import Foundation
import NIOCore
import RESP
import RedisProviderTestSupport
import Testing

@testable import RedisProvider

/// Where the cache contract runs: in memory, on a real standalone server, and on a real
/// 6-node cluster of Redis (and of Valkey when it is installed).
enum CacheBackend: String, CaseIterable, CustomTestStringConvertible {
    case memory, standalone, redisCluster = "redis-cluster", valkeyCluster = "valkey-cluster"

    static var available: [CacheBackend] {
        [.memory, .standalone, .redisCluster] + (ClusterServer.available.contains(.valkey) ? [.valkeyCluster] : [])
    }

    var testDescription: String { rawValue }
}

/// Runs `body` with a fresh cache on `backend` and, for Redis backends, the client under it.
func withCache(
    _ backend: CacheBackend, _ body: (any SingleFlightCacheProvider, (any RedisCommandExecutor)?) async throws -> Void
) async throws {
    switch backend {
    case .memory:
        try await body(MemoryCacheProvider(maxEntries: 1_000_000, maxBytes: 256 * 1024 * 1024), nil)
    case .standalone:
        try await withClient { client, _ in try await body(RedisCacheProvider(redis: client), client) }
    case .redisCluster, .valkeyCluster:
        try await withCluster(backend == .redisCluster ? .redis : .valkey) { client, _ in
            try await body(RedisCacheProvider(redis: client), client)
        }
    }
}

/// The one cache contract every `CacheProvider` keeps. Each check works in its own namespace.
struct CacheContract {
    let cache: any SingleFlightCacheProvider
    let redis: (any RedisCommandExecutor)?

    struct User: Codable, Equatable, Sendable {
        var id: Int
        var name: String
        var tags: [String]
    }

    struct Boom: Error {}

    func namespace(_ name: String) -> any SingleFlightCacheProvider { cache.prefixed(name + ":") }

    func codableAndRawValues() async throws {
        let c = namespace("values")
        let ada = User(id: 1, name: "Ada", tags: ["admin", "ünïcødé ✓"])
        try await c.set("user:1", ada)
        #expect(try await c.get("user:1", as: User.self) == ada)
        try await c.set("n", 42)
        try await c.set("s", "text")
        try await c.set("d", ["a": 1.5])
        #expect(try await c.get("n", as: Int.self) == 42)
        #expect(try await c.get("s", as: String.self) == "text")
        #expect(try await c.get("d", as: [String: Double].self) == ["a": 1.5])
        #expect(try await c.get("missing", as: Int.self) == nil)
        #expect(try await c.getBytes("missing") == nil)
        #expect(try await c.getBytes("s").map { String(buffer: $0) } == "\"text\"")  // JSON by default
        try await c.set("n", 43)  // overwrite
        #expect(try await c.get("n", as: Int.self) == 43)
        #expect(try await c.delete("n"))
        #expect(try await c.delete("n") == false)
        #expect(try await c.get("n", as: Int.self) == nil)

        // A value of another shape: a CacheError naming the key, never the value.
        try await c.setBytes("bad", ByteBuffer(string: "secret-token-123"))
        do {
            _ = try await c.get("bad", as: User.self)
            Issue.record("decoding garbage succeeded")
        } catch let e as CacheError {
            #expect(e.kind == .decodingFailed)
            #expect(e.key == "bad" && e.message.contains("'bad'"))
            #expect(!e.description.contains("secret-token-123"))
        }
        // A time to live that cannot be used.
        do {
            try await c.set("x", 1, ttl: .zero)
            Issue.record("a zero TTL was accepted")
        } catch let e as CacheError {
            #expect(e.kind == .invalidTTL && e.message.contains("'x'"))
        }
        #expect(try await c.getBytes("x") == nil)
    }

    func manyKeysAtOnce() async throws {
        let c = namespace("many")
        let keys = (0..<300).map { "m\($0)" }  // spread over every shard of a cluster
        try await c.set(Dictionary(uniqueKeysWithValues: keys.map { ($0, $0.uppercased()) }))
        let values = try await c.get(keys + ["absent"], as: String.self)
        #expect(values == Dictionary(uniqueKeysWithValues: keys.map { ($0, $0.uppercased()) }))
        #expect(try await c.get([String](), as: String.self).isEmpty)
        let mixed: [String: any Encodable] = ["i": 1, "s": "two", "u": User(id: 3, name: "three", tags: [])]
        try await c.set(mixed, ttl: .seconds(600))
        #expect(try await c.get("i", as: Int.self) == 1)
        #expect(try await c.get("u", as: User.self)?.name == "three")
        let raw = Dictionary(uniqueKeysWithValues: (0..<200).map { ("r\($0)", ByteBuffer(bytes: [UInt8(truncatingIfNeeded: $0), 0, 13, 10])) })
        try await c.setBytes(raw, ttl: .seconds(600))  // with a TTL: concurrent SETs, not MSET
        #expect(try await c.getBytes(Array(raw.keys)) == raw)
        if let redis {
            let ttl = try await redis.ttl(c.prefix + "r7")
            #expect(ttl.map { $0 > .zero && $0 <= .seconds(600) } == true)
            #expect(try await redis.ttl(c.prefix + "m7") == nil)
        }
        #expect(try await c.delete(Array(keys.prefix(100)) + ["absent"]) == 100)
        #expect(try await c.delete([String]()) == 0)
        #expect(try await c.get(keys, as: String.self).count == 200)
    }

    func timeToLive() async throws {
        let c = namespace("ttl")
        try await c.set("short", "v", ttl: .milliseconds(200))
        try await c.set("kept", "v", ttl: .seconds(600))
        try await c.set("forever", "v")
        try await c.setBytes(["s1": ByteBuffer(string: "1"), "s2": ByteBuffer(string: "2")], ttl: .milliseconds(200))
        let computations = Collector<Int>()
        let first = try await c.getOrSet("computed", ttl: .milliseconds(200)) { computations.append(1); return 1 }
        #expect(first == 1)
        #expect(try await eventually { try await c.get("short", as: String.self) == nil })
        #expect(try await eventually { try await c.getBytes(["s1", "s2"]).isEmpty })
        // Once expired, getOrSet computes again.
        #expect(
            try await eventually {
                try await c.getOrSet("computed", ttl: .milliseconds(200)) { computations.append(2); return 2 } == 2
            })
        #expect(computations.all == [1, 2])
        #expect(try await c.get("kept", as: String.self) == "v")
        #expect(try await c.get("forever", as: String.self) == "v")
        if let redis {
            #expect(try await redis.ttl(c.prefix + "forever") == nil)
            #expect(try await redis.exists([c.prefix + "short"]) == 0)  // gone from the server, not only hidden
        }
    }

    func largeAndBinaryValues() async throws {
        let c = namespace("bytes")
        var random = SystemRandomNumberGenerator()
        let mebibyte = ByteBuffer(bytes: (0..<(1 << 20)).map { _ in UInt8.random(in: 0...255, using: &random) })
        try await c.setBytes("large", mebibyte)
        #expect(try await c.getBytes("large") == mebibyte)
        let text = String(repeating: "0123456789abcdef", count: 65_536)  // 1 MiB as a Codable String
        try await c.set("large-text", text, ttl: .seconds(600))
        #expect(try await c.get("large-text", as: String.self) == text)
        let everyByte = ByteBuffer(bytes: Array(0...255) + Array((0...255).reversed()) + Array("\r\n$-1\r\n*0\r\n".utf8))
        try await c.setBytes("binary", everyByte)
        #expect(try await c.getBytes("binary") == everyByte)
        try await c.setBytes("empty", ByteBuffer())
        #expect(try await c.getBytes("empty") == ByteBuffer())  // stored and found, not missing
        try await c.set("ключ 🔑 with spaces\r\n", [UInt8](repeating: 0, count: 10))
        #expect(try await c.get("ключ 🔑 with spaces\r\n", as: [UInt8].self) == [UInt8](repeating: 0, count: 10))
        let concurrent = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<8 {
                group.addTask {
                    var big = mebibyte
                    big.setInteger(UInt8(i), at: big.readerIndex)
                    try await c.setBytes("big\(i)", big)
                    return try await c.getBytes("big\(i)") == big
                }
            }
            return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
        }
        #expect(concurrent == 8)
    }

    func concurrentCallers() async throws {
        let c = namespace("concurrency")
        let computations = Collector<String>()
        let mismatches = try await withThrowingTaskGroup(of: Int.self) { group in
            for t in 0..<100 {
                group.addTask {
                    var wrong = 0
                    for i in 0..<20 {
                        try await c.set("t\(t):\(i)", User(id: t * 100 + i, name: "t\(t)", tags: []))
                        if try await c.get("t\(t):\(i)", as: User.self)?.id != t * 100 + i { wrong += 1 }
                        let shared = "shared\(i % 10)"
                        let value = try await c.getOrSet(shared) { computations.append(shared); return shared.uppercased() }
                        if value != shared.uppercased() { wrong += 1 }
                    }
                    if try await c.get((0..<20).map { "t\(t):\($0)" }, as: User.self).count != 20 { wrong += 1 }
                    return wrong
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(mismatches == 0)
        #expect(computations.all.count == 10)  // each shared key computed once, by one of 100 callers
        #expect(Set(computations.all).count == 10)
    }

    /// Runs `callers` concurrent `getOrSet`s of `key`; the computation waits until all have
    /// joined it, so "one computation" is exact, not a race.
    func stampede(
        _ c: any SingleFlightCacheProvider, _ key: String, callers: Int, runs: Collector<Int>, fail: Bool
    ) async -> [Result<User, any Error>] {
        let flights = c.flights
        let flightKey = c.prefix + key
        return await withTaskGroup(of: Result<User, any Error>.self) { group in
            for _ in 0..<callers {
                group.addTask {
                    do {
                        return .success(
                            try await c.getOrSet(key, ttl: .seconds(600)) {
                                for _ in 0..<2_000 where flights.waiterCount(for: flightKey) < callers { try? await Task.sleep(for: .milliseconds(5)) }
                                runs.append(1)
                                if fail { throw Boom() }
                                return User(id: 7, name: "computed once", tags: ["x"])
                            })
                    } catch { return .failure(error) }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
    }

    func singleFlight() async throws {
        let c = namespace("single-flight")
        let runs = Collector<Int>()
        let failed = await stampede(c, "fails", callers: 50, runs: runs, fail: true)
        #expect(runs.all.count == 1)
        #expect(failed.count == 50)
        #expect(failed.allSatisfy { if case .failure(let e) = $0 { e is Boom } else { false } })
        #expect(try await c.getBytes("fails") == nil)  // a failed computation caches nothing

        let ok = await stampede(c, "fails", callers: 50, runs: runs, fail: false)  // and the next miss computes
        #expect(runs.all.count == 2)
        #expect(ok.compactMap { try? $0.get() } == Array(repeating: User(id: 7, name: "computed once", tags: ["x"]), count: 50))
        let hits = await stampede(c, "fails", callers: 50, runs: runs, fail: true)  // cached: no computation at all
        #expect(runs.all.count == 2)
        #expect(hits.allSatisfy { (try? $0.get())?.id == 7 })
        #expect(try await c.get("fails", as: User.self)?.name == "computed once")
        if let redis {
            #expect(try await redis.ttl(c.prefix + "fails").map { $0 > .zero } == true)
        }
    }

    func prefixIsolation() async throws {
        let root = namespace("iso")
        let a = root.prefixed("a:")
        let b = root.prefixed("b:")
        let ab = root.prefixed("a")
        try await a.set("k", "from a")
        try await b.set("k", "from b")
        try await ab.set(":k2", "from ab")
        #expect(try await a.get("k", as: String.self) == "from a")
        #expect(try await b.get("k", as: String.self) == "from b")
        #expect(try await root.get("a:k", as: String.self) == "from a")  // namespaces compose
        #expect(try await a.get("k2", as: String.self) == "from ab")  // "a" + ":k2" is "a:" + "k2"
        #expect(try await root.get("k", as: String.self) == nil)
        #expect(try await a.delete("k"))
        #expect(try await b.get("k", as: String.self) == "from b")
        #expect(try await a.getOrSet("k") { "computed in a" } == "computed in a")
        #expect(try await b.getOrSet("k") { "never" } == "from b")
        #expect(try await b.clear() == 1)
        #expect(try await a.get("k", as: String.self) == "computed in a")
        if let redis {
            #expect(try await redis.get(a.prefix + "k", as: String.self) == "\"computed in a\"")  // the key on the server
        }
    }

    func clearByPrefix() async throws {
        let c = namespace("clear")
        let outside = namespace("clear-outside")
        try await outside.set("x:1", 1)
        var entries: [String: ByteBuffer] = [:]
        for i in 0..<500 { entries["x:\(i)"] = ByteBuffer(string: "\(i)") }  // over every slot's shard
        for i in 0..<100 { entries["y:\(i)"] = ByteBuffer(string: "\(i)") }
        for i in 0..<10 { entries["xy:\(i)"] = ByteBuffer(string: "\(i)") }
        for key in ["g*:1", "g?:1", "gA:1", "g[ab]:1", "ga:1", "g\\:1", "g\\x:1"] { entries[key] = ByteBuffer(string: key) }
        try await c.setBytes(entries)
        #expect(try await c.clear(prefix: "x:") == 500)
        #expect(try await c.getBytes((0..<500).map { "x:\($0)" }).isEmpty)
        #expect(try await c.getBytes((0..<100).map { "y:\($0)" }).count == 100)
        #expect(try await c.getBytes((0..<10).map { "xy:\($0)" }).count == 10)
        // Glob characters in the prefix match only themselves.
        #expect(try await c.clear(prefix: "g*") == 1)
        #expect(try await c.clear(prefix: "g?") == 1)
        #expect(try await c.clear(prefix: "g[ab]") == 1)
        #expect(try await c.clear(prefix: "g\\:") == 1)
        #expect(Set(try await c.getBytes(["g*:1", "g?:1", "gA:1", "g[ab]:1", "ga:1", "g\\:1", "g\\x:1"]).keys) == ["gA:1", "ga:1", "g\\x:1"])
        #expect(try await c.clear(prefix: "nothing-here") == 0)
        #expect(try await c.clear() == 113)
        #expect(try await outside.get("x:1", as: Int.self) == 1)
        if let redis {
            var left: [String] = []
            for try await key in redis.scanKeys(match: CacheKeyPattern.matching(prefix: c.prefix), count: 1000, type: nil) {
                left.append(String(buffer: key))
            }
            #expect(left.isEmpty)  // on the server, in every shard
        }
    }
}

@Suite(.serialized) struct CacheContractTests {
    @Test(arguments: CacheBackend.available) func contract(backend: CacheBackend) async throws {
        try await withCache(backend) { cache, redis in
            let contract = CacheContract(cache: cache.prefixed("contract:"), redis: redis)
            try await contract.codableAndRawValues()
            try await contract.manyKeysAtOnce()
            try await contract.timeToLive()
            try await contract.largeAndBinaryValues()
            try await contract.concurrentCallers()
            try await contract.singleFlight()
            try await contract.prefixIsolation()
            try await contract.clearByPrefix()
        }
    }

    /// The memory provider's own limits, with the clock stepped by hand.
    @Test func memoryProviderLimitsAndItsClock() async throws {
        let clock = Collector<Duration>()
        let t0 = ContinuousClock.now
        let cache = MemoryCacheProvider(
            maxEntries: 10, maxBytes: 1_000, prefix: "p:", coder: JSONCacheValueCoder(),
            now: { t0 + clock.all.reduce(.zero, +) })
        for i in 0..<20 { try await cache.set("k\(i)", i) }
        #expect(try await cache.get((0..<20).map { "k\($0)" }, as: Int.self) == Dictionary(uniqueKeysWithValues: (10..<20).map { ("k\($0)", $0) }))
        #expect(cache.usage.entries == 10)
        try await cache.set("ttl", "v", ttl: .seconds(30))
        clock.append(.seconds(29))
        #expect(try await cache.get("ttl", as: String.self) == "v")
        clock.append(.seconds(1))
        #expect(try await cache.get("ttl", as: String.self) == nil)
        try await cache.setBytes("huge", ByteBuffer(repeating: 0, count: 2_000))  // larger than the cache: not kept
        #expect(try await cache.getBytes("huge") == nil)
        #expect(cache.usage.bytes <= 1_000)
    }

    /// A coder of one's own: stored bytes are what it makes.
    @Test func pluggableCoder() async throws {
        struct Versioned: CacheValueCoder {
            func encode<T: Encodable>(_ value: T) throws -> ByteBuffer {
                var b = ByteBuffer(string: "v1:")
                var json = try JSONCacheValueCoder().encode(value)
                b.writeBuffer(&json)
                return b
            }
            func decode<T: Decodable>(_ type: T.Type, from bytes: ByteBuffer) throws -> T {
                guard bytes.readableBytesView.starts(with: Array("v1:".utf8)) else { throw CacheError(.decodingFailed, "no version") }
                return try JSONCacheValueCoder().decode(type, from: bytes.getSlice(at: bytes.readerIndex + 3, length: bytes.readableBytes - 3)!)
            }
        }
        try await withClient { client, _ in
            for cache in [MemoryCacheProvider(coder: Versioned()) as any CacheProvider, RedisCacheProvider(redis: client, coder: Versioned())] {
                try await cache.set("k", [1, 2])
                #expect(try await cache.getBytes("k").map { String(buffer: $0) } == "v1:[1,2]")
                #expect(try await cache.get("k", as: [Int].self) == [1, 2])
                #expect(try await cache.getOrSet("k2") { "x" } == "x")
                #expect(try await cache.getBytes("k2").map { String(buffer: $0) } == "v1:\"x\"")
            }
        }
    }
}
