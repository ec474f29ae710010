import NIOCore
import RESP
import RedisProviderTestSupport
import Testing

@testable import RedisProvider

/// Blocking commands and dedicated sessions against real servers: standalone and cluster,
/// on the client and the provider alike, pooled connections, timeouts, cancellation and a
/// failover during the wait.
@Suite(.serialized) struct BlockingTests {
    /// The number of clients the server has, from `INFO clients`.
    static func connectedClients(_ redis: some RedisCommandExecutor) async throws -> (connected: Int, blocked: Int) {
        let info = String(buffer: try await redis.execute(RESPCommand("INFO", "clients"), as: ByteBuffer.self))
        func field(_ name: String) -> Int {
            info.split(whereSeparator: \.isNewline).first { $0.hasPrefix(name + ":") }.flatMap { Int($0.split(separator: ":")[1]) } ?? -1
        }
        return (field("connected_clients"), field("blocked_clients"))
    }

    /// Every typed blocking command, on any client: an element pushed while it waits is
    /// returned, nothing within the timeout gives `nil`, and the shared connection keeps
    /// serving meanwhile.
    static func checkTypedBlockingCommands(_ redis: some RedisCommandExecutor, tag: String) async throws {
        let queue = "{\(tag)}:queue"
        async let popped = redis.blpop([queue], timeout: .seconds(10))
        try await Task.sleep(for: .milliseconds(100))
        #expect(try await redis.get("{\(tag)}:nothing") == nil)  // not stuck behind the BLPOP
        try await redis.rpush(queue, ["job-1"])
        let result = try await popped
        #expect(result?.key == queue && result.map { String(buffer: $0.value) } == "job-1")
        #expect(try await redis.brpop([queue, "{\(tag)}:other"], timeout: .milliseconds(50)) == nil)

        try await redis.rpush(queue, ["a", "b", "c"])
        #expect(try await redis.brpop([queue], timeout: .seconds(1)).map { String(buffer: $0.value) } == "c")
        #expect(try await redis.blmove(from: queue, to: "{\(tag)}:done", timeout: .seconds(1)).map { String(buffer: $0) } == "a")
        let many = try await redis.blmpop(["{\(tag)}:empty", queue], from: .right, count: 5, timeout: .seconds(1))
        #expect(many?.key == queue && many?.values.map { String(buffer: $0) } == ["b"])
        try await redis.zadd("{\(tag)}:z", [(score: 1, member: "low"), (score: 9, member: "high")])
        let low = try await redis.bzpopmin(["{\(tag)}:z"], timeout: .seconds(1))
        #expect(low?.member == ByteBuffer(string: "low") && low?.score == 1)
        let high = try await redis.bzpopmax(["{\(tag)}:z"], timeout: .seconds(1))
        #expect(high?.member == ByteBuffer(string: "high") && high?.score == 9)
        #expect(try await redis.bzpopmin(["{\(tag)}:z"], timeout: .milliseconds(20)) == nil)

        let stream = "{\(tag)}:stream"
        let first = try await redis.execute(RESPCommand("XADD", stream, "*", "n", "1"), as: String.self)
        async let read = redis.xread(streams: [(stream, first)], block: .upTo(.seconds(10)))
        try await Task.sleep(for: .milliseconds(100))
        let second = try await redis.execute(RESPCommand("XADD", stream, "*", "n", "2"), as: String.self)
        let reads = try await read
        #expect(reads?.first?.entries.map(\.id) == [second])
        #expect(reads?.first?.entries.first?["n"] == ByteBuffer(string: "2"))
        #expect(try await redis.xread(streams: [(stream, second)], block: .upTo(.milliseconds(20))) == nil)
        _ = try await redis.execute(RESPCommand("XGROUP", "CREATE", stream, "workers", "0"))
        let claimed = try await redis.xreadgroup(
            group: "workers", consumer: "w1", streams: [(stream, ">")], count: 10, block: .upTo(.seconds(1)))
        #expect(claimed?.first?.entries.map(\.id) == [first, second])
        #expect(try await redis.xreadgroup(group: "workers", consumer: "w1", streams: [(stream, ">")], block: .upTo(.milliseconds(20))) == nil)
    }

    @Test func standaloneClientAndProvider() async throws {
        try await withServer { server in
            let client = try RedisClient(url: server.url)
            try await Self.checkTypedBlockingCommands(client, tag: "client")
            let provider = try RedisProvider(url: server.url, observability: .init(tracer: nil))
            try await Self.checkTypedBlockingCommands(provider, tag: "provider")
            await provider.shutdown()
            await client.shutdown()
        }
    }

    @Test func dedicatedConnectionsArePooled() async throws {
        try await withServer { server in
            // Named, so that the count leaves out the test harness's own connections.
            let client = try RedisClient(url: server.url + "?client_name=pool-test")
            _ = try await client.ping()
            func ours() async throws -> Int {
                let list = try await client.execute(RESPCommand("CLIENT", "LIST"), as: String.self)
                return list.split(whereSeparator: \.isNewline).filter { $0.contains(" name=pool-test ") }.count
            }
            #expect(try await ours() == 1)
            for i in 0..<20 { #expect(try await client.blpop(["pool:\(i)"], timeout: .milliseconds(5)) == nil) }
            for _ in 0..<5 { _ = try await client.withDedicatedConnection { session in try await session.ping() } }
            // One dedicated connection served them all, one after the other.
            #expect(try await ours() == 2)
            #expect(client.node.idleDedicatedConnections == 1)

            // Eight at once: eight connections, four kept (the default), the rest closed.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<8 { group.addTask { _ = try await client.blpop(["pool:c\(i)"], timeout: .milliseconds(200)) } }
                try await group.waitForAll()
            }
            #expect(client.node.idleDedicatedConnections == 4)
            await client.shutdown()
        }
    }

