import NIOCore
import RESP
import RedisProvider
import RedisProviderTestSupport
import Testing

/// One client surface: the same generic code, written against `some RedisClientProtocol`, on
/// a standalone client, a cluster client, and a provider in each mode.
@Suite struct ClientSurfaceTests {
    /// Commands, a pipeline with an error reply in the middle, both transactions, a session,
    /// health and connection counts, all through the protocol; keys share the `{s}` tag so
    /// that a cluster serves them from one slot.
    func exercise(_ redis: some RedisClientProtocol, nodes: Int, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await redis.set("{s}:a", "1")
        let results = await redis.pipeline([
            RESPCommand("INCR", "{s}:a"), RESPCommand("HGET", "{s}:a", "f"), RESPCommand("GET", "{s}:a"),
        ])
        #expect((try? results[0].get()) == .integer(2), sourceLocation: sourceLocation)
        guard case .failure(let wrongType) = results[1] else {
            Issue.record("HGET on a string should fail", sourceLocation: sourceLocation)
            return
        }
        // An error reply is a `.server` RedisError naming the node, on every client.
        #expect(wrongType.kind == .server && wrongType.serverError?.code == "WRONGTYPE", sourceLocation: sourceLocation)
        #expect(wrongType.endpoint?.hasPrefix("127.0.0.1:") == true, sourceLocation: sourceLocation)
        #expect((try? results[2].get())?.string == "2", sourceLocation: sourceLocation)

        let exec = try await redis.transaction([RESPCommand("INCR", "{s}:a"), RESPCommand("GET", "{s}:a")])
        #expect(exec == [.integer(3), .bulkString(ByteBuffer(string: "3"))], sourceLocation: sourceLocation)

        let watched = try await redis.transaction(watching: ["{s}:a"]) { session in
            let a = Int(try await session.get("{s}:a").map { String(buffer: $0) } ?? "") ?? 0
            return [RESPCommand("SET", "{s}:a", a * 10)]
        }
        #expect(watched?.count == 1, sourceLocation: sourceLocation)
        #expect(try await redis.get("{s}:a").map { String(buffer: $0) } == "30", sourceLocation: sourceLocation)

        let id = try await redis.withDedicatedConnection(routingKey: "{s}") { session in try await session.clientID() }
        #expect(id > 0, sourceLocation: sourceLocation)

        let health = await redis.health(timeout: .seconds(5))
        #expect(health.status == .healthy, "\(health.problems)", sourceLocation: sourceLocation)
        #expect(health.nodes.count == nodes, sourceLocation: sourceLocation)
        #expect(redis.connectionCounts.connections >= 1, sourceLocation: sourceLocation)
        await redis.shutdown()
        let afterShutdown = await redisError { _ = try await redis.get("{s}:a") }
        #expect(afterShutdown?.kind == .shutdown, sourceLocation: sourceLocation)
    }

    @Test func standaloneClientAndProvider() async throws {
        try await withServer { server in
            try await exercise(try RedisClient(url: server.url), nodes: 1)
            let provider = try RedisProvider(url: server.url)
            try await exercise(provider, nodes: 1)
            #expect(await provider.health().modeReason == provider.mode.reason)
        }
    }

    /// Every expiration `SET` sends is one the server takes, a fraction of a millisecond
    /// included (sent as `PX 1`, not the `PX 0` the server refuses).
    @Test func expirationsTheServerTakes() async throws {
        try await withClient { redis, _ in
            try await redis.set("e:short", "1", expiration: .after(.microseconds(500)))
            try await redis.set("e:ms", "1", expiration: .after(.milliseconds(60_500)))
            try await redis.set("e:s", "1", expiration: .after(.seconds(60)))
            let pttl = try await redis.send("PTTL", "e:ms", as: Int.self)
            #expect(pttl > 0 && pttl <= 60_500)
            let ttl = try await redis.send("TTL", "e:s", as: Int.self)
            #expect(ttl > 0 && ttl <= 60)
            try await redis.set("e:s", "2", expiration: .keepCurrent)
            #expect(try await redis.send("TTL", "e:s", as: Int.self) > 0)
            let zero = await redisError { try await redis.set("e:zero", "1", expiration: .after(.zero)) }
            #expect(zero?.kind == .server && zero?.message.contains("invalid expire time") == true)
        }
    }

    @Test func clusterClientAndProvider() async throws {
        try await withCluster { client, cluster in
            try await exercise(client, nodes: 6)
            try await exercise(try RedisProvider(url: cluster.seedURL, clusterOptions: .init(refreshInterval: nil)), nodes: 6)
        }
    }
}
