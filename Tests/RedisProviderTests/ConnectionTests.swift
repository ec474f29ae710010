import NIOCore
import NIOPosix
import RESP
import RedisProviderTestSupport
import Synchronization
import Testing

@testable import RedisProvider

@Suite struct ConnectionTests {
    @Test func thousandConcurrentCallersGetTheirOwnReplies() async throws {
        try await withClient { client, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<1000 {
                    group.addTask {
                        try await client.set("key:\(i)", "value:\(i)")
                        let echoed = try await client.echo("echo:\(i)")
                        #expect(String(buffer: echoed) == "echo:\(i)")
                        #expect(try await client.get("key:\(i)").text == "value:\(i)")
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await client.dbsize() == 1000)
            // Everything went over the one shared connection (plus none other).
            let clients = try await client.clientList().split(separator: "\n").filter { $0.contains("lib-name=redis-provider") || $0.contains("cmd=client") }
            #expect(clients.count == 1)
        }
    }

    /// With a connection per event loop, a caller running on a loop uses that loop's
    /// connection (its command and reply stay on one thread); other callers take them in turn.
    @Test func callersOnAnEventLoopUseThatLoopsConnection() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        try await withServer { server in
            let url = try RedisURL(server.url)
            var configuration = RedisClientConfiguration(url: url)
            configuration.connectionsPerNode = 2
            let node = try RedisNodeClient(endpoint: url.endpoints[0], configuration: configuration, eventLoopGroup: group)
            let executors = Array(group.makeIterator()).map(EventLoopExecutor.init)
            for round in 0..<3 {
                for executor in executors {
                    let loopOfConnection = try await Task(executorPreference: executor) {
                        #expect(try await node.send(RESPCommand("SET", "k\(round)", "v")) == .simpleString(ByteBuffer(string: "OK")))
                        return try await node.connection().channel.eventLoop
                    }.value
                    #expect(loopOfConnection === executor.loop, "round \(round)")
                }
            }
            // Off the loops: round-robin over both connections.
            let loops = try await [node.connection(), node.connection()].map { ObjectIdentifier($0.channel.eventLoop) }
            #expect(Set(loops).count == 2)
            #expect(node.openConnections == 2)
            await node.shutdown(graceful: false)
        }
        try await group.shutdownGracefully()
    }

