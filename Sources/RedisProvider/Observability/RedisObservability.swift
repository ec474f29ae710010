import Logging
import Metrics
import Tracing

/// Where a provider reports what it does: logs, metrics and trace spans.
///
/// Defaults follow the process-wide systems (`LoggingSystem`, `MetricsSystem`,
/// `InstrumentationSystem`), so an app that bootstraps them gets Redis telemetry with no
/// further code. Nothing reported ever carries a value, a key or a secret: commands are
/// named, keys are not.
public struct RedisObservability: Sendable {
    /// Receives the mode decision at start, topology events, and failures with the node,
    /// slot and command name as metadata.
    public var logger: Logger
    /// Makes the counters, timers and meters listed in ``RedisMetricNames``.
    public var metricsFactory: any MetricsFactory
    /// Starts one client span per command (OpenTelemetry database conventions); `nil` for none.
    public var tracer: (any Tracer)?
    /// Set as the `redis.client` dimension of every metric, so two providers in one
    /// process can be told apart.
    public var clientName: String

    public init(
        logger: Logger = Logger(label: "RedisProvider"),
        metricsFactory: any MetricsFactory = MetricsSystem.factory,
        tracer: (any Tracer)? = InstrumentationSystem.tracer,
        clientName: String = "default"
    ) {
        self.logger = logger
        self.metricsFactory = metricsFactory
        self.tracer = tracer is NoOpTracer ? nil : tracer
        self.clientName = clientName
    }
}

/// The labels of the metrics a provider reports.
public enum RedisMetricNames {
    /// Counter, dimensions `command` (lower-case name) and `outcome` (`ok`, `server_error`,
    /// or the error kind such as `connection_refused`).
    public static let commands = "redis_commands_total"
    /// Timer, dimension `command`: time from call to reply.
    public static let commandDuration = "redis_command_duration_seconds"
    /// Meter: commands started and not yet answered.
    public static let inFlight = "redis_commands_in_flight"
    /// Counter, dimension `kind` (`moved`, `ask`).
    public static let redirects = "redis_redirects_total"
    /// Counter, dimension `reason` (`tryagain`, `clusterdown`, `connection`, …).
    public static let retries = "redis_retries_total"
    /// Counter, dimension `outcome` (`ok`, `failed`).
    public static let topologyRefreshes = "redis_topology_refreshes_total"
    /// Counter: primaries replaced by one of their replicas.
    public static let failovers = "redis_failovers_total"
    /// Meter: open connections to all nodes.
    public static let connections = "redis_connections"
    /// Meter: nodes the client holds connections for.
    public static let nodes = "redis_nodes"
    /// Meter: local subscribers (each `subscribe` sequence being read).
    public static let subscriptions = "redis_subscriptions"
    /// Counter: pub/sub messages received from the servers.
    public static let pubSubMessages = "redis_pubsub_messages_total"
    /// Counter: messages dropped because a subscriber's buffer was full.
    public static let pubSubDropped = "redis_pubsub_dropped_total"
    /// Counter: subscription connections lost and re-established.
    public static let resubscribes = "redis_pubsub_resubscribes_total"
}
