extension RedisClusterClient {
    /// Subscriptions in a cluster (see ``RedisSubscription``): a sharded channel lives on the
    /// primary owning its hash slot and moves with it (failover, migration); channels and
    /// patterns, which the cluster broadcasts to every node, are spread over the primaries by
    /// the hash slot of their name, and move to another primary when theirs fails.
    public func subscribe(_ kind: RedisSubscriptionKind, to names: [String]) -> RedisSubscription {
        RedisSubscription(hub: pubSub, kind: kind, names: names)
    }

    /// The primary a subscription belongs on now, refreshing the topology first when asked.
    func subscriptionHome(
        of key: PubSubStateMachine<RedisConnection>.Key, refreshTopology: Bool
    ) async throws(RedisError) -> RedisEndpoint {
        if refreshTopology { _ = try await refresh(force: false) }
        guard let primary = try await target(slot: key.slot, readOnly: false) else {
            throw RedisError(.clusterDown, "No primary serves hash slot \(key.slot) right now")
        }
        return primary
    }

    /// Subscribes on every primary of the cluster: what keyspace notifications need, since
    /// each node sends only those of its own keys. Each primary's subscription follows its
    /// shard through failovers; primaries added later (a new shard) are not subscribed to.
    public func subscribeOnEveryPrimary(_ kind: RedisSubscriptionKind, to names: [String]) async throws(RedisError) -> RedisSubscription {
        let map = try await slotMap()
        var pins: [Int] = []
        var seen = Set<RedisEndpoint>()
        for slot in 0..<HashSlot.count {
            if let primary = map.primary(for: slot), seen.insert(primary).inserted { pins.append(slot) }
        }
        let keys = names.flatMap { name in pins.map { PubSubStateMachine<RedisConnection>.Key(kind: kind, name: name, pin: $0) } }
        return RedisSubscription(hub: pubSub, kind: kind, names: names, keys: keys)
    }
}
