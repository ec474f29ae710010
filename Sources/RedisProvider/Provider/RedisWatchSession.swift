import RESP

/// The connection of an optimistic transaction between `WATCH` and `MULTI`.
///
/// Reads here see the watched keys as the transaction will see them, and a change to them by
/// any other client makes `EXEC` abort. Typed commands work on it:
/// `let balance = try await session.get("{acct:7}:balance")`.
///
/// In a cluster every command must map to the transaction's hash slot (keyless ones run on
/// that slot's primary); others fail with `.crossSlot` before they are sent. MULTI, EXEC,
/// WATCH and the like are refused: return the commands to queue instead.
public struct RedisWatchSession: RedisCommandExecutor {
    let connection: RedisConnection
    /// The transaction's hash slot in a cluster; `nil` on a standalone server.
    let slot: Int?

    nonisolated(nonsending) public func execute(_ command: RESPCommand) async throws(RedisError) -> RESPValue {
        try WatchedTransaction.check(command, slot: slot)
        let reply = try await connection.send(command)
        if case .error(let e) = reply { throw RedisError.server(e, endpoint: connection.endpoint.description) }
        return reply
    }
}

/// WATCH, the caller's reads, then MULTI … EXEC on one dedicated connection: the part the
/// standalone provider and the cluster client share.
enum WatchedTransaction {
    enum Outcome {
        /// EXEC's results; `nil` when a watched key changed and the transaction was aborted.
        case finished([RESPValue]?)
        /// The slot moved away from this node (MOVED, ASK, TRYAGAIN): nothing ran; route again.
        case slotMoved
    }

    /// The hash slot all `keys` share, or a `.crossSlot` error naming two that differ.
    static func slot(of keys: [String]) throws(RedisError) -> Int {
        let slots = keys.map { HashSlot.slot(for: $0) }
        if let different = slots.firstIndex(where: { $0 != slots[0] }) {
            throw RedisError(
                .crossSlot,
                "Watched keys must share one hash slot in a cluster ('\(keys[0])' → slot \(slots[0]), '\(keys[different])' → slot \(slots[different])); give them a common hash tag such as {order:17}")
        }
        return slots[0]
    }

    /// Refuses what cannot run in a transaction's body, and in a cluster a command whose keys
    /// are not in `slot`.
    static func check(_ command: RESPCommand, slot: Int?) throws(RedisError) {
        if ConnectionTakeover.of(command) != nil {
            throw RedisError(
                .unsupportedCommand,
                "\(command.name) cannot run inside a watched transaction; return the commands to queue and the provider sends WATCH, MULTI and EXEC itself")
        }
        guard let slot else { return }
        let route = try ClusterRoute(command)
        guard let s = try route.slotInTransaction(), s != slot else { return }
        throw RedisError(
            .crossSlot,
            "\(route.name.uppercased()) touches slot \(s) but the transaction's keys are in slot \(slot); give its keys the same hash tag")
    }

    /// Runs one attempt on `connection`: WATCH `keys`, `build` the commands (reading through
    /// the session), then MULTI, the commands and EXEC in one write.
    static func run(
        on connection: RedisConnection, keys: [String], slot: Int?,
        _ build: (RedisWatchSession) async throws -> [RESPCommand]
    ) async throws -> Outcome {
        let endpoint = connection.endpoint.description
        let watched = try await connection.send(RESPCommand("WATCH", keys))
        if case .error(let e) = watched {
            if isRedirect(e) { return .slotMoved }
            throw RedisError.server(e, endpoint: endpoint)
        }
        let commands = try await build(RedisWatchSession(connection: connection, slot: slot))
        for command in commands { try check(command, slot: slot) }
        guard !commands.isEmpty else {
            _ = try await connection.send(RESPCommand("UNWATCH"))
            return .finished([])
        }
        let replies = try await connection.send(pipeline: [RESPCommand("MULTI")] + commands + [RESPCommand("EXEC")])
        if replies.dropFirst().dropLast().contains(where: { if case .error(let e) = $0 { isRedirect(e) } else { false } }) {
            return .slotMoved  // EXEC was refused, so nothing ran
        }
        if case .null? = replies.last { return .finished(nil) }
        return .finished(try TransactionReply.results(of: replies, endpoint: endpoint))
    }

    /// MOVED, ASK or TRYAGAIN: the slot is (partly) elsewhere and the command did not run.
    static func isRedirect(_ e: RESPError) -> Bool {
        e.code == "MOVED" || e.code == "ASK" || e.code == "TRYAGAIN"
    }
}
