import NIOCore
import RESP
import RedisProviderTestSupport
import Testing

@testable import RedisProvider

/// What a real server cannot do: malformed replies, absurd lengths, stalls, pushes.
@Suite struct FakeServerTests {
    private func client(_ server: FakeRedisServer, _ query: String = "") throws -> RedisClient {
        try RedisClient(url: "redis://127.0.0.1:\(server.port)\(query)")
    }

    @Test func malformedReplyIsAProtocolErrorAndTheConnectionIsReplaced() async throws {
        let server = try await FakeRedisServer.start { argv in
            argv.first == "GET" ? .bytes("@garbage\r\n") : .standard
        }
        let c = try client(server)
        let e = await redisError { _ = try await c.get("k") }
        #expect(e?.kind == .protocolViolation)
        #expect(e?.message.contains("unexpected type byte") == true)
        // A new connection is opened for the next command.
        #expect(try await c.ping() == "PONG")
        await c.shutdown()
        await server.stop()
    }

    @Test func absurdBulkLengthIsRefusedNotAllocated() async throws {
        let server = try await FakeRedisServer.start { argv in
            argv.first == "GET" ? .bytes("$999999999999999\r\n") : .standard
        }
        let c = try client(server)
        let e = await redisError { _ = try await c.get("k") }
        #expect(e?.kind == .protocolViolation)
        #expect(e?.message.contains("exceeds the limit") == true)
        await c.shutdown()
        await server.stop()
    }

    @Test func stallPastTheCommandTimeout() async throws {
        let server = try await FakeRedisServer.start { argv in
            argv.first == "GET" ? .silence : .standard
        }
        let c = try client(server, "?timeout=200ms")
        let e = await redisError { _ = try await c.get("k") }
        #expect(e?.kind == .commandTimeout)
        #expect(e?.outcomeUnknown == true)
        #expect(e?.message.contains("200 ms") == true)
        await c.shutdown(graceful: false)
        await server.stop()
    }

    @Test func halfWrittenReplyThenCloseFailsCleanly() async throws {
        let server = try await FakeRedisServer.start { argv in
            argv.first == "GET" ? .bytes("$10\r\nabc") : (argv.first == "ECHO" ? .close : .standard)
        }
        let c = try client(server, "?timeout=300ms")
        let e = await redisError { _ = try await c.get("k") }
        #expect(e?.kind == .commandTimeout)
        let closed = await redisError { _ = try await c.echo("x") }
        #expect(closed?.kind == .connectionClosed || closed?.kind == .commandTimeout)
        await c.shutdown(graceful: false)
        await server.stop()
    }

    @Test func inFlightLimitGivesAClearError() async throws {
        let server = try await FakeRedisServer.start { argv in
            argv.first == "GET" ? .silence : .standard
        }
        let c = try client(server, "?max_in_flight=3&timeout=2s")
        try await c.ping()
        let errors = Collector<RedisError.Kind>()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<10 {
                group.addTask {
                    do { _ = try await c.get("k") } catch let e as RedisError { errors.append(e.kind) } catch {}
                }
            }
        }
        let kinds = errors.all
        #expect(kinds.count == 10)
        // At most 3 are sent (and time out); the others are refused at once. Fewer than 3 may
        // be sent when the PING's reply is not counted yet as the GETs start (a loaded machine).
        let sent = kinds.filter { $0 == .commandTimeout }.count
        #expect(sent >= 1 && sent <= 3)
        #expect(kinds.filter { $0 == .tooManyInFlight }.count == 10 - sent)
        await c.shutdown(graceful: false)
        await server.stop()
    }

    @Test func pushMessagesAreNotTakenForReplies() async throws {
        let server = try await FakeRedisServer.start { argv in
            argv.first == "GET" ? .bytes(">2\r\n+invalidate\r\n*1\r\n$1\r\nk\r\n$5\r\nvalue\r\n") : .standard
        }
        let c = try client(server)
        #expect(try await c.get("k").text == "value")
        await c.shutdown()
        await server.stop()
    }

    @Test func serverWithoutHELLOFallsBackToRESP2WithAUTH() async throws {
        let seen = Collector<[String]>()
        let server = try await FakeRedisServer.start { argv in
            seen.append(argv)
            switch argv.first {
            case "HELLO": return .bytes("-ERR unknown command 'HELLO'\r\n")
            case "AUTH": return argv.count == 2 && argv[1] == "pw" ? .bytes("+OK\r\n") : .bytes("-ERR invalid password\r\n")
            default: return .standard
            }
        }
        let c = try RedisClient(url: "redis://:pw@127.0.0.1:\(server.port)?client_name=app")
        #expect(try await c.ping() == "PONG")
        let connection = try await c.node.connection()
        #expect(connection.protocolVersion == 2)
        let names = seen.all.map { $0[0] }
        #expect(names.prefix(3) == ["HELLO", "AUTH", "CLIENT"])
        #expect(seen.all.contains(["CLIENT", "SETNAME", "app"]))
        await c.shutdown()
        await server.stop()
    }

    @Test func handshakeStallIsAConnectTimeout() async throws {
        let server = try await FakeRedisServer.start { _ in .silence }
        let c = try client(server, "?connect_timeout=300ms")
        let e = await redisError { try await c.ping() }
        #expect(e?.kind == .connectTimeout)
        #expect(e?.message.contains("handshake") == true)
        await c.shutdown(graceful: false)
        await server.stop()
    }
}