    @Test func timeoutsCancellationAndSessions() async throws {
        try await withServer { server in
            // A command timeout shorter than the block: the block's own timeout counts.
            let client = try RedisClient(url: server.url + "?timeout=200ms")
            #expect(try await client.blpop(["t:empty"], timeout: .milliseconds(600)) == nil)

            // A cancelled wait ends at once, and its connection is closed, not pooled.
            let waiting = Task { try await client.blpop(["t:never"], timeout: nil) }
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await Self.connectedClients(client).blocked == 1)
            waiting.cancel()
            let cancelled = await redisError { _ = try await waiting.value }
            #expect(cancelled?.kind == .cancelled)
            var blocked = 1
            // Bounded generously: on a loaded machine the server may take a while to see the close.
            for _ in 0..<250 where blocked > 0 {
                try await Task.sleep(for: .milliseconds(20))
                blocked = try await Self.connectedClients(client).blocked
            }
            #expect(blocked == 0)

            // A session keeps its connection: WAIT after a write, CLIENT settings, blocking reads.
            let name = try await client.withDedicatedConnection { session in
                try await session.set("t:s", "1")
                #expect(try await session.wait(replicas: 0, timeout: .milliseconds(10)) == 0)
                _ = try await session.send("CLIENT", "SETNAME", "session-test")
                #expect(try await session.blpop(["t:empty"], timeout: .milliseconds(10)) == nil)
                return try await session.send("CLIENT", "GETNAME", as: String.self)
            }
            #expect(name == "session-test")
            // The session changed its connection's name: it was closed, not handed to the next.
            let next = try await client.withDedicatedConnection { session in try await session.send("CLIENT", "GETNAME", as: String?.self) }
            #expect(next == nil)
            let refused = await redisError { _ = try await client.withDedicatedConnection { session in try await session.send("SUBSCRIBE", "c") } }
            #expect(refused?.kind == .unsupportedCommand)
            // WAIT outside a session would count some other connection's writes: refused, pointing at sessions.
            let wait = await redisError { _ = try await client.send("WAIT", 1, 100) }
            #expect(wait?.kind == .unsupportedCommand && wait?.message.contains("withDedicatedConnection") == true)

            // Shutdown ends a wait that has no timeout instead of waiting for it.
            let forever = Task { try await client.blpop(["t:forever"], timeout: nil) }
            try await Task.sleep(for: .milliseconds(200))
            await client.shutdown()
            let ended = await redisError { _ = try await forever.value }
            #expect(ended != nil)
        }
    }

    @Test(arguments: ClusterServer.available) func clusterClientAndProvider(server: ClusterServer) async throws {
        try await withCluster(server) { client, cluster in
            try await Self.checkTypedBlockingCommands(client, tag: "cluster")
            let provider = try RedisProvider(url: cluster.seedURL, clusterOptions: .init(refreshInterval: nil), observability: .init(tracer: nil))
            try await Self.checkTypedBlockingCommands(provider, tag: "provider")
            // Keys in two slots cannot block together.
            let across = await redisError { _ = try await provider.blpop(["a", "b"], timeout: .milliseconds(10)) }
            #expect(across?.kind == .crossSlot)
            // A session on the routing key's primary: WAIT sees its replica take the write.
            let acknowledged = try await provider.withDedicatedConnection(routingKey: "{order}:17") { session in
                try await session.set("{order}:17", "paid")
                return try await session.wait(replicas: 1, timeout: .seconds(5))
            }
            #expect(acknowledged == 1)
            let elsewhere = await redisError {
                _ = try await provider.withDedicatedConnection(routingKey: "{order}:17") { session in try await session.get("other") }
            }
            #expect(elsewhere?.kind == .crossSlot)
            await provider.shutdown()
        }
    }

    /// A primary killed while commands block on it: a blocking read is sent again to the
    /// promoted replica and gets what is written there; a blocking pop, which may have
    /// popped before the connection died, fails with `.outcomeUnknown`, never hangs.
    @Test(arguments: ClusterServer.available) func failoverDuringABlock(server: ClusterServer) async throws {
        try await withCluster(server) { client, cluster in
            let stream = "{fo}:stream"
            let first = try await client.execute(RESPCommand("XADD", stream, "*", "n", "1"), as: String.self)
            try await Task.sleep(for: .milliseconds(200))  // replication of the first entry
            let owner = try await cluster.node(owningSlot: HashSlot.slot(for: stream))
            async let read = client.xread(streams: [(stream, first)], block: .upTo(.seconds(30)))
            let pop = Task { try await client.blpop(["{fo}:queue"], timeout: .seconds(30)) }
            // Both block on the owner before it dies (a fixed pause was too short on a loaded CI machine).
            let watcher = try RedisClient(url: owner.url)
            #expect(try await eventually(.seconds(20)) {
                let info = try await watcher.send("INFO", "clients", as: String.self)
                return info.contains("blocked_clients:2")
            })
            await watcher.shutdown()
            cluster.kill(owner)
            _ = try await cluster.waitForFailover(of: owner)
            let popError = await redisError { _ = try await pop.value }
            #expect(popError?.kind == .outcomeUnknown, "\(popError?.message ?? "")")
            let second = try await client.execute(RESPCommand("XADD", stream, "*", "n", "2"), as: String.self)
            let reads = try await read
            #expect(reads?.first?.entries.map(\.id) == [second])
        }
    }
}
