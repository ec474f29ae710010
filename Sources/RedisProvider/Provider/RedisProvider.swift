import CoreMetrics
import Logging
import NIOCore
import NIOPosix
import RESP
import ServiceLifecycle
import Synchronization
import Tracing

/// One API over a standalone Redis or Valkey server and a Redis Cluster: what an
/// application codes against.
///
/// The mode comes from the URL, as teams deploying Redis in Kubernetes write it:
/// `?cluster=true`, several comma-separated nodes, or a host name containing "cluster" mean
/// a cluster; `?cluster=false` or a configured override win over the host-name rule.
/// ``mode`` says which was chosen and why (and the provider logs it once at start).
///
/// ```swift
/// let redis = try RedisProvider(url: "redis://redis-cluster.redis.svc.cluster.local:6379")
/// try await redis.set("greeting", "hello")
/// let value = try await redis.get("greeting")
/// ```
///
/// It is a swift-service-lifecycle `Service`: add it to a `ServiceGroup` and it shuts down
/// gracefully with the app, or call ``run()`` in a task group and cancel it. Without
/// ``run()`` commands work the same, but a cluster's topology is then refreshed only when a
/// command needs it (no periodic refresh, none after a MOVED); call ``shutdown()`` when done.
public final class RedisProvider: RedisClientProtocol, Service {
    /// The client underneath.
    public enum Backend: Sendable {
        /// One server, or the primary (or a replica) that Sentinels watch.
        case standalone(RedisClient)
        case cluster(RedisClusterClient)
    }

    /// The client underneath: a standalone or a cluster client.
    public let backend: Backend
    /// The same client, through the surface both share: what every command goes to.
    let client: any RedisClientProtocol
    /// Cluster or standalone, and the rule that decided.
    public let mode: RedisModeDecision
    /// The URL the provider was made from (its `description` hides the password).
    public let url: RedisURL
    let observability: RedisObservability
    let instruments: ProviderInstruments
    let events = TopologyEventBroadcaster()
    private let spanAttributes: SpanAttributes
    /// `false` when there is no metrics backend and no tracer: commands then skip the
    /// bookkeeping entirely (it costs about 8% of throughput on a fast loopback server).
    private let instrumented: Bool

