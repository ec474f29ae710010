import Logging
import NIOCore
import NIOPosix
import RESP
import ServiceLifecycle

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
public final class RedisClient: RedisClientProtocol {
    /// The node this client talks to.
    public let node: RedisNodeClient
    let pubSub: PubSubHub
    /// The Sentinels that say where the node is, for a `redis+sentinel://` URL.
    let sentinel: SentinelWatch?

    /// A client for the node at `endpoint`. Nothing connects until the first command.
    public init(
        endpoint: RedisEndpoint,
        configuration: RedisClientConfiguration = .init(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws(RedisError) {
        let node = try RedisNodeClient(endpoint: endpoint, configuration: configuration, eventLoopGroup: eventLoopGroup)
        self.node = node
        self.sentinel = nil
        pubSub = PubSubHub(configuration: configuration, node: { _ in node }, route: { _, _ in node.endpoint })
    }

    /// A client for the primary (or, with `?role=replica`, a replica) that the Sentinels of a
    /// `redis+sentinel://` URL watch. The node's address is asked of the Sentinels (and
    /// checked with `ROLE`) whenever a connection opens; ``run()`` also follows their
    /// `+switch-master` announcements, moving the client to a promoted replica at once.
    /// Commands ride out a failover as in a cluster: reads and idempotent writes are retried,
    /// a non-idempotent write whose connection failed after sending gets `.outcomeUnknown`.
    public init(
        sentinelURL url: RedisURL, configuration: RedisClientConfiguration? = nil,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger = Logger(label: "RedisProvider")
    ) throws(RedisError) {
        guard url.sentinelMasterName != nil else {
            throw RedisError(.invalidConfiguration, "\(url) is not a Sentinel URL; write redis+sentinel://sentinel:26379/mymaster")
        }
        let configuration = configuration ?? RedisClientConfiguration(url: url)
        let watch = SentinelWatch(url: url, configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger)
        let node = try RedisNodeClient(
            locatedBy: { () async throws(RedisError) -> RedisEndpoint in try await watch.locate() }, initial: url.endpoints[0],
            configuration: configuration, eventLoopGroup: eventLoopGroup)
        self.node = node
        self.sentinel = watch
        pubSub = PubSubHub(configuration: configuration, node: { _ in node }, route: { _, _ in node.endpoint })
    }

    /// Subscriptions run on a connection of their own (see ``RedisSubscription``).
    public func subscribe(_ kind: RedisSubscriptionKind, to names: [String]) -> RedisSubscription {
        RedisSubscription(hub: pubSub, kind: kind, names: names)
    }

    /// The one server's subscription: ``subscribe(_:to:)``.
    public func subscribeOnEveryPrimary(_ kind: RedisSubscriptionKind, to names: [String]) async throws(RedisError) -> RedisSubscription {
        subscribe(kind, to: names)
    }

    /// A client for the first node of `url`, configured by its credentials and options; for
    /// a `redis+sentinel://` URL, the node the Sentinels announce (``init(sentinelURL:configuration:eventLoopGroup:logger:)``).
    public convenience init(
        url: RedisURL,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws(RedisError) {
        if url.sentinelMasterName != nil {
            try self.init(sentinelURL: url, eventLoopGroup: eventLoopGroup)
            return
        }
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
            if let sentinel {
                reply = try await sendRidingFailover(command, sentinel)
            } else {
                reply = try await node.send(command)
            }
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

    /// Sends commands as one pipeline and returns each one's result in order; an error reply
    /// is that command's `.failure` (one failing command does not fail the others).
    nonisolated(nonsending) public func pipeline(_ commands: [RESPCommand]) async -> [Result<RESPValue, RedisError>] {
        let endpoint = node.endpoint.description
        for command in commands {
            if let use = ConnectionTakeover.of(command) {
                let refused = RedisError(.unsupportedCommand, use.refusalInPipeline(of: command), endpoint: endpoint)
                return Array(repeating: .failure(refused), count: commands.count)
            }
        }
        do {
            return try await node.send(pipeline: commands).map { reply in
                if case .error(let e) = reply { return .failure(RedisError.server(e, endpoint: endpoint)) }
                return .success(reply)
            }
        } catch {
            return Array(repeating: .failure(error), count: commands.count)
        }
    }

    nonisolated(nonsending) public func transaction(_ commands: [RESPCommand]) async throws(RedisError) -> [RESPValue] {
        let endpoint = node.endpoint.description
        let replies: [RESPValue]
        do {
            replies = try await node.withDedicatedConnection { c in
                try await c.send(pipeline: [RESPCommand("MULTI")] + commands + [RESPCommand("EXEC")])
            }
        } catch let e as RedisError {
            throw e
        } catch {
            throw RedisError(.connectionClosed, "\(error)", endpoint: endpoint)
        }
        return try TransactionReply.results(of: replies, endpoint: endpoint)
    }

    public func transaction(
        watching keys: [String], _ build: (RedisWatchSession) async throws -> [RESPCommand]
    ) async throws -> [RESPValue]? {
        guard !keys.isEmpty else { throw RedisError(.invalidConfiguration, "A watched transaction needs at least one key to watch") }
        let outcome = try await node.withDedicatedConnection { c in
            try await WatchedTransaction.run(on: c, keys: keys, slot: nil, build)
        }
        guard case .finished(let results) = outcome else {
            throw RedisError(.server, "A standalone server answered a transaction with a cluster redirection", endpoint: node.endpoint.description)
        }
        return results
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

    /// Pings the server within `timeout`.
    public func health(timeout: Duration = .seconds(2)) async -> RedisHealth {
        let (mode, role, reason) =
            sentinel.map { ("sentinel", $0.role.rawValue, "the \($0.role.rawValue) of '\($0.masterName)' as the Sentinels announce it") }
            ?? ("standalone", "standalone", "a standalone client")
        let probed = await RedisHealth.probe(node, role: role, slots: 0, timeout: timeout)
        return RedisHealth(
            status: probed.reachable ? .healthy : .unhealthy, mode: mode, modeReason: reason,
            clusterState: nil, coveredSlots: nil, nodes: [probed],
            problems: probed.reachable ? [] : ["\(probed.address) does not answer: \(probed.error ?? "no reply")"])
    }

    public var connectionCounts: RedisConnectionCounts { RedisConnectionCounts(nodes: 1, connections: node.openConnections) }

    /// A standalone client has no background work: this waits until the service group shuts
    /// down gracefully or the task is cancelled, then shuts the client down gracefully. A
    /// Sentinel client follows the Sentinels meanwhile (`+switch-master`).
    public func run() async {
        if let sentinel {
            let node = self.node
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await sentinel.follow(node) }
                try? await gracefulShutdown()
                group.cancelAll()
            }
        } else {
            try? await gracefulShutdown()
        }
        await shutdown()
    }

    /// Authenticates the open connections again with fresh credentials from the
    /// configuration's ``RedisClientConfiguration/credentialProvider``: call it when the
    /// credentials changed (a rotated secret).
    public func reauthenticate() async throws(RedisError) {
        try await node.reauthenticate()
    }

    /// Closes the connections; replies already on their way are awaited first.
    public func shutdown() async {
        await shutdown(graceful: true)
    }

    /// Closes the connections; replies already on their way are awaited first when `graceful`.
    public func shutdown(graceful: Bool) async {
        pubSub.shutdown()
        await node.shutdown(graceful: graceful)
    }
}
