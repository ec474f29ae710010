import RESP

/// The one surface every client offers, standalone or cluster: commands (with every typed
/// command of ``RedisCommandExecutor``), pipelines, transactions, sessions on a connection of
/// their own, health, and a lifecycle.
///
/// ``RedisClient``, ``RedisClusterClient`` and ``RedisProvider`` conform; code written against
/// `some RedisClientProtocol` runs unchanged on all three. Error replies are `RedisError`s of
/// kind `.server` everywhere (thrown, or as a pipeline's `.failure`), naming the node that
/// sent them.
public protocol RedisClientProtocol: RedisCommandExecutor {
    /// Sends `commands` as a pipeline and returns each one's result in the caller's order;
    /// one failing command does not fail the others. In a cluster the commands are split per
    /// node and sent concurrently, each redirect handled on its own.
    nonisolated(nonsending) func pipeline(_ commands: [RESPCommand]) async -> [Result<RESPValue, RedisError>]

    /// Runs `commands` as one MULTI/EXEC transaction on a connection of its own and returns
    /// EXEC's replies. In a cluster every key must share one hash slot (`.crossSlot` otherwise,
    /// before anything is sent).
    nonisolated(nonsending) func transaction(_ commands: [RESPCommand]) async throws(RedisError) -> [RESPValue]

    /// An optimistic transaction: WATCH `keys`, let `build` read through the session and
    /// return the commands to queue, then MULTI, the commands and EXEC, on one connection of
    /// its own. Returns EXEC's results, `[]` when `build` queued nothing, or `nil` when a
    /// watched key changed and the server aborted the transaction.
    func transaction(
        watching keys: [String], _ build: (RedisWatchSession) async throws -> [RESPCommand]
    ) async throws -> [RESPValue]?

    /// Runs `body` on a connection of its own from the node's pool (see ``RedisSession``); in
    /// a cluster, the primary of `routingKey`'s hash slot.
    func withDedicatedConnection<T: Sendable>(
        routingKey: String?, _ body: (RedisSession) async throws -> T
    ) async throws -> T

    /// Messages of `names` (channels, patterns or sharded channels), read as an
    /// `AsyncSequence`; see ``RedisSubscription`` and the `subscribe(to:)`, `psubscribe(to:)`,
    /// `ssubscribe(to:)` and `withSubscription(to:kind:_:)` conveniences.
    func subscribe(_ kind: RedisSubscriptionKind, to names: [String]) -> RedisSubscription

    /// Like `subscribe(_:to:)`, but on every primary of a cluster (the one server otherwise):
    /// keyspace notifications are sent only by the node holding the key.
    func subscribeOnEveryPrimary(_ kind: RedisSubscriptionKind, to names: [String]) async throws(RedisError) -> RedisSubscription

    /// Pings every node (each bounded by `timeout`) and reports reachability, roles and, in a
    /// cluster, slot coverage and `cluster_state`.
    func health(timeout: Duration) async -> RedisHealth

    /// The nodes the client holds clients for, and their open shared connections.
    var connectionCounts: RedisConnectionCounts { get }

    /// The client's background work (a cluster's topology refreshes), until the task is
    /// cancelled or the client shut down. Commands work without it.
    func run() async throws

    /// Closes every connection; replies already on their way are awaited first. Commands
    /// issued afterwards fail with `.shutdown`.
    func shutdown() async
}

/// How many nodes a client holds clients for, and how many shared connections are open.
public struct RedisConnectionCounts: Sendable, Hashable {
    /// Nodes with a client (one standalone; the known nodes of a cluster).
    public var nodes: Int
    /// Open shared (multiplexed) connections over all those nodes.
    public var connections: Int

    public init(nodes: Int, connections: Int) {
        self.nodes = nodes
        self.connections = connections
    }
}