    /// Callers on the connection's own loop write part of their batch early (while the rest
    /// are still being resumed): every reply still reaches its own caller, in order.
    @Test func callersOnTheConnectionsLoopWriteEarlyAndKeepTheirOrder() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        try await withServer { server in
            let url = try RedisURL(server.url)
            let node = try RedisNodeClient(endpoint: url.endpoints[0], configuration: RedisClientConfiguration(url: url), eventLoopGroup: group)
            let executor = EventLoopExecutor(group.next())
            try await withThrowingTaskGroup(of: Void.self) { callers in
                for caller in 0..<50 {
                    callers.addTask(executorPreference: executor) {
                        for expected in Int64(1)...200 {
                            let reply = try await node.send(RESPCommand("INCR", "counter:\(caller)"))
                            #expect(reply == .integer(expected), "caller \(caller)")
                            if reply != .integer(expected) { return }
                        }
                    }
                }
                try await callers.waitForAll()
            }
            let totals = try await node.send(RESPCommand("MGET", (0..<50).map { "counter:\($0)" }))
            #expect(totals == .array(Array(repeating: .bulkString(ByteBuffer(string: "200")), count: 50)))
            await node.shutdown(graceful: false)
        }
        try await group.shutdownGracefully()
    }

    /// Values from 32 KiB up are written from their own buffer instead of being copied into
    /// the batch: mixed with small commands, in pipelines and from concurrent callers, every
    /// byte still arrives in order.
    @Test func largeValuesKeepTheirPlaceAmongSmallCommands() async throws {
        try await withClient { client, _ in
            func value(_ size: Int, _ seed: UInt8) -> ByteBuffer {
                ByteBuffer(bytes: (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) &+ seed })
            }
            let big = value(1_048_576, 1), medium = value(40_000, 2), atLimit = value(32 * 1024, 3)
            let replies = await client.pipeline([
                RESPCommand("SET", "small", "s"), RESPCommand("SET", "big", big), RESPCommand("GET", "small"),
                RESPCommand("SET", "medium", medium), RESPCommand("SET", "atLimit", atLimit), RESPCommand("GET", "big"),
                RESPCommand("GET", "medium"), RESPCommand("GET", "atLimit"), RESPCommand("STRLEN", "big"),
            ])
            #expect(try replies[2].get() == .bulkString(ByteBuffer(string: "s")))
            #expect(try replies[5].get() == .bulkString(big))
            #expect(try replies[6].get() == .bulkString(medium))
            #expect(try replies[7].get() == .bulkString(atLimit))
            #expect(try replies[8].get() == .integer(1_048_576))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<20 {
                    group.addTask {
                        let mine = i % 2 == 0 ? value(100_000 + i, UInt8(i)) : ByteBuffer(string: "v\(i)")
                        try await client.set("k\(i)", mine)
                        #expect(try await client.get("k\(i)") == mine, "caller \(i)")
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    /// A caller isolated to an actor keeps its commands on that actor: no hop to another
    /// executor and back per command.
    @Test func callersIsolatedToAnActorStayOnIt() async throws {
        try await withClient { client, _ in try await checkCommandsStayOnTheCallersActor(client) }
    }

    @Test func pipelineKeepsOrderAndPerCommandErrors() async throws {
        try await withClient { client, _ in
            let replies = await client.pipeline([
                RESPCommand("SET", "a", "1"), RESPCommand("INCR", "a"), RESPCommand("HGET", "a", "f"), RESPCommand("GET", "a"),
            ])
            #expect(replies.count == 4)
            #expect((try? replies[1].get()) == .integer(2))
            guard case .failure(let e) = replies[2] else { Issue.record("expected WRONGTYPE"); return }
            #expect(e.kind == .server && e.serverError?.code == "WRONGTYPE" && e.endpoint != nil)
            #expect((try? replies[3].get())?.string == "2")
        }
    }

    @Test func serverErrorsAreTypedWithTheirCode() async throws {
        try await withClient { client, _ in
            let e = await redisError { _ = try await client.send("NOSUCHCOMMAND", "x") }
            #expect(e?.kind == .server)
            #expect(e?.serverError?.code == "ERR")
        }
    }

    @Test func passwordAndACLUsers() async throws {
        var options = RedisServer.Options()
        options.password = "s3cret"
        options.users = [(name: "app", password: "app-pass")]
        try await withServer(options) { server in
            let ok = try RedisClient(url: server.url)
            #expect(try await ok.ping() == "PONG")
            await ok.shutdown()

            let acl = try RedisClient(url: "redis://app:app-pass@127.0.0.1:\(server.port)")
            #expect(try await acl.send("ACL", "WHOAMI", as: String.self) == "app")
            await acl.shutdown()

            let none = try RedisClient(url: "redis://127.0.0.1:\(server.port)")
            let noAuth = await redisError { try await none.ping() }
            #expect(noAuth?.kind == .authentication)
            #expect(noAuth?.message.contains("requires a password") == true)
            await none.shutdown()

            let wrong = try RedisClient(url: "redis://app:not-the-password@127.0.0.1:\(server.port)")
            let wrongPass = await redisError { try await wrong.ping() }
            #expect(wrongPass?.kind == .authentication)
            #expect(wrongPass?.message.contains("'app'") == true)
            #expect(wrongPass?.description.contains("not-the-password") == false)
            await wrong.shutdown()
        }
    }

    @Test func resp2DatabaseAndClientName() async throws {
        try await withClient(query: "/3?protocol=2&client_name=checkout") { client, _ in
            let connection = try await client.node.connection()
            #expect(connection.protocolVersion == 2)
            #expect(try await client.clientName() == "checkout")
            #expect(try await client.send("CLIENT", "INFO", as: String.self).contains("db=3"))
            try await client.hset("h", [(field: "f", value: "v"), (field: "g", value: 2)])
            let all = try await client.hgetall("h")
            #expect(all.mapValues { String(buffer: $0) } == ["f": "v", "g": "2"])
        }
        try await withClient(query: "/3") { client, _ in
            let connection = try await client.node.connection()
            #expect(connection.protocolVersion == 3)
        }
    }

    @Test func databaseOutOfRangeIsAConfigurationError() async throws {
        try await withServer { server in
            let client = try RedisClient(url: server.url + "/99")
            let e = await redisError { try await client.ping() }
            #expect(e?.kind == .invalidConfiguration)
            #expect(e?.message.contains("database 99") == true)
            await client.shutdown()
        }
    }

    @Test func connectionRefusedNamesTheAddress() async throws {
        let port = freeLoopbackPort()
        let client = try RedisClient(url: "redis://127.0.0.1:\(port)?connect_timeout=2s")
        let e = await redisError { try await client.ping() }
        #expect(e?.kind == .connectionRefused)
        #expect(e?.message.contains("127.0.0.1:\(port)") == true)
        await client.shutdown()
    }

    @Test func cancellationMidFlightKeepsTheConnectionInStep() async throws {
        var options = RedisServer.Options()
        options.extraArguments = ["--enable-debug-command", "yes"]
        try await withClient(options) { client, _ in
            try await client.set("k", "v")
            // Long enough that the cancellation lands while the server sleeps, even when a
            // loaded machine wakes this task late (CI once took over 300 ms here).
            let slow = Task { try await client.send("DEBUG", "SLEEP", "2") }
            try await Task.sleep(for: .milliseconds(200))
            slow.cancel()
            do {
                _ = try await slow.value
                Issue.record("the cancelled call returned")
            } catch let e as RedisError {
                #expect(e.kind == .cancelled)
            }
            // The DEBUG reply arrives later and is dropped; the next caller gets its own reply.
            #expect(try await client.get("k").text == "v")
            #expect(try await client.echo("after").readableBytes == 5)
        }
    }

    @Test func serverKilledMidFlightThenBack() async throws {
        var options = RedisServer.Options()
        options.extraArguments = ["--enable-debug-command", "yes"]
        let server = try await RedisServer.start(options)
        let client = try RedisClient(url: server.url)
        try await client.set("k", "v")
        async let inFlight: Void = { _ = try await client.send("DEBUG", "SLEEP", "2") }()
        try await Task.sleep(for: .milliseconds(100))
        server.kill()
        do {
            try await inFlight
            Issue.record("the in-flight command succeeded on a killed server")
        } catch let e as RedisError {
            #expect(e.kind == .connectionClosed)
            #expect(e.outcomeUnknown)
        }
        let down = await redisError { try await client.ping() }
        #expect(down?.kind == .connectionRefused)
        let restarted = try await server.restarted()
        // The client reconnects by itself (after its backoff) once the server is back.
        var pong: String?
        for _ in 0..<100 where pong == nil {
            pong = try? await client.ping()
            if pong == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(pong == "PONG")
        await client.shutdown()
        restarted.stop()
    }

    @Test func commandsThatTakeOverTheConnectionAreRefused() async throws {
        try await withClient { client, _ in
            for name in ["SUBSCRIBE", "MONITOR", "MULTI", "SELECT"] {
                let e = await redisError { _ = try await client.send(name, "x", "0") }
                #expect(e?.kind == .unsupportedCommand, "\(name)")
            }
            // Blocking commands run on a dedicated connection instead, given as they are too.
            #expect(try await client.send("BLPOP", "x", "0.05") == .null)
            #expect(try await client.send("BRPOPLPUSH", "x", "y", "0.05") == .null)
            // In a pipeline a blocking command would hold up the rest: refused, saying so.
            let piped = await client.pipeline([RESPCommand("BLPOP", "x", "1")])
            guard case .failure(let refused) = piped.first else { Issue.record("BLPOP in a pipeline was not refused"); return }
            #expect(refused.kind == .unsupportedCommand && refused.message.contains("pipeline"))
            // XREAD without BLOCK and CLIENT ID are fine.
            _ = try await client.send("XREAD", "STREAMS", "s", "0")
            #expect(try await client.clientID() > 0)
        }
    }

    @Test func blockingPopUsesItsOwnConnection() async throws {
        try await withClient { client, _ in
            async let popped = client.blpop(["queue"], timeout: .seconds(5))
            try await Task.sleep(for: .milliseconds(100))
            // The shared connection is not blocked meanwhile.
            #expect(try await client.ping() == "PONG")
            try await client.rpush("queue", ["job-1"])
            let result = try await popped
            #expect(result?.key == "queue")
            #expect(result.map { String(buffer: $0.value) } == "job-1")
            #expect(try await client.blpop(["empty"], timeout: .milliseconds(100)) == nil)
        }
    }

    @Test func gracefulShutdownAnswersWhatWasSent() async throws {
        try await withServer { server in
            let client = try RedisClient(url: server.url)
            try await client.ping()
            let results = Collector<Result<String, RedisError>>()
            await withTaskGroup(of: Void.self) { group in
                for i in 0..<200 {
                    group.addTask {
                        do {
                            let r = try await client.echo("m\(i)")
                            results.append(.success(String(buffer: r)))
                        } catch let e as RedisError {
                            results.append(.failure(e))
                        } catch {}
                    }
                }
                group.addTask { await client.shutdown(graceful: true) }
            }
            let all = results.all
            #expect(all.count == 200)
            for r in all {
                if case .failure(let e) = r { #expect(e.kind == .shutdown) }
            }
            let after = await redisError { try await client.ping() }
            #expect(after?.kind == .shutdown)
        }
    }
}
