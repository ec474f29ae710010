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
        guard let primary = try await target(slot: HashSlot.slot(for: key.name), readOnly: false) else {
            throw RedisError(.clusterDown, "No primary serves hash slot \(HashSlot.slot(for: key.name)) right now")
        }
        return primary
    }
}
