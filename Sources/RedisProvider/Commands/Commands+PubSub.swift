import NIOCore
import RESP

extension RedisCommandExecutor {
    /// `PUBLISH channel message`: how many subscribers received it. In a cluster the count
    /// covers the node that received it only, which forwards the message to every other node.
    @discardableResult
    nonisolated(nonsending) public func publish(_ message: some RESPArgumentEncodable, to channel: String) async throws(RedisError) -> Int {
        try await execute(RESPCommand("PUBLISH", channel, message), as: Int.self)
    }

    /// `SPUBLISH shardchannel message` (Redis 7+): how many subscribers of the sharded channel
    /// received it. In a cluster it goes to the primary owning the channel's hash slot.
    @discardableResult
    nonisolated(nonsending) public func spublish(_ message: some RESPArgumentEncodable, to channel: String) async throws(RedisError) -> Int {
        try await execute(RESPCommand("SPUBLISH", channel, message), as: Int.self)
    }
}

extension RedisClientProtocol {
    /// Messages published to `channels` (see ``RedisSubscription``).
    public func subscribe(to channels: String...) -> RedisSubscription {
        subscribe(.channel, to: channels)
    }

    /// Messages published to `channels` (see ``RedisSubscription``).
    public func subscribe(to channels: [String]) -> RedisSubscription {
        subscribe(.channel, to: channels)
    }

    /// Messages published to any channel matching the glob-style `patterns` (`events:*`);
    /// each message carries the pattern that matched.
    public func psubscribe(to patterns: String...) -> RedisSubscription {
        subscribe(.pattern, to: patterns)
    }

    /// Messages published with `SPUBLISH` to the sharded `channels` (Redis 7+). In a cluster
    /// each lives on the primary owning its hash slot and follows it through failovers and
    /// slot migrations.
    public func ssubscribe(to channels: String...) -> RedisSubscription {
        subscribe(.shardChannel, to: channels)
    }

    /// Keyspace and keyevent notifications (`__keyspace@0__:…`, `__keyevent@0__:…`) from every
    /// primary, as a pattern subscription. The servers send them only when
    /// `notify-keyspace-events` is set (e.g. `CONFIG SET notify-keyspace-events Ex` for
    /// expirations); each message's channel names the event or key, its payload the other.
    public func keyspaceNotifications(matching pattern: String = "__key*__:*") async throws(RedisError) -> RedisSubscription {
        try await subscribeOnEveryPrimary(.pattern, to: [pattern])
    }

    /// Subscribes, waits until the server confirmed every channel, runs `body` with the
    /// subscription and ends it afterwards:
    ///
    /// ```swift
    /// try await redis.withSubscription(to: ["orders"]) { subscription in
    ///     try await redis.publish("created:17", to: "orders")
    ///     for try await message in subscription {
    ///         print(message.string)
    ///         break
    ///     }
    /// }
    /// ```
    public func withSubscription<T>(
        to names: [String], kind: RedisSubscriptionKind = .channel, _ body: (RedisSubscription) async throws -> T
    ) async throws -> T {
        let subscription = subscribe(kind, to: names)
        defer { subscription.cancel() }
        try await subscription.activate()
        return try await body(subscription)
    }
}
