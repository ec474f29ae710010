import NIOCore
import RESP

/// What a subscription connection received, read from a RESP3 push or a RESP2 array.
enum PubSubEvent: Equatable {
    /// A published message (`message`, `pmessage`, `smessage`).
    case message(RedisSubscriptionKind, channel: String, pattern: String?, payload: ByteBuffer)
    /// The server confirms a subscription (`subscribe`, `psubscribe`, `ssubscribe`).
    case subscribed(RedisSubscriptionKind, String)
    /// The server ended a subscription (`unsubscribe` …), asked for or not: a sharded channel
    /// whose slot left the node is ended without being asked.
    case unsubscribed(RedisSubscriptionKind, String?)
    /// The answer to PING (`+PONG` in RESP3, `["pong", ""]` in RESP2 subscribe mode).
    case pong
    /// An error reply: to a subscribe command (`-MOVED` for a sharded channel on the wrong
    /// node, `-NOPERM`), never to a message.
    case error(RESPError)
    /// Anything else (an invalidation push, a value this client does not know).
    case other

    init(_ value: RESPValue) {
        let items: [RESPValue]
        switch value {
        case .push(let i), .array(let i): items = i
        case .simpleString(let s) where String(buffer: s).uppercased() == "PONG": self = .pong; return
        case .error(let e): self = .error(e); return
        default: self = .other; return
        }
        guard let word = items.first.flatMap(Self.text) else {
            self = .other
            return
        }
        let texts = items.dropFirst().map(Self.text)
        switch (word.lowercased(), items.count) {
        case ("message", 3), ("smessage", 3):
            guard let channel = texts[0], let payload = Self.bytes(items[2]) else { self = .other; return }
            self = .message(word.lowercased() == "message" ? .channel : .shardChannel, channel: channel, pattern: nil, payload: payload)
        case ("pmessage", 4):
            guard let pattern = texts[0], let channel = texts[1], let payload = Self.bytes(items[3]) else { self = .other; return }
            self = .message(.pattern, channel: channel, pattern: pattern, payload: payload)
        case ("subscribe", 3), ("psubscribe", 3), ("ssubscribe", 3):
            guard let name = texts[0], let kind = Self.kind(of: word.lowercased()) else { self = .other; return }
            self = .subscribed(kind, name)
        case ("unsubscribe", 3), ("punsubscribe", 3), ("sunsubscribe", 3):
            guard let kind = Self.kind(of: word.lowercased()) else { self = .other; return }
            self = .unsubscribed(kind, texts[0])
        case ("pong", _):
            self = .pong
        default:
            self = .other
        }
    }

    private static func kind(of word: String) -> RedisSubscriptionKind? {
        switch word {
        case "subscribe", "unsubscribe": return .channel
        case "psubscribe", "punsubscribe": return .pattern
        case "ssubscribe", "sunsubscribe": return .shardChannel
        default: return nil
        }
    }

    private static func text(_ value: RESPValue) -> String? {
        switch value {
        case .bulkString(let b), .verbatimString(_, let b): return String(buffer: b)
        case .simpleString(let s): return String(buffer: s)
        default: return nil
        }
    }

    private static func bytes(_ value: RESPValue) -> ByteBuffer? {
        switch value {
        case .bulkString(let b), .verbatimString(_, let b): return b
        case .simpleString(let s): return s
        default: return nil
        }
    }
}
