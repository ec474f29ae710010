import RESP

extension RedisClusterClient {
    /// A blocking command (BLPOP, XREAD BLOCK …) on a dedicated connection to the
    /// primary of its keys' slot (a replica for blocking reads under a replica read policy),
    /// with the retry rules of every other command: MOVED, ASK and a failover that unblocks
    /// it are followed with the time left of its timeout; a read whose connection died is
    /// sent again to the new owner; a write that may have run fails with `.outcomeUnknown`.
    nonisolated(nonsending) func executeBlocking(_ command: RESPCommand) async throws(RedisError) -> RESPValue {
        try await send(blocking: command, try ClusterRoute(command)).checked()
    }

    /// `executeBlocking` with a final error reply returned as a value.
    nonisolated(nonsending) func send(blocking command: RESPCommand, _ route: ClusterRoute) async throws(RedisError) -> ClusterReply {
        let slot: Int?
        switch route.target {
        case .slot(let s): slot = s
        case .anyPrimary: slot = nil
        case .split, .fanOut:
            throw RedisError(.crossSlot, "\(route.name.uppercased()) blocks on one node; its keys must share one hash slot")
        }
        return try await send(
            command, slot: slot, readOnly: route.readOnly, idempotent: route.idempotent, after: nil,
            blocking: BlockingCommand(command))
    }

    /// Runs `body` on a connection of its own to the primary of `routingKey`'s hash slot
    /// (any primary without one): see ``RedisSession``. Commands in the session whose keys
    /// are in another slot fail with `.crossSlot` before they are sent; give them the routing
    /// key's hash tag. The connection comes from the node's pool and goes back to it when the
    /// session left it as it found it.
    public func withDedicatedConnection<T: Sendable>(
        routingKey: String? = nil, _ body: (RedisSession) async throws -> T
    ) async throws -> T {
        let slot = routingKey.map { HashSlot.slot(for: $0) }
        guard let endpoint = try await target(slot: slot, readOnly: false) else {
            throw RedisError(
                .clusterDown, "No primary serves hash slot \(slot ?? -1) right now; the cluster may be failing over — retry shortly")
        }
        let timeout = pool.configuration.commandTimeout
        return try await pool.node(endpoint).onDedicatedConnection { c in
            let session = RedisSession(connection: c, slot: slot, commandTimeout: timeout)
            return (try await body(session), session.isReusable)
        }
    }
}
