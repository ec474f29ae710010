import Foundation
import Hummingbird
import HummingbirdTesting
import RedisProvider
import RedisProviderTestSupport
import RedisProviderHummingbird
import Testing

/// The behaviours of Hummingbird's own persist tests (`Tests/HummingbirdTests/PersistTests.swift`),
/// through a Hummingbird application, for `RedisPersistDriver` on a server and on a cluster —
/// and for `MemoryPersistDriver`, the reference, so that the checks themselves are known right.
@Suite struct HummingbirdPersistTests {
    @Test func memoryDriverPassesTheChecks() async throws {
        try await checkPersistBehaviours(MemoryPersistDriver())
    }

    @Test(arguments: Backend.allCases) func redisDriverPassesTheChecks(backend: Backend) async throws {
        try await withServers(backend) { servers in
            try await withProvider(servers.url) { redis in
                try await checkPersistBehaviours(RedisPersistDriver(redis: redis, keyPrefix: "persist:"))
                // Keys land on every primary: nothing ties them to one slot.
                let persist = RedisPersistDriver(redis: redis, keyPrefix: "spread:")
                for i in 0..<300 { try await persist.set(key: "k\(i)", value: i) }
                for i in stride(from: 0, to: 300, by: 37) { #expect(try await persist.get(key: "k\(i)", as: Int.self) == i) }
                let counts = try await servers.keysPerPrimary()
                #expect(counts.allSatisfy { $0 > 0 }, "keys per primary: \(counts)")
            }
        }
    }

    /// `set` without an expiry keeps the key's expiry, `create` with one sets it, and an expiry
    /// of zero (which Redis itself refuses) expires the value at once.
    @Test func expiryRules() async throws {
        try await withServers(.standalone) { servers in
            try await withProvider(servers.url) { redis in
                let persist = RedisPersistDriver(redis: redis)
                try await persist.set(key: "a", value: "one", expires: .seconds(100))
                try await persist.set(key: "a", value: "two")
                let ttl = try #require(try await persist.getWithTTL(key: "a", as: String.self))
                #expect(ttl.object == "two")
                #expect(ttl.ttl.map { $0 > .seconds(90) && $0 <= .seconds(100) } == true)
                try await persist.create(key: "b", value: 1, expires: .seconds(50))
                #expect(try await redis.ttl("b").map { $0 > .seconds(40) } == true)
                #expect(try await persist.getWithTTL(key: "missing", as: String.self) == nil)
                try await persist.set(key: "c", value: "gone", expires: .zero)
                #expect(try await eventually { try await persist.get(key: "c", as: String.self) == nil })
                try await persist.create(key: "d", value: "forever")
                #expect(try await persist.getWithTTL(key: "d", as: String.self)?.ttl == nil)
            }
        }
    }
}

/// Each check of Hummingbird's `PersistTests`, in its words, against `persist`.
func checkPersistBehaviours(_ persist: any PersistDriver, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    struct TestCodable: Codable { let buffer: String }
    let router = Router()
    router.put("/persist/:tag") { request, context -> HTTPResponse.Status in
        let buffer = try await request.body.collect(upTo: .max)
        try await persist.set(key: try context.parameters.require("tag"), value: String(buffer: buffer))
        return .ok
    }
    router.put("/persist/:tag/:time") { request, context -> HTTPResponse.Status in
        guard let time = context.parameters.get("time", as: Int.self) else { throw HTTPError(.badRequest) }
        let buffer = try await request.body.collect(upTo: .max)
        try await persist.set(key: try context.parameters.require("tag"), value: String(buffer: buffer), expires: .seconds(time))
        return .ok
    }
    router.put("/create/:tag") { request, context -> HTTPResponse.Status in
        let buffer = try await request.body.collect(upTo: .max)
        do {
            try await persist.create(key: try context.parameters.require("tag"), value: String(buffer: buffer))
        } catch let error as PersistError where error == .duplicate {
            throw HTTPError(.conflict)
        }
        return .ok
    }
    router.get("/persist/:tag") { _, context -> String? in
        try await persist.get(key: try context.parameters.require("tag"), as: String.self)
    }
    router.get("/persist/:tag/ttl") { _, context -> String? in
        try await persist.getWithTTL(key: try context.parameters.require("tag"), as: String.self)?.ttl.map { String($0.components.seconds) }
    }
    router.delete("/persist/:tag") { _, context -> HTTPResponse.Status in
        try await persist.remove(key: try context.parameters.require("tag"))
        return .noContent
    }
    router.put("/codable/:tag") { request, context -> HTTPResponse.Status in
        let buffer = try await request.body.collect(upTo: .max)
        try await persist.set(key: try context.parameters.require("tag"), value: TestCodable(buffer: String(buffer: buffer)))
        return .ok
    }
    router.get("/codable/:tag") { _, context -> String? in
        try await persist.get(key: try context.parameters.require("tag"), as: TestCodable.self)?.buffer
    }
    router.get("/invalid/:tag") { _, context -> String? in
        do {
            return try await persist.get(key: try context.parameters.require("tag"), as: String.self)
        } catch let error as PersistError where error == .invalidConversion {
            throw HTTPError(.badRequest)
        }
    }

    let app = Application(router: router)
    try await app.test(.router) { client in
        func put(_ uri: String, _ body: String) async throws -> HTTPResponse.Status {
            try await client.execute(uri: uri, method: .put, body: ByteBuffer(string: body)) { $0.status }
        }
        func get(_ uri: String) async throws -> (HTTPResponse.Status, String) {
            try await client.execute(uri: uri, method: .get) { ($0.status, String(buffer: $0.body)) }
        }
        // testSetGet, testSetTwice
        let tag = UUID().uuidString
        #expect(try await put("/persist/\(tag)", "Persist") == .ok, sourceLocation: sourceLocation)
        #expect(try await get("/persist/\(tag)").1 == "Persist", sourceLocation: sourceLocation)
        #expect(try await put("/persist/\(tag)", "test2") == .ok, sourceLocation: sourceLocation)
        #expect(try await get("/persist/\(tag)").1 == "test2", sourceLocation: sourceLocation)
        // testCreateGet, testDoubleCreateFail
        let created = UUID().uuidString
        #expect(try await put("/create/\(created)", "Persist") == .ok, sourceLocation: sourceLocation)
        #expect(try await get("/persist/\(created)").1 == "Persist", sourceLocation: sourceLocation)
        #expect(try await put("/create/\(created)", "Again") == .conflict, sourceLocation: sourceLocation)
        #expect(try await get("/persist/\(created)").1 == "Persist", sourceLocation: sourceLocation)
        // testExpires, testTTL, testExpireAndAdd
        let (expiring, lasting) = (UUID().uuidString, UUID().uuidString)
        #expect(try await put("/persist/\(expiring)/0", "ThisIsTest1") == .ok, sourceLocation: sourceLocation)
        #expect(try await put("/persist/\(lasting)/10", "ThisIsTest2") == .ok, sourceLocation: sourceLocation)
        let ttl = Int(try await get("/persist/\(lasting)/ttl").1) ?? -1
        #expect(ttl <= 10 && ttl > 1, "ttl \(ttl)", sourceLocation: sourceLocation)
        try await Task.sleep(for: .seconds(1))
        #expect(try await get("/persist/\(expiring)").0 == .noContent, sourceLocation: sourceLocation)
        #expect(try await get("/persist/\(lasting)").1 == "ThisIsTest2", sourceLocation: sourceLocation)
        #expect(try await put("/persist/\(expiring)/10", "ThisIsTest1") == .ok, sourceLocation: sourceLocation)
        #expect(try await get("/persist/\(expiring)") == (.ok, "ThisIsTest1"), sourceLocation: sourceLocation)
        // testCodable, testInvalidGetAs
        let codable = UUID().uuidString
        #expect(try await put("/codable/\(codable)", "Persist") == .ok, sourceLocation: sourceLocation)
        #expect(try await get("/codable/\(codable)").1 == "Persist", sourceLocation: sourceLocation)
        #expect(try await get("/invalid/\(codable)").0 == .badRequest, sourceLocation: sourceLocation)
        // testRemove
        try await client.execute(uri: "/persist/\(tag)", method: .delete) { #expect($0.status == .noContent, sourceLocation: sourceLocation) }
        #expect(try await get("/persist/\(tag)").0 == .noContent, sourceLocation: sourceLocation)
    }
}
