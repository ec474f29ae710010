import Logging
import NIOCore
import NIOPosix
import RESP

/// A client for one standalone Redis or Valkey server.
///
/// ```swift
/// let client = try RedisClient(url: "redis://localhost:6379")
/// try await client.set("greeting", "hello")
/// let value = try await client.get("greeting")   // ByteBuffer?
/// await client.shutdown()
/// ```
///
/// Thousands of tasks can share one client: commands from all of them are pipelined on one
/// connection (see `RedisClientConfiguration.connectionsPerNode`).
public final class RedisClient: RedisCommandExecutor {
    /// The node this client talks to.
    public let node: RedisNodeClient

    /// A client for the node at `endpoint`. Nothing connects until the first command.
    public init(
        endpoint: RedisEndpoint,
        configuration: RedisClientConfiguration = .init(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws(RedisError) {
        node = try RedisNodeClient(endpoint: endpoint, configuration: configuration, eventLoopGroup: eventLoopGroup)
    }

    /// A client for the first node of `url`, configured by its credentials and options.
    public convenience init(
        url: RedisURL,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws(RedisError) {
        try self.init(
            endpoint: url.endpoints[0], configuration: RedisClientConfiguration(url: url), eventLoopGroup: eventLoopGroup)
    }

    /// A client for the first node of the URL text `url`.
    public convenience init(
        url: String,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws(RedisError) {
        try self.init(url: try RedisURL(url), eventLoopGroup: eventLoopGroup)
    }

    nonisolated(nonsending) public func execute(_ command: RESPCommand) async throws(RedisError) -> RESPValue {
        let reply: RESPValue
        switch ConnectionTakeover.of(command) {
        case nil:
            reply = try await node.send(command)
        case .blocking:
            reply = try await executeBlocking(BlockingCommand(command))
        case .changesConnectionState(let reason), .takesOver(let reason), .waitsForOwnWrites(let reason):
            throw RedisError(.unsupportedCommand, reason, endpoint: node.endpoint.description)
        }
        if case .error(let e) = reply { throw RedisError.server(e, endpoint: node.endpoint.description) }
        return reply
    }

    /// A blocking command on a dedicated connection. A pooled connection found closed as the
    /// command arrived costs no wait: the command goes out again, once, on a new connection.
    nonisolated(nonsending) private func executeBlocking(_ blocking: BlockingCommand) async throws(RedisError) -> RESPValue {
        let grace = node.configuration.commandTimeout
        let startedAt = ContinuousClock.now
        do {
            return try await node.send(
                blocking: blocking.original, asking: false, replyTimeout: blocking.replyTimeout(remaining: nil, grace: grace))
        } catch where error.mayRunOnAnotherConnection {
            let remaining = blocking.remaining(since: startedAt, now: .now)
            return try await node.send(
                blocking: blocking.command(remaining: remaining), asking: false,
                replyTimeout: blocking.replyTimeout(remaining: remaining, grace: grace))
        }
    }

    /// Sends commands as one pipeline and returns every reply in order, error replies as
    /// `.error` values (one failing command does not fail the others).
    nonisolated(nonsending) public func pipeline(_ commands: [RESPCommand]) async throws(RedisError) -> [RESPValue] {
        for command in commands {
            if let use = ConnectionTakeover.of(command) {
                throw RedisError(.unsupportedCommand, use.refusalInPipeline(of: command), endpoint: node.endpoint.description)
            }
        }
        return try await node.send(pipeline: commands)
    }

    /// Runs `body` on a connection of its own (see ``RedisSession``): for `WAIT`, `CLIENT`
    /// settings, hand-written transactions. The connection comes from a small pool and goes
    /// back to it when the session left it as it found it. `routingKey` matters only in a
    /// cluster; it is accepted here so that code runs unchanged on both.
    public func withDedicatedConnection<T: Sendable>(
        routingKey: String? = nil, _ body: (RedisSession) async throws -> T
    ) async throws -> T {
        let timeout = node.configuration.commandTimeout
        return try await node.onDedicatedConnection { c in
            let session = RedisSession(connection: c, slot: nil, commandTimeout: timeout)
            let result = try await body(session)
            return (result, session.isReusable)
        }
    }

    /// Closes the connections; replies already on their way are awaited first when `graceful`.
    public func shutdown(graceful: Bool = true) async {
        await node.shutdown(graceful: graceful)
    }
}
