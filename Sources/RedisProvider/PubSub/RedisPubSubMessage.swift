import Foundation
import NIOCore

/// Which kind of subscription: a channel (`SUBSCRIBE`), a glob-style pattern (`PSUBSCRIBE`)
/// or a sharded channel (`SSUBSCRIBE`, Redis 7+; in a cluster it lives on the primary that
/// owns its hash slot).
public enum RedisSubscriptionKind: String, Sendable, Hashable, CaseIterable {
    case channel
    case pattern
    case shardChannel

    /// The command that subscribes.
    var subscribeCommand: String {
        switch self {
        case .channel: return "SUBSCRIBE"
        case .pattern: return "PSUBSCRIBE"
        case .shardChannel: return "SSUBSCRIBE"
        }
    }

    /// The command that unsubscribes.
    var unsubscribeCommand: String {
        switch self {
        case .channel: return "UNSUBSCRIBE"
        case .pattern: return "PUNSUBSCRIBE"
        case .shardChannel: return "SUNSUBSCRIBE"
        }
    }
}

/// One message received on a subscription.
///
/// Pub/sub is at-most-once: messages published while a subscription is being re-established
/// (after a lost connection, a failover, a slot moved to another primary) or that a slow
/// consumer's full buffer had to drop are lost. ``gapBefore`` says when that may have happened
/// just before this message, so that a consumer can re-read state it keeps elsewhere.
public struct RedisPubSubMessage: Sendable, Hashable {
    /// The channel the message was published to.
    public var channel: String
    /// The pattern that matched, for pattern subscriptions.
    public var pattern: String?
    /// The message, byte for byte.
    public var payload: ByteBuffer
    /// `true` when messages may have been lost between the previous one and this one: the
    /// subscription was re-established, or the consumer's buffer overflowed.
    public var gapBefore: Bool

    public init(channel: String, pattern: String? = nil, payload: ByteBuffer, gapBefore: Bool = false) {
        self.channel = channel
        self.pattern = pattern
        self.payload = payload
        self.gapBefore = gapBefore
    }

    /// The payload as UTF-8 text.
    public var string: String { String(buffer: payload) }

    /// The payload decoded from JSON.
    public func decode<T: Decodable>(_ type: T.Type, using decoder: JSONDecoder = JSONDecoder()) throws -> T {
        try decoder.decode(type, from: Data(payload.readableBytesView))
    }
}
