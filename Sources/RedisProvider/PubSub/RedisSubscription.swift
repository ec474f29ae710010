import RESP
import Synchronization

/// Messages of one or more channels, patterns or sharded channels, as an `AsyncSequence`.
///
/// ```swift
/// for try await message in redis.subscribe(to: "chat:room1", "chat:room2") {
///     print(message.channel, message.string)
/// }
/// ```
///
/// The server subscription starts when iteration starts (or at ``activate(timeout:)``) and
/// ends when the sequence is dropped, ``cancel()`` is called, or the reading task is
/// cancelled (iteration then ends with `nil`). Subscribers of the same channel in one process
/// share one server subscription; the server-side UNSUBSCRIBE goes out when the last one ends.
///
/// Lost connections, failovers and slots moving to another primary are repaired by the
/// reading task itself: it reconnects with backoff and subscribes again, and the next message
/// says ``RedisPubSubMessage/gapBefore``. A subscriber that does not keep up loses its oldest
/// messages once `RedisClientConfiguration.subscriptionBufferSize` are waiting (counted in
/// ``droppedMessages``). Iteration throws only when subscribing cannot succeed (the server
/// refused it, or credentials are wrong), and ends when the client shuts down.
public final class RedisSubscription: AsyncSequence, Sendable {
    public typealias Element = RedisPubSubMessage

    /// What is subscribed to.
    public let kind: RedisSubscriptionKind
    /// The channels (or patterns) named.
    public let names: [String]
    private let hub: PubSubHub
    private let keys: [PubSubStateMachine<RedisConnection>.Key]
    private let registration = Mutex<Registration>(.none)

    private enum Registration {
        case none
        case registered(id: UInt64, sink: SubscriptionSink)
        case cancelled
    }

    init(hub: PubSubHub, kind: RedisSubscriptionKind, names: [String], keys: [PubSubStateMachine<RedisConnection>.Key]? = nil) {
        self.hub = hub
        self.kind = kind
        self.names = names
        self.keys = keys ?? names.map { PubSubStateMachine.Key(kind: kind, name: $0) }
    }

    deinit { cancel() }

    /// Subscribes on the server now and waits until every channel is confirmed, so that
    /// messages published afterwards are received. Throws `.commandTimeout` when that takes
    /// longer than `timeout` (the subscription keeps trying), or the server's refusal.
    public func activate(timeout: Duration = .seconds(10)) async throws(RedisError) {
        guard let (id, sink) = register() else { throw RedisError(.cancelled, "The subscription was cancelled") }
        let hub = hub
        let outcome = await firstResult(before: .now + timeout) { () async -> RedisError? in
            while true {
                if hub.isActive(id) { return nil }
                if let failure = sink.failure { return failure }
                if Task.isCancelled { return RedisError(.cancelled, "The task was cancelled while subscribing") }
                sink.clearWakeUp()
                do throws(RedisError) { try await hub.repair() } catch { return error }
                if hub.isActive(id) { return nil }
                await sink.park()
            }
        }
        switch outcome {
        case .none:
            throw RedisError(
                .commandTimeout,
                "The server did not confirm the subscription to \(names.joined(separator: ", ")) within \(RedisURL.format(timeout)); check that the server is reachable")
        case .some(.some(let error)):
            throw error
        case .some(.none):
            return
        }
    }

    /// Ends the subscription: its iteration ends, and the server subscription too unless
    /// another subscriber of the same channel remains.
    public func cancel() {
        let id = registration.withLock { r -> UInt64? in
            defer { r = .cancelled }
            if case .registered(let id, _) = r { return id }
            return nil
        }
        if let id { hub.unsubscribe(id) }
    }

    /// Messages dropped because this subscriber fell behind.
    public var droppedMessages: Int {
        registration.withLock { r in
            if case .registered(_, let sink) = r { return sink.droppedCount }
            return 0
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(subscription: self) }

    /// Reads a subscription's messages in order.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let subscription: RedisSubscription

        public mutating func next() async throws -> RedisPubSubMessage? {
            try await subscription.next()
        }
    }

    /// The next message, waiting for it; `nil` once the subscription was cancelled, the
    /// client shut down, or the task cancelled (which also ends the subscription).
    public func next() async throws(RedisError) -> RedisPubSubMessage? {
        guard let (_, sink) = register() else { return nil }
        while true {
            if Task.isCancelled {
                cancel()
                return nil
            }
            do {
                if let message = try sink.take() { return message }
            } catch {
                cancel()
                if error.kind == .shutdown { return nil }
                throw error
            }
            if case .cancelled = registration.withLock({ $0 }) { return nil }
            sink.clearWakeUp()
            do { try await hub.repair() } catch {
                cancel()
                return nil
            }
            await sink.park()
        }
    }

    /// The subscriber's id and sink, registering at the first call; `nil` once cancelled.
    private func register() -> (UInt64, SubscriptionSink)? {
        registration.withLock { r -> (UInt64, SubscriptionSink)? in
            switch r {
            case .registered(let id, let sink):
                return (id, sink)
            case .cancelled:
                return nil
            case .none:
                let (id, sink) = hub.subscribe(keys)
                r = .registered(id: id, sink: sink)
                return (id, sink)
            }
        }
    }
}