    /// A provider for `url`.
    ///
    /// - Parameters:
    ///   - url: The server or the cluster's seeds, credentials and options.
    ///   - configuration: Connection settings; by default those the URL carries.
    ///   - clusterOptions: Read policy, address map, refresh interval … (cluster mode only).
    ///   - clusterOverride: When set, decides the mode instead of the URL's rules.
    ///   - observability: Where logs, metrics and spans go.
    ///   - eventLoopGroup: Where the connections live; NIO's shared loops by default.
    public convenience init(
        url: RedisURL,
        configuration: RedisClientConfiguration? = nil,
        clusterOptions: RedisClusterOptions = .init(),
        clusterOverride: Bool? = nil,
        observability: RedisObservability = .init(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws(RedisError) {
        try self.init(
            url: url, mode: url.mode(override: clusterOverride), configuration: configuration ?? RedisClientConfiguration(url: url),
            clusterOptions: clusterOptions, observability: observability, eventLoopGroup: eventLoopGroup)
    }

    /// A provider for `url` in the given mode (``RedisProviderSettings/mode`` decides it from
    /// the configuration, naming the source of an override).
    public init(
        url: RedisURL,
        mode: RedisModeDecision,
        configuration: RedisClientConfiguration,
        clusterOptions: RedisClusterOptions,
        observability: RedisObservability = .init(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws(RedisError) {
        self.url = url
        self.mode = mode
        self.observability = observability
        self.instruments = ProviderInstruments(factory: observability.metricsFactory, clientName: observability.clientName)
        self.instrumented = !(observability.metricsFactory is NOOPMetricsHandler) || observability.tracer != nil
        let first = url.endpoints[0]
        self.spanAttributes = Self.baseAttributes(endpoint: first, database: configuration.database)
        if mode.isCluster {
            let cluster = try RedisClusterClient(
                seeds: url.endpoints, configuration: configuration, options: clusterOptions, eventLoopGroup: eventLoopGroup)
            backend = .cluster(cluster)
            client = cluster
            cluster.observe(makeObserver())
        } else if mode.kind == .sentinel {
            let client = try RedisClient(
                sentinelURL: url, configuration: configuration, eventLoopGroup: eventLoopGroup, logger: observability.logger)
            backend = .standalone(client)
            self.client = client
        } else {
            if url.endpoints.count > 1 {
                throw RedisError(
                    .invalidConfiguration,
                    "The URL names \(url.endpoints.count) nodes but standalone mode was chosen (\(mode.reason)); name one node, or use cluster mode")
            }
            let standalone = try RedisClient(endpoint: first, configuration: configuration, eventLoopGroup: eventLoopGroup)
            backend = .standalone(standalone)
            client = standalone
        }
        observability.logger.info(
            "Redis provider ready",
            metadata: ["redis.url": "\(url)", "redis.mode": "\(mode.kind.rawValue)", "redis.mode.reason": "\(mode.reason)"])
    }

    /// A provider for the URL text `url`.
    public convenience init(
        url: String,
        clusterOptions: RedisClusterOptions = .init(),
        clusterOverride: Bool? = nil,
        observability: RedisObservability = .init(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws(RedisError) {
        try self.init(
            url: try RedisURL(url), clusterOptions: clusterOptions, clusterOverride: clusterOverride,
            observability: observability, eventLoopGroup: eventLoopGroup)
    }

    /// `true` in cluster mode.
    public var isCluster: Bool { mode.isCluster }

    // MARK: - Commands

    nonisolated(nonsending) public func execute(_ command: RESPCommand) async throws(RedisError) -> RESPValue {
        guard instrumented else {
            do {
                return try await executeOnBackend(command)
            } catch {
                logFailure(error, command: command.name.lowercased())
                throw error
            }
        }
        let handles = instruments.command(command)
        let span = observability.tracer.map { startSpan($0, name: handles.name) }
        instruments.began()
        let started = ContinuousClock.now
        do {
            let reply = try await executeOnBackend(command)
            instruments.ended()
            instruments.finished(handles, started: started, error: nil)
            span?.end()
            return reply
        } catch {
            instruments.ended()
            instruments.finished(handles, started: started, error: error)
            if let span { end(span, failing: error) }
            logFailure(error, command: handles.name)
            throw error
        }
    }

    /// Logs a failure below the protocol (connection, timeout, cluster down …) at debug level:
    /// the command's name, the error's kind and the node; never keys or values. Error replies
    /// are the caller's business and are not logged.
    private func logFailure(_ error: RedisError, command name: @autoclosure () -> String) {
        guard error.kind != .server, observability.logger.logLevel <= .debug else { return }
        observability.logger.debug(
            "Redis command failed",
            metadata: ["redis.command": "\(name())", "redis.error.kind": "\(error.kind)", "redis.node": "\(error.endpoint ?? "")"])
    }

    @inline(__always)
    nonisolated(nonsending) private func executeOnBackend(_ command: RESPCommand) async throws(RedisError) -> RESPValue {
        try await client.execute(command)
    }

    public func scanKeys(match: String?, count: Int?, type: String?) -> RedisScanSequence {
        client.scanKeys(match: match, count: count, type: type)
    }

    /// Sends `commands` as a pipeline and returns each one's result in the caller's order.
    /// In a cluster the commands are split per node and sent concurrently, each redirect
    /// handled on its own; one failing command does not fail the others.
    nonisolated(nonsending) public func pipeline(_ commands: [RESPCommand]) async -> [Result<RESPValue, RedisError>] {
        let span = observability.tracer.map { startSpan($0, name: "pipeline", batchSize: commands.count) }
        defer { span?.end() }
        return await client.pipeline(commands)
    }

    /// Runs `commands` as one MULTI/EXEC transaction on a connection of its own and returns
    /// EXEC's replies. In a cluster every key must share one hash slot (use a hash tag such as
    /// `{order:17}`); otherwise it fails before sending with a `.crossSlot` error.
    nonisolated(nonsending) public func transaction(_ commands: [RESPCommand]) async throws(RedisError) -> [RESPValue] {
        try await client.transaction(commands)
    }

    /// An optimistic transaction: WATCH `keys`, let `build` read through the session and
    /// return the commands to queue, then MULTI, the commands and EXEC, all on one connection
    /// of its own.
    ///
    /// ```swift
    /// let results = try await redis.transaction(watching: ["{acct:7}:balance"]) { session in
    ///     let balance = Int(try await session.get("{acct:7}:balance", as: String.self) ?? "0") ?? 0
    ///     guard balance >= 30 else { return [] }
    ///     return [RESPCommand("DECRBY", "{acct:7}:balance", 30), RESPCommand("RPUSH", "{acct:7}:log", "-30")]
    /// }
    /// // nil: another client changed the balance first; read again and retry.
    /// ```
    ///
    /// Returns EXEC's results, `[]` when `build` returned no commands, or `nil` when a watched
    /// key changed and the transaction was aborted. In a cluster the watched keys, the reads
    /// and the queued commands must share one hash slot (`.crossSlot` otherwise, before
    /// anything is sent); when the slot moves meanwhile, the attempt, `build` included, is
    /// made again on its new owner.
    public func transaction(
        watching keys: [String], _ build: (RedisWatchSession) async throws -> [RESPCommand]
    ) async throws -> [RESPValue]? {
        try await client.transaction(watching: keys, build)
    }

    /// Runs `body` on a connection of its own (see ``RedisSession``): `WAIT` after a write,
    /// `CLIENT` settings, hand-written transactions. In a cluster it is a connection to the
    /// primary of `routingKey`'s hash slot, and the session's commands must keep to that slot.
    /// The connection comes from the node's small pool and goes back to it afterwards.
    public func withDedicatedConnection<T: Sendable>(
        routingKey: String? = nil, _ body: (RedisSession) async throws -> T
    ) async throws -> T {
        try await client.withDedicatedConnection(routingKey: routingKey, body)
    }

    /// Messages of `names`, read as an `AsyncSequence` (see ``RedisSubscription``); standalone
    /// or cluster alike.
    public func subscribe(_ kind: RedisSubscriptionKind, to names: [String]) -> RedisSubscription {
        client.subscribe(kind, to: names)
    }

    /// Subscribes on every primary of a cluster (the one server standalone), for keyspace
    /// notifications.
    public func subscribeOnEveryPrimary(_ kind: RedisSubscriptionKind, to names: [String]) async throws(RedisError) -> RedisSubscription {
        try await client.subscribeOnEveryPrimary(kind, to: names)
    }

    /// Pings every node (concurrently, each bounded by `timeout`) and reports reachability,
    /// roles, slot coverage and the cluster state, for readiness probes:
    ///
    /// ```swift
    /// // In the readiness endpoint's handler (Hummingbird, Vapor …):
    /// let health = await redis.health()
    /// let status = health.isReady ? 200 : 503   // degraded still serves
    /// ```
    public func health(timeout: Duration = .seconds(2)) async -> RedisHealth {
        var health = await client.health(timeout: timeout)
        health.modeReason = mode.reason
        return health
    }

    public var connectionCounts: RedisConnectionCounts { client.connectionCounts }

    // MARK: - Topology events

    /// Slot-map changes, nodes added and removed, failovers seen: a new sequence for each
    /// caller, ending at shutdown. Standalone providers never yield.
    public var topologyEvents: AsyncStream<RedisTopologyEvent> { events.subscribe() }

    private func makeObserver() -> ClusterObserver {
        let instruments = instruments
        let logger = observability.logger
        let events = events
        return ClusterObserver(
            redirected: { asking in instruments.redirected(asking: asking) },
            retried: { reason in instruments.retried(reason: reason) },
            topologyChanged: { previous, current in
                instruments.refreshed(ok: true)
                for event in RedisTopologyEvent.changes(from: previous, to: current) {
                    if case .failover = event {
                        instruments.failedOver()
                        logger.notice("Redis Cluster failover", metadata: ["redis.event": "\(event)"])
                    } else {
                        logger.info("Redis Cluster topology changed", metadata: ["redis.event": "\(event)"])
                    }
                    events.yield(event)
                }
            },
            refreshFailed: { error in
                instruments.refreshed(ok: false)
                logger.warning(
                    "Redis Cluster topology refresh failed",
                    metadata: ["redis.error.kind": "\(error.kind)", "redis.error": "\(error.message)"])
            },
            promotionFound: { primary, replica in
                logger.notice(
                    "Redis Cluster replica promoted: commands for the slots of the unreachable primary go to it",
                    metadata: ["redis.primary": "\(primary)", "redis.promoted": "\(replica)"])
            })
    }

    // MARK: - Lifecycle

    /// Runs until the service group shuts down gracefully or the task is cancelled: the
    /// cluster client's background work (periodic topology refresh, the refreshes MOVED
    /// replies ask for) and the metrics' connection counts. Then shuts the provider down,
    /// letting replies already on their way arrive.
    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [client] in try? await client.run() }
            group.addTask { [instruments, client] in
                while !Task.isCancelled {
                    let counts = client.connectionCounts
                    instruments.sample(nodes: counts.nodes, connections: counts.connections)
                    try? await Task.sleep(for: .seconds(5))
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        await shutdown()
    }

    /// Closes every connection; replies already on their way are awaited first. Commands
    /// issued afterwards fail with `.shutdown`.
    /// Authenticates the open connections again with fresh credentials from the
    /// configuration's ``RedisClientConfiguration/credentialProvider`` (a rotated secret);
    /// new connections ask the provider anyway.
    public func reauthenticate() async throws(RedisError) {
        switch backend {
        case .standalone(let client): try await client.reauthenticate()
        case .cluster(let client): try await client.reauthenticate()
        }
    }

    public func shutdown() async {
        await client.shutdown()
        events.finish()
        observability.logger.debug("Redis provider shut down")
    }

    // MARK: - Tracing

    private static func baseAttributes(endpoint: RedisEndpoint, database: Int) -> SpanAttributes {
        var a = SpanAttributes()
        a["db.system.name"] = "redis"
        a["db.namespace"] = "\(database)"
        a["server.address"] = endpoint.host
        a["server.port"] = endpoint.port
        return a
    }

    /// A client span named after the command, with the OpenTelemetry database attributes
    /// (never the arguments: they hold keys and values).
    private func startSpan(_ tracer: any Tracer, name: String, batchSize: Int? = nil) -> any Span {
        let operation = name.uppercased()
        let span = tracer.startSpan(operation, ofKind: .client)
        var attributes = spanAttributes
        attributes["db.operation.name"] = operation
        if let batchSize { attributes["db.operation.batch.size"] = batchSize }
        span.attributes = attributes
        return span
    }

    private func end(_ span: any Span, failing error: RedisError) {
        span.attributes["error.type"] = error.serverError.map { String($0.code) } ?? RedisError.metricName(of: error.kind)
        if let code = error.serverError?.code { span.attributes["db.response.status_code"] = String(code) }
        span.setStatus(SpanStatus(code: .error, message: error.kind == .server ? nil : "\(error.kind)"))
        span.recordError(error)
        span.end()
    }
}
