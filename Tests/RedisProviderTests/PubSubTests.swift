import NIOCore
import RESP
import RedisProviderTestSupport
import Testing

@testable import RedisProvider

/// The next message of `subscription` within `timeout` (nil when none came).
func nextMessage(_ subscription: RedisSubscription, within timeout: Duration = .seconds(10)) async throws -> RedisPubSubMessage? {
    let outcome = await firstResult(before: .now + timeout) { () async -> Result<RedisPubSubMessage?, any Error> in
        var iterator = subscription.makeAsyncIterator()
        do { return .success(try await iterator.next()) } catch { return .failure(error) }
    }
    return try outcome?.get()
}

/// Reads a subscription in a task of its own into a list, so that a test can wait for
/// messages with a time limit without cancelling the read (which ends the subscription).
final class Inbox: Sendable {
    let messages = Collector<RedisPubSubMessage>()
    private let reader: Task<Void, Never>

    init(_ subscription: RedisSubscription) {
        let messages = messages
        reader = Task { do { for try await m in subscription { messages.append(m) } } catch {} }
    }

    deinit { reader.cancel() }

    /// The first message received whose payload is `text`, waiting up to `timeout`.
    func message(_ text: String, within timeout: Duration = .seconds(10)) async throws -> RedisPubSubMessage? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let m = messages.all.first(where: { $0.string == text }) { return m }
            try await Task.sleep(for: .milliseconds(10))
        }
        return messages.all.first { $0.string == text }
    }
}

/// Publishes `message` to `channel` until `inbox` has it (a subscription being
/// re-established misses what is published meanwhile), at most for `timeout`.
func publishUntilReceived(
    _ redis: some RedisCommandExecutor, _ inbox: Inbox, channel: String, message: String, sharded: Bool = false,
    timeout: Duration = .seconds(30)
) async throws -> RedisPubSubMessage? {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        _ = try? await (sharded ? redis.spublish(message, to: channel) : redis.publish(message, to: channel))
        if let received = try await inbox.message(message, within: .milliseconds(100)) { return received }
    }
    return nil
}

/// How many server-side subscribers `channel` has (`PUBSUB NUMSUB` / `SHARDNUMSUB`).
func numsub(_ redis: some RedisCommandExecutor, _ channel: String, sharded: Bool = false) async throws -> Int {
    let reply = try await redis.send("PUBSUB", sharded ? "SHARDNUMSUB" : "NUMSUB", channel)
    guard case .array(let items) = reply, items.count == 2, case .integer(let n) = items[1] else { return -1 }
    return Int(n)
}

@Suite struct PubSubTests {
    @Test(arguments: [3, 2])
    func roundTripOnStandalone(protocolVersion: Int) async throws {
        try await withServer { server in
            var configuration = RedisClientConfiguration()
            configuration.protocolVersion = protocolVersion
            let redis = try RedisClient(endpoint: server.endpoint, configuration: configuration)
            defer { Task { await redis.shutdown() } }
            try await redis.withSubscription(to: ["chat:1", "chat:2"]) { subscription in
                #expect(try await redis.publish("hello", to: "chat:2") == 1)
                let message = try await nextMessage(subscription)
                #expect(message?.channel == "chat:2" && message?.string == "hello" && message?.pattern == nil)
                #expect(message?.gapBefore == false)
                // The command connection is not the subscription's: commands still work.
                try await redis.set("k", "v")
                #expect(try await redis.get("k").text == "v")
            }
            let gone = try await eventually(.seconds(15)) { try await numsub(redis, "chat:1") == 0 }
            let pubSubClients = try? await redis.send("CLIENT", "LIST", "TYPE", "PUBSUB")
            #expect(gone, "still subscribed: \(pubSubClients?.string ?? "?")")
        }
    }

    @Test func patternMessagesCarryTheirPattern() async throws {
        try await withClient { redis, _ in
            let events = redis.psubscribe(to: "events:*")
            try await events.activate()
            try await redis.publish("{\"id\":7}", to: "events:created")
            let message = try await nextMessage(events)
            #expect(message?.pattern == "events:*" && message?.channel == "events:created")
            struct Event: Decodable { var id: Int }
            #expect(try message?.decode(Event.self).id == 7)
        }
    }

