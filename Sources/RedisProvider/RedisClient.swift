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
        if let reason = ConnectionTakeover.reason(command) {
            throw RedisError(.unsupportedCommand, reason, endpoint: node.endpoint.description)
        }
        let reply = try await node.send(command)
        if case .error(let e) = reply { throw RedisError.server(e, endpoint: node.endpoint.description) }
        return reply
    }

    /// Sends commands as one pipeline and returns every reply in order, error replies as
    /// `.error` values (one failing command does not fail the others).
    nonisolated(nonsending) public func pipeline(_ commands: [RESPCommand]) async throws(RedisError) -> [RESPValue] {
        for command in commands {
            if let reason = ConnectionTakeover.reason(command) {
                throw RedisError(.unsupportedCommand, reason, endpoint: node.endpoint.description)
            }
        }
        return try await node.send(pipeline: commands)
    }

    /// Runs `body` on a connection of its own (blocking commands, MULTI/EXEC, WATCH).
    public func withDedicatedConnection<T: Sendable>(_ body: (RedisConnection) async throws -> T) async throws -> T {
        try await node.withDedicatedConnection(body)
    }

    /// Closes the connections; replies already on their way are awaited first when `graceful`.
    public func shutdown(graceful: Bool = true) async {
        await node.shutdown(graceful: graceful)
    }
}

/// Commands that would take over a shared, multiplexed connection.
enum ConnectionTakeover {
    static func reason(_ command: RESPCommand) -> String? {
        // Hot path: look at the name's length and first letter before decoding it.
        let body = command.body
        let start = body.readerIndex
        guard body.getInteger(at: start, as: UInt8.self) == UInt8(ascii: "$"),
            let d1 = body.getInteger(at: start + 1, as: UInt8.self),
            let d2 = body.getInteger(at: start + 2, as: UInt8.self)
        else { return nil }
        let firstLetterAt: Int
        if d2 == UInt8(ascii: "\r"), (UInt8(ascii: "4")...UInt8(ascii: "9")).contains(d1) {
            firstLetterAt = start + 4
        } else if d1 == UInt8(ascii: "1"), (UInt8(ascii: "0")...UInt8(ascii: "1")).contains(d2) {
            firstLetterAt = start + 5
        } else {
            return nil
        }
        guard let first = body.getInteger(at: firstLetterAt, as: UInt8.self),
            "SPMEWDUBXCspmewdubxc".utf8.contains(first)
        else { return nil }
        let name = command.name
        switch name {
        case "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "MONITOR", "SYNC", "PSYNC":
            return "\(name) takes over the connection; it cannot run on the shared, pipelined connection (use a dedicated connection)"
        case "MULTI", "EXEC", "WATCH", "DISCARD", "UNWATCH":
            return "\(name) needs a connection of its own; use withDedicatedConnection"
        case "BLPOP", "BRPOP", "BLMOVE", "BRPOPLPUSH", "BZPOPMIN", "BZPOPMAX", "BLMPOP", "BZMPOP", "XREAD", "XREADGROUP", "WAIT", "WAITAOF":
            if name.hasPrefix("X"), !command.arguments.contains(where: { String(buffer: $0).uppercased() == "BLOCK" }) {
                return nil
            }
            return "\(name) blocks; it would stall every command behind it on the shared connection (use withDedicatedConnection, or the typed blocking API)"
        case "SELECT", "CLIENT":
            if name == "CLIENT", let sub = command.arguments.dropFirst().first.map({ String(buffer: $0).uppercased() }),
                !["REPLY", "TRACKING"].contains(sub)
            {
                return nil
            }
            return "\(name) changes the state of the shared connection; put the database in the URL (redis://host/2) or use a dedicated connection"
        default:
            return nil
        }
    }
}
