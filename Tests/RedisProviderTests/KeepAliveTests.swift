import NIOCore
import RESP
import RedisProviderTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@testable import RedisProvider

/// The idle health check against a real server frozen with SIGSTOP: the connection looks open
/// to the kernel but nothing comes back, as with a peer or load balancer that dropped it.
@Suite struct KeepAliveTests {
    static func configuration(_ server: RedisServer) throws -> RedisClientConfiguration {
        var c = RedisClientConfiguration(url: try RedisURL(server.url))
        c.healthCheckInterval = .milliseconds(300)
        c.healthCheckTimeout = .milliseconds(500)
        return c
    }

    @Test func anIdleConnectionThatAnswersStaysOpen() async throws {
        try await withServer { server in
            let client = try RedisClient(endpoint: server.endpoint, configuration: try Self.configuration(server))
            let id = try await client.send("CLIENT", "ID", as: Int.self)
            try await Task.sleep(for: .seconds(2))  // several probes, each answered
            #expect(try await client.send("CLIENT", "ID", as: Int.self) == id, "the same connection")
            await client.shutdown()
        }
    }

    /// A blocking command keeps its connection silent on purpose: the check waits for it.
    @Test func aLongBlockingCommandIsNotTakenForAHalfOpenConnection() async throws {
        try await withServer { server in
            let client = try RedisClient(endpoint: server.endpoint, configuration: try Self.configuration(server))
            let started = ContinuousClock.now
            let popped = Task { try await client.blpop(["queue"], timeout: .seconds(3)) }
            try await Task.sleep(for: .seconds(2))  // well past 300 ms + 500 ms of silence
            try await client.rpush("queue", ["job"])
            #expect(try await popped.value?.value == ByteBuffer(string: "job"))
            #expect(ContinuousClock.now - started >= .seconds(2))
            await client.shutdown()
        }
    }

    @Test func aFrozenServerIsDetectedAndTheConnectionReplaced() async throws {
        try await withServer { server in
            let client = try RedisClient(endpoint: server.endpoint, configuration: try Self.configuration(server))
            try await client.set("k", "v")
            #expect(client.node.openConnections == 1)
            server.signal(SIGSTOP)
            defer { server.signal(SIGCONT) }
            #expect(try await eventually(.seconds(10)) { client.node.openConnections == 0 }, "closed without any command")
            server.signal(SIGCONT)
            #expect(try await client.get("k", as: String.self) == "v", "a new connection")
            await client.shutdown()
        }
    }

    /// A subscription's connection is probed too: replaced after the freeze, it says that
    /// messages may have been lost meanwhile.
    @Test func aFrozenSubscriptionIsReplaced() async throws {
        try await withServer { server in
            let client = try RedisClient(endpoint: server.endpoint, configuration: try Self.configuration(server))
            let inbox = Inbox(client.subscribe(to: "ka"))
            #expect(try await publishUntilReceived(client, inbox, channel: "ka", message: "before") != nil)
            server.signal(SIGSTOP)
            try await Task.sleep(for: .seconds(2))  // probed, unanswered, closed; reconnecting meanwhile
            server.signal(SIGCONT)
            let after = try await publishUntilReceived(client, inbox, channel: "ka", message: "after")
            #expect(after != nil)
            #expect(inbox.messages.all.contains { $0.gapBefore }, "the subscription was repaired, and says messages may be missing")
            await client.shutdown()
        }
    }
}
