import Foundation
import NIOCore
import Testing

@testable import RedisProvider

/// The memory cache's pure storage, with time stepped by hand.
@Suite struct CacheLRUTests {
    let t0 = ContinuousClock.now

    func value(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    @Test func evictsLeastRecentlyUsedBeyondTheEntryLimit() {
        var lru = CacheLRU(maxEntries: 3, maxBytes: 1_000)
        lru.insert(value("1"), for: "a", expiresAt: nil, now: t0)
        lru.insert(value("2"), for: "b", expiresAt: nil, now: t0)
        lru.insert(value("3"), for: "c", expiresAt: nil, now: t0)
        #expect(lru.value(for: "a", now: t0) == value("1"))  // a is now the most recent
        #expect(lru.insert(value("4"), for: "d", expiresAt: nil, now: t0) == 1)
        #expect(lru.keysByRecency == ["d", "a", "c"])  // b, the least recent, went
        #expect(lru.value(for: "b", now: t0) == nil)
        #expect(lru.count == 3)
    }

    @Test func evictsUntilTheByteLimitHoldsAndCountsKeysAndValues() {
        var lru = CacheLRU(maxEntries: 100, maxBytes: 20)
        lru.insert(value("12345"), for: "k1", expiresAt: nil, now: t0)  // 7 bytes
        lru.insert(value("12345"), for: "k2", expiresAt: nil, now: t0)  // 14
        #expect(lru.totalBytes == 14)
        #expect(lru.insert(value("1234567890"), for: "k3", expiresAt: nil, now: t0) == 1)  // 12 more: k1 goes
        #expect(lru.keysByRecency == ["k3", "k2"])
        #expect(lru.totalBytes == 19)
        // Overwriting replaces the old cost.
        lru.insert(value("1"), for: "k3", expiresAt: nil, now: t0)
        #expect(lru.totalBytes == 10)
        #expect(lru.count == 2)
    }

    @Test func aValueLargerThanTheWholeCacheIsNotStoredAndDropsTheOldOne() {
        var lru = CacheLRU(maxEntries: 10, maxBytes: 10)
        lru.insert(value("old"), for: "k", expiresAt: nil, now: t0)
        lru.insert(value("kept"), for: "other", expiresAt: nil, now: t0)
        #expect(lru.insert(value("far too large"), for: "k", expiresAt: nil, now: t0) == 0)
        #expect(lru.value(for: "k", now: t0) == nil)  // never the stale value
        #expect(lru.value(for: "other", now: t0) == value("kept"))
        var none = CacheLRU(maxEntries: 0, maxBytes: 100)
        none.insert(value("x"), for: "k", expiresAt: nil, now: t0)
        #expect(none.count == 0)
    }

    @Test func expiredEntriesAreNeverReturned() {
        var lru = CacheLRU(maxEntries: 10, maxBytes: 1_000)
        lru.insert(value("v"), for: "k", expiresAt: t0 + .seconds(10), now: t0)
        lru.insert(value("p"), for: "forever", expiresAt: nil, now: t0)
        #expect(lru.value(for: "k", now: t0 + .seconds(9)) == value("v"))
        #expect(lru.value(for: "k", now: t0 + .seconds(10)) == nil)  // expiry instant is exclusive
        #expect(lru.count == 1)  // dropped on sight
        #expect(lru.value(for: "forever", now: t0 + .seconds(1_000_000)) == value("p"))
        lru.insert(value("v"), for: "k", expiresAt: t0 + .seconds(1), now: t0)
        #expect(lru.removeValue(for: "k", now: t0 + .seconds(2)) == false)  // was expired: not counted
        #expect(lru.count == 1)
    }

    @Test func insertsReclaimExpiredEntriesThatAreNeverReadAgain() {
        var lru = CacheLRU(maxEntries: 1_000, maxBytes: 100_000)
        for i in 0..<100 { lru.insert(value("v"), for: "old\(i)", expiresAt: t0 + .seconds(1), now: t0) }
        let later = t0 + .seconds(5)
        for i in 0..<100 { lru.insert(value("v"), for: "new\(i)", expiresAt: nil, now: later) }
        #expect(lru.count == 100)  // each insert looked at two slots: all 100 expired ones went
        #expect(Set(lru.keysByRecency) == Set((0..<100).map { "new\($0)" }))
    }

    @Test func removesByPrefixAndExpiredOnDemand() {
        var lru = CacheLRU(maxEntries: 100, maxBytes: 10_000)
        for key in ["a:1", "a:2", "ab:1", "b:1"] { lru.insert(value("v"), for: key, expiresAt: nil, now: t0) }
        lru.insert(value("v"), for: "a:3", expiresAt: t0 + .seconds(1), now: t0)
        #expect(lru.removeAll(withPrefix: "a:", now: t0 + .seconds(2)) == 2)  // the expired a:3 is not counted
        #expect(Set(lru.keysByRecency) == ["ab:1", "b:1"])
        lru.insert(value("v"), for: "x", expiresAt: t0 + .seconds(1), now: t0)
        #expect(lru.removeExpired(now: t0 + .seconds(1)) == 1)
        #expect(lru.removeAll(withPrefix: "", now: t0) == 2)
        #expect(lru.count == 0)
        #expect(lru.totalBytes == 0)
    }

    /// A plain list that keeps the same rules slowly: most recent first, expired entries
    /// dropped when read, the last one evicted.
    struct Model {
        typealias Entry = (key: String, value: Int, expiresAt: Int?)
        var entries: [Entry] = []
        let maxEntries: Int, maxBytes: Int
        func cost(_ e: Entry) -> Int { e.key.utf8.count + "\(e.value)".utf8.count }
        var bytes: Int { entries.reduce(0) { $0 + cost($1) } }
        mutating func get(_ key: String, now: Int) -> Int? {
            guard let i = entries.firstIndex(where: { $0.key == key }) else { return nil }
            let e = entries.remove(at: i)
            if let x = e.expiresAt, x <= now { return nil }
            entries.insert(e, at: 0)
            return e.value
        }
        mutating func set(_ key: String, _ value: Int, expiresAt: Int?) {
            entries.removeAll { $0.key == key }
            let e = (key: key, value: value, expiresAt: expiresAt)
            guard cost(e) <= maxBytes else { return }
            while entries.count >= maxEntries || bytes + cost(e) > maxBytes { entries.removeLast() }
            entries.insert(e, at: 0)
        }
        mutating func remove(_ key: String, now: Int) -> Bool {
            let live = entries.contains { $0.key == key && ($0.expiresAt.map { $0 > now } ?? true) }
            entries.removeAll { $0.key == key }
            return live
        }
    }

    /// Thousands of random operations, step by step against the model (sweep off, so the two
    /// must agree exactly), then with the sweep on, where a value read must still be the last
    /// one stored for its key and unexpired.
    @Test(arguments: [0, 2]) func matchesAReferenceModelUnderRandomOperations(sweep: Int) {
        var random = SystemRandomNumberGenerator()
        for limits in [(entries: 8, bytes: 1_000), (entries: 1_000, bytes: 60), (entries: 5, bytes: 40)] {
            var lru = CacheLRU(maxEntries: limits.entries, maxBytes: limits.bytes, sweepPerInsert: sweep)
            var model = Model(maxEntries: limits.entries, maxBytes: limits.bytes)
            var lastSet: [String: (value: Int, expiresAt: Int?)] = [:]
            var now = 0
            for step in 0..<4_000 {
                let key = "k\(Int.random(in: 0..<20, using: &random))"
                let instant = t0 + .milliseconds(now)
                switch Int.random(in: 0..<10, using: &random) {
                case 0..<4:
                    let got = lru.value(for: key, now: instant).map { Int(String(buffer: $0))! }
                    let expected = model.get(key, now: now)
                    if sweep == 0 {
                        #expect(got == expected, "step \(step)")
                    } else if let got {
                        #expect(got == lastSet[key]?.value, "step \(step)")
                        #expect(lastSet[key]?.expiresAt.map { $0 > now } ?? true, "step \(step)")
                    }
                case 4..<8:
                    let v = Int.random(in: 0..<100_000, using: &random)
                    let ttl: Int? = Bool.random(using: &random) ? Int.random(in: 1..<50, using: &random) : nil
                    lru.insert(ByteBuffer(string: "\(v)"), for: key, expiresAt: ttl.map { instant + .milliseconds($0) }, now: instant)
                    model.set(key, v, expiresAt: ttl.map { now + $0 })
                    lastSet[key] = (v, ttl.map { now + $0 })
                case 8:
                    let removed = lru.removeValue(for: key, now: instant)
                    let expected = model.remove(key, now: now)
                    if sweep == 0 { #expect(removed == expected, "step \(step)") }
                    lastSet[key] = nil
                default:
                    now += Int.random(in: 0..<20, using: &random)
                }
                if sweep == 0 {
                    #expect(lru.keysByRecency == model.entries.map(\.key), "step \(step)")
                    #expect(lru.totalBytes == model.bytes, "step \(step)")
                }
                #expect(lru.count <= limits.entries && lru.totalBytes <= limits.bytes)
            }
        }
    }
}

@Suite struct CacheHelperTests {
    @Test func ttlIsSentInWholeMillisecondsRoundedUp() throws {
        #expect(try CacheTTL.milliseconds(nil, key: "k") == nil)
        #expect(try CacheTTL.milliseconds(.seconds(1), key: "k") == 1000)
        #expect(try CacheTTL.milliseconds(.microseconds(1500), key: "k") == 2)
        #expect(try CacheTTL.milliseconds(.nanoseconds(1), key: "k") == 1)
        #expect(try CacheTTL.milliseconds(.seconds(86_400 * 365), key: "k") == 31_536_000_000)
        for bad in [Duration.zero, .seconds(-1)] {
            let e = #expect(throws: CacheError.self) { try CacheTTL.milliseconds(bad, key: "session:1") }
            #expect(e?.kind == .invalidTTL)
            #expect(e?.key == "session:1" && e?.message.contains("'session:1'") == true && e?.message.contains("positive") == true)
        }
    }

    @Test func scanPatternEscapesGlobCharacters() {
        #expect(CacheKeyPattern.matching(prefix: "") == "*")
        #expect(CacheKeyPattern.matching(prefix: "app:users:") == "app:users:*")
        #expect(CacheKeyPattern.matching(prefix: "a*b?c[d]e\\f") == "a\\*b\\?c\\[d\\]e\\\\f*")
        #expect(CacheKeyPattern.matching(prefix: "ключ🔑") == "ключ🔑*")
    }

    struct User: Codable, Equatable { var id: Int; var name: String }

    @Test func jsonCoderRoundTripsAndDecodeErrorsNameTheKeyNotTheValue() throws {
        let coder = JSONCacheValueCoder()
        let bytes = try coder.encode(User(id: 1, name: "Ada"))
        #expect(try coder.decode(User.self, from: bytes) == User(id: 1, name: "Ada"))
        #expect(try coder.decode(String.self, from: try coder.encode("plain")) == "plain")
        for stored in [#"{"id":"secret-value-42","name":"x"}"#, "secret-value-42 not json", ""] {
            let e = #expect(throws: CacheError.self) {
                try coder.decodeValue(User.self, from: ByteBuffer(string: stored), key: "user:7")
            }
            #expect(e?.kind == .decodingFailed && e?.key == "user:7")
            #expect(e?.message.contains("'user:7'") == true && e?.message.contains("User") == true)
            #expect(e?.description.contains("secret-value-42") == false, "\(e?.description ?? "")")
        }
    }
}

extension CacheHelperTests {
    /// The plain-string shortcut reads exactly what JSONDecoder reads, and refuses the rest.
    @Test func plainStringShortcutAgreesWithJSONDecoder() throws {
        let coder = JSONCacheValueCoder()
        let samples: [[UInt8]] = [
            Array(#""""#.utf8), Array(#""plain""#.utf8), Array(#""ünïcødé ✓ 🔑""#.utf8), Array(#""a\"b""#.utf8),
            Array(#""tab\tand\u00e9""#.utf8), Array(#""unterminated"#.utf8), Array(#" "spaced" "#.utf8), Array("\"a\nb\"".utf8),
            [0x22, 0xFF, 0xFE, 0x22], [0x22, 0xC3, 0x22], Array(#""a"b""#.utf8), Array("42".utf8), Array(#"["x"]"#.utf8),
        ]
        for bytes in samples {
            let ours = try? coder.decode(String.self, from: ByteBuffer(bytes: bytes))
            let theirs = try? JSONDecoder().decode(String.self, from: Data(bytes))
            #expect(ours == theirs, "\(bytes)")
        }
        #expect(JSONCacheValueCoder.plainString(ByteBuffer(string: #""a\"b""#)) == nil)  // escapes go to JSONDecoder
        #expect(JSONCacheValueCoder.plainString(ByteBuffer(bytes: [0x22, 0xC3, 0x22])) == nil)  // invalid UTF-8 too
        #expect(JSONCacheValueCoder.plainString(ByteBuffer(string: #""ok""#)) == "ok")
    }
}

/// Single-flight on its own: shared results, shared errors, cancellation.
@Suite struct CacheSingleFlightTests {
    struct Boom: Error {}

    /// Waits (bounded) until `n` callers wait for `key`.
    static func waitForWaiters(_ flights: CacheSingleFlight, _ key: String, _ n: Int) async {
        for _ in 0..<2_000 where flights.waiterCount(for: key) < n { try? await Task.sleep(for: .milliseconds(5)) }
    }

    @Test func callersShareOneComputationAndItsError() async throws {
        let flights = CacheSingleFlight()
        let runs = Collector<Int>()
        let results = try await withThrowingTaskGroup(of: ByteBuffer.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    try await flights.run("k") {
                        await Self.waitForWaiters(flights, "k", 20)
                        runs.append(1)
                        return ByteBuffer(string: "value")
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(runs.all.count == 1)
        #expect(results == Array(repeating: ByteBuffer(string: "value"), count: 20))
        #expect(flights.waiterCount(for: "k") == 0)

        let failures = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    do {
                        _ = try await flights.run("k") {
                            await Self.waitForWaiters(flights, "k", 20)
                            runs.append(2)
                            throw Boom()
                        }
                        return false
                    } catch { return error is Boom }
                }
            }
            return await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
        }
        #expect(failures == 20)
        #expect(runs.all == [1, 2])
    }

    @Test func aCancelledCallerStopsWaitingWhileTheOthersGetTheValue() async throws {
        let flights = CacheSingleFlight()
        let release = AsyncStream<Void>.makeStream()
        let work: @Sendable () async throws -> ByteBuffer = {
            for await _ in release.stream { break }
            return ByteBuffer(string: "v")
        }
        let first = Task { try await flights.run("k", work) }
        await Self.waitForWaiters(flights, "k", 1)  // first runs the computation
        let second = Task { try await flights.run("k", work) }
        await Self.waitForWaiters(flights, "k", 2)
        second.cancel()
        await #expect(throws: CancellationError.self) { try await second.value }
        #expect(flights.waiterCount(for: "k") == 1)
        release.continuation.yield()
        #expect(try await first.value == ByteBuffer(string: "v"))
    }

    @Test func whenTheComputingCallerIsCancelledAWaiterComputesAgain() async throws {
        let flights = CacheSingleFlight()
        let runs = Collector<Int>()
        let leader = Task {
            try await flights.run("k") {
                runs.append(1)
                try await Task.sleep(for: .seconds(60))
                return ByteBuffer(string: "never")
            }
        }
        await Self.waitForWaiters(flights, "k", 1)
        let waiter = Task { try await flights.run("k") { runs.append(2); return ByteBuffer(string: "again") } }
        await Self.waitForWaiters(flights, "k", 2)
        leader.cancel()
        await #expect(throws: CancellationError.self) { try await leader.value }
        #expect(try await waiter.value == ByteBuffer(string: "again"))
        #expect(runs.all == [1, 2])
    }

    @Test func theComputationIsCancelledWhenEveryCallerHasGone() async throws {
        let flights = CacheSingleFlight()
        let sawCancellation = Collector<Bool>()
        let caller = Task {
            try await flights.run("k") {
                do {
                    try await Task.sleep(for: .seconds(60))
                } catch {
                    sawCancellation.append(true)
                    throw error
                }
                return ByteBuffer()
            }
        }
        await Self.waitForWaiters(flights, "k", 1)
        caller.cancel()
        await #expect(throws: CancellationError.self) { try await caller.value }
        for _ in 0..<2_000 where sawCancellation.all.isEmpty { try await Task.sleep(for: .milliseconds(5)) }
        #expect(sawCancellation.all == [true])
        // A caller already cancelled never starts a computation.
        let runs = Collector<Int>()
        let late = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await flights.run("k2") { runs.append(1); return ByteBuffer() }
        }
        await #expect(throws: CancellationError.self) { try await late.value }
        #expect(runs.all.isEmpty)
    }
}
