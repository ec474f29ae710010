import RESP

/// One connection of its own, for work that needs the same connection from one command to
/// the next: `WAIT` after a write, `CLIENT` settings, a hand-written `MULTI` … `EXEC`, long
/// blocking reads. Typed commands work on it, blocking ones included.
///
/// ```swift
/// let acknowledged = try await redis.withDedicatedConnection(routingKey: "order:17") { session in
///     try await session.set("order:17", "paid")
///     return try await session.wait(replicas: 1, timeout: .milliseconds(500))
/// }
/// ```
///
/// The connection comes from the node's small pool of dedicated connections and goes back
/// to it afterwards, unless a command changed its state (`SELECT`, `CLIENT`, `MULTI`,
/// `WATCH`, `AUTH`, `HELLO`, `READONLY` …), the body threw, or a reply is still outstanding:
/// then it is closed. In a cluster the session runs on the primary of the routing key's hash
/// slot: commands whose keys are in another slot fail with `.crossSlot` before they are
/// sent, and keyless ones (`WAIT`, `DBSIZE`, `INFO` …) are answered by that node alone. `SUBSCRIBE`, `MONITOR` and the like are refused.
public struct RedisSession: RedisCommandExecutor {
    /// The connection underneath (error replies come back from its `send` as values).
    public let connection: RedisConnection
    /// The routing key's hash slot in a cluster; `nil` on a standalone server.
    let slot: Int?
    let commandTimeout: Duration?
    private let changedState = AtomicFlag()

    init(connection: RedisConnection, slot: Int?, commandTimeout: Duration?) {
        self.connection = connection
        self.slot = slot
        self.commandTimeout = commandTimeout
    }

    nonisolated(nonsending) public func execute(_ command: RESPCommand) async throws(RedisError) -> RESPValue {
        var blocks = false
        switch ConnectionTakeover.of(command) {
        case .takesOver(let reason)?:
            throw RedisError(.unsupportedCommand, reason, endpoint: connection.endpoint.description)
        case .changesConnectionState?:
            changedState.set()
        case .blocking?, .waitsForOwnWrites?:
            blocks = true
        case nil:
            if Self.changesState.contains(command.name) { changedState.set() }
        }
        if let slot {
            // Keyless commands (WAIT, DBSIZE, INFO …) are answered by the session's node.
            let route = try ClusterRoute(command)
            switch route.target {
            case .slot(let s) where s != slot:
                throw RedisError(
                    .crossSlot,
                    "\(command.name) touches slot \(s) but the session runs on the owner of slot \(slot); give its keys the routing key's hash tag")
            case .split:
                _ = try route.slotInTransaction()  // throws, naming the slots
            case .slot, .anyPrimary, .fanOut:
                break
            }
        }
        let reply: RESPValue
        if blocks {
            let blocking = BlockingCommand(command)
            reply = try await connection.send(command, replyTimeout: blocking.replyTimeout(remaining: nil, grace: commandTimeout))
        } else {
            reply = try await connection.send(command)
        }
        if case .error(let e) = reply { throw RedisError.server(e, endpoint: connection.endpoint.description) }
        return reply
    }

    /// `WAIT numreplicas timeout`: blocks until the writes sent on this session reached
    /// `replicas` replicas or `timeout` passed; returns how many acknowledged them.
    nonisolated(nonsending) public func wait(replicas: Int, timeout: Duration) async throws(RedisError) -> Int {
        try await execute(RESPCommand("WAIT", replicas, max(timeout.milliseconds, 1)), as: Int.self)
    }

    /// `true` when the session may hand its connection back to the pool.
    var isReusable: Bool { !changedState.isSet }

    /// Commands the shared connection does not refuse that still change what the connection
    /// is (who it is, what it reads, its name and reply mode: every CLIENT subcommand).
    private static let changesState: Set<String> = ["AUTH", "HELLO", "RESET", "READONLY", "READWRITE", "CLIENT"]
}