    /// 100 channels × 10 subscribers in one process: one server subscription per channel,
    /// on one connection; every subscriber gets every message of its channel.
    @Test func subscribersOfAChannelShareOneServerSubscription() async throws {
        try await withClient { redis, _ in
            var subscriptions: [RedisSubscription] = []
            for channel in 0..<100 {
                for _ in 0..<10 { subscriptions.append(redis.subscribe(to: "c\(channel)")) }
            }
            for subscription in subscriptions { try await subscription.activate() }
            #expect(try await numsub(redis, "c0") == 1)
            #expect(try await numsub(redis, "c99") == 1)
            let clients = String(buffer: try await redis.send("CLIENT", "LIST", "TYPE", "PUBSUB").bulkBytes ?? ByteBuffer())
            #expect(clients.split(separator: "\n").count == 1, "\(clients)")
            #expect(try await redis.publish("x", to: "c42") == 1)
            for subscription in subscriptions[420..<430] { #expect(try await nextMessage(subscription)?.string == "x") }
            // Nine of ten leave: the server subscription stays; the last leaves: it goes.
            for subscription in subscriptions[420..<429] { subscription.cancel() }
            try await Task.sleep(for: .milliseconds(100))
            #expect(try await numsub(redis, "c42") == 1)
            subscriptions[429].cancel()
            #expect(try await eventually { try await numsub(redis, "c42") == 0 })
            #expect(try await numsub(redis, "c43") == 1)
        }
    }

    @Test func binaryAndLargePayloadsArriveIntact() async throws {
        try await withClient { redis, _ in
            try await redis.withSubscription(to: ["bin"]) { subscription in
                var all = ByteBuffer(bytes: Array(0...255) + Array("\r\n".utf8))
                try await redis.publish(all, to: "bin")
                #expect(try await nextMessage(subscription)?.payload == all)
                all = ByteBuffer(repeating: 0x5A, count: 1 << 20)
                try await redis.publish(all, to: "bin")
                #expect(try await nextMessage(subscription)?.payload == all)
            }
        }
    }

    @Test func cancellingTheReadingTaskUnsubscribes() async throws {
        try await withClient { redis, _ in
            let reader = Task {
                for try await _ in redis.subscribe(to: "jobs") {}
            }
            let subscribed = try await eventually { try await numsub(redis, "jobs") == 1 }
            #expect(subscribed)
            reader.cancel()
            _ = try? await reader.value
            // Generous: with every suite running at once on 2 cores, it took more than 5 s.
            let unsubscribed = try await eventually(.seconds(20)) { try await numsub(redis, "jobs") == 0 }
            #expect(unsubscribed)
        }
    }

    /// A consumer that stops reading keeps at most its buffer; the next message it reads
    /// says that earlier ones were dropped.
    @Test func aSlowConsumerIsBounded() async throws {
        try await withServer { server in
            var configuration = RedisClientConfiguration()
            configuration.subscriptionBufferSize = 10
            let redis = try RedisClient(endpoint: server.endpoint, configuration: configuration)
            defer { Task { await redis.shutdown() } }
            try await redis.withSubscription(to: ["flood"]) { subscription in
                for i in 0..<100 { try await redis.publish("\(i)", to: "flood") }
                #expect(try await eventually { subscription.droppedMessages == 90 })
                let first = try await nextMessage(subscription)
                #expect(first?.string == "90" && first?.gapBefore == true)
                #expect(try await nextMessage(subscription)?.gapBefore == false)
            }
        }
    }

    /// The server restarts under a subscriber: it reconnects and subscribes again by itself,
    /// and the first message after says there was a gap.
    @Test func aRestartedServerIsResubscribed() async throws {
        let server = try await RedisServer.start()
        var restarted: RedisServer?
        defer { (restarted ?? server).stop() }
        let redis = try RedisClient(url: server.url)
        defer { Task { await redis.shutdown() } }
        let subscription = redis.subscribe(to: "news")
        try await subscription.activate()
        let inbox = Inbox(subscription)
        try await redis.publish("before", to: "news")
        #expect(try await inbox.message("before")?.gapBefore == false)
        server.kill()
        restarted = try await server.restarted()
        let after = try await publishUntilReceived(redis, inbox, channel: "news", message: "after")
        #expect(after?.gapBefore == true)
        #expect(try await numsub(redis, "news") == 1)
    }

    @Test func shutdownEndsTheSequence() async throws {
        try await withServer { server in
            let redis = try RedisClient(url: server.url)
            let subscription = redis.subscribe(to: "bye")
            try await subscription.activate()
            await redis.shutdown()
            var iterator = subscription.makeAsyncIterator()
            #expect(try await iterator.next() == nil)
        }
    }
}

@Suite struct ClusterPubSubTests {
    /// Sharded channels on all three primaries, a classic channel and a pattern, through
    /// the provider: every message arrives; SSUBSCRIBE lives on the slot's owner.
    @Test(arguments: ClusterServer.available)
    func shardedChannelsOnEveryPrimary(server: ClusterServer) async throws {
        try await withCluster(server) { _, cluster in
            let redis = try RedisProvider(url: cluster.seedURL, clusterOptions: .init(refreshInterval: nil))
            defer { Task { await redis.shutdown() } }
            // One channel per primary: slots 0–5460, 5461–10922, 10923–16383.
            let channels = ["{a}:ch", "{b}:ch", "{c}:ch"]
            let slots = channels.map { HashSlot.slot(for: $0) }
            #expect(Set(slots.map { $0 / 5461 }).count == 3, "\(slots)")
            try await redis.withSubscription(to: channels, kind: .shardChannel) { subscription in
                for channel in channels {
                    #expect(try await redis.spublish("m-\(channel)", to: channel) == 1)
                    #expect(try await nextMessage(subscription)?.string == "m-\(channel)")
                }
                let owner = try await cluster.node(owningSlot: slots[0])
                let onOwner = try await cluster.call(cluster.index(of: owner)!, RESPCommand("PUBSUB", "SHARDNUMSUB", channels[0]))
                #expect(onOwner.arrayItems?.last == .integer(1))
            }
            try await redis.withSubscription(to: ["broadcast"]) { subscription in
                // PUBLISH counts the subscribers of the node that received it only; the
                // cluster forwards the message to the others.
                _ = try await redis.publish("all", to: "broadcast")
                #expect(try await nextMessage(subscription)?.string == "all")
            }
        }
    }

    /// kill -9 of a sharded channel's primary: once its replica is promoted, messages
    /// published there arrive again, after a gap signal.
    @Test(arguments: ClusterServer.available)
    func aShardedChannelFollowsAFailover(server: ClusterServer) async throws {
        try await withCluster(server) { client, cluster in
            let channel = "{a}:orders"
            let subscription = client.ssubscribe(to: channel)
            try await subscription.activate()
            let inbox = Inbox(subscription)
            #expect(try await client.spublish("one", to: channel) == 1)
            #expect(try await inbox.message("one") != nil)
            let primary = try await cluster.node(owningSlot: HashSlot.slot(for: channel))
            cluster.kill(primary)
            _ = try await cluster.waitForFailover(of: primary)
            let after = try await publishUntilReceived(client, inbox, channel: channel, message: "two", sharded: true)
            #expect(after?.gapBefore == true)
        }
    }

    /// The channel's slot migrates to another primary: the old owner ends the subscription,
    /// the client subscribes on the new owner.
    @Test(arguments: ClusterServer.available)
    func aShardedChannelFollowsItsSlot(server: ClusterServer) async throws {
        try await withCluster(server) { client, cluster in
            let channel = "{a}:moves"
            let slot = HashSlot.slot(for: channel)
            let subscription = client.ssubscribe(to: channel)
            try await subscription.activate()
            let inbox = Inbox(subscription)
            let source = try await cluster.node(owningSlot: slot)
            let target = try await cluster.primaries().first { $0.port != source.port }!
            try await cluster.migrate(slots: [slot], to: target)
            let after = try await publishUntilReceived(client, inbox, channel: channel, message: "moved", sharded: true)
            #expect(after != nil)
            let onTarget = try await cluster.call(cluster.index(of: target)!, RESPCommand("PUBSUB", "SHARDNUMSUB", channel))
            #expect(onTarget.arrayItems?.last == .integer(1))
        }
    }
}

@Suite struct KeyspaceNotificationTests {
    /// Keyspace notifications come from the node holding the key: the helper subscribes on
    /// every primary, and keeps a shard's subscription through its failover.
    @Test(arguments: ClusterServer.available)
    func keyEventsFromEveryPrimary(server: ClusterServer) async throws {
        try await withCluster(server) { client, cluster in
            for i in cluster.nodes.indices { _ = try await cluster.call(i, RESPCommand("CONFIG", "SET", "notify-keyspace-events", "E$")) }
            let events = try await client.keyspaceNotifications(matching: "__keyevent@0__:set")
            try await events.activate()
            let inbox = Inbox(events)
            for key in ["{a}k", "{b}k", "{c}k"] {
                try await client.set(key, "1")
                let message = try await inbox.message(key)
                #expect(message?.channel == "__keyevent@0__:set" && message?.pattern == "__keyevent@0__:set")
            }
            let primary = try await cluster.node(owningSlot: HashSlot.slot(for: "{a}k"))
            cluster.kill(primary)
            _ = try await cluster.waitForFailover(of: primary)
            let deadline = ContinuousClock.now + .seconds(30)
            var after: RedisPubSubMessage?
            while after == nil, ContinuousClock.now < deadline {
                _ = try? await client.set("{a}after", "1")
                after = try await inbox.message("{a}after", within: .milliseconds(100))
            }
            #expect(after?.gapBefore == true)
        }
    }

    @Test func standaloneKeyEvents() async throws {
        try await withClient { redis, _ in
            try await redis.send("CONFIG", "SET", "notify-keyspace-events", "Ex")
            let events = try await redis.keyspaceNotifications(matching: "__keyevent@0__:expired")
            try await events.activate()
            let inbox = Inbox(events)
            try await redis.set("short", "1", expiration: .after(.milliseconds(50)))
            #expect(try await inbox.message("short")?.channel == "__keyevent@0__:expired")
        }
    }
}

extension RESPValue {
    fileprivate var arrayItems: [RESPValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    fileprivate var bulkBytes: ByteBuffer? {
        switch self {
        case .bulkString(let b), .verbatimString(_, let b): return b
        default: return nil
        }
    }
}
