import NIOCore
import RESP

/// A Swift type a reply can be read as.
public protocol RESPDecodable: Sendable {
    /// Converts a reply, throwing a `.protocolViolation` error when it has another shape.
    init(fromRESP value: RESPValue) throws(RedisError)
}

extension RESPDecodable {
    static func mismatch(_ value: RESPValue) -> RedisError {
        RedisError(.protocolViolation, "Cannot read the reply \(value.shapeDescription) as \(Self.self)")
    }
}

extension RESPValue: RESPDecodable {
    public init(fromRESP value: RESPValue) { self = value }

    var shapeDescription: String {
        switch self {
        case .simpleString: return "(simple string)"
        case .error(let e): return "(error \(e.code))"
        case .integer: return "(integer)"
        case .bulkString: return "(bulk string)"
        case .null: return "(null)"
        case .array(let a): return "(array of \(a.count))"
        case .map(let m): return "(map of \(m.count))"
        case .set(let s): return "(set of \(s.count))"
        case .double: return "(double)"
        case .boolean: return "(boolean)"
        case .bigNumber: return "(big number)"
        case .verbatimString: return "(verbatim string)"
        case .push: return "(push)"
        }
    }
}

extension ByteBuffer: RESPDecodable {
    public init(fromRESP value: RESPValue) throws(RedisError) {
        guard let b = value.byteBuffer else {
            if let s = value.string { self = ByteBuffer(string: s); return }
            throw Self.mismatch(value)
        }
        self = b
    }
}

extension String: RESPDecodable {
    public init(fromRESP value: RESPValue) throws(RedisError) {
        guard let s = value.string else { throw Self.mismatch(value) }
        self = s
    }
}

extension Array: RESPDecodable where Element: RESPDecodable {
    /// Arrays, sets and pushes element by element; a map as key, value, key, value.
    public init(fromRESP value: RESPValue) throws(RedisError) {
        guard let elements = value.elements else { throw Self.mismatch(value) }
        var result: [Element] = []
        result.reserveCapacity(elements.count)
        for e in elements { result.append(try Element(fromRESP: e)) }
        self = result
    }
}

extension UInt8: RESPDecodable {
    public init(fromRESP value: RESPValue) throws(RedisError) {
        guard case .integer(let i) = value, let v = UInt8(exactly: i) else { throw Self.mismatch(value) }
        self = v
    }
}

extension Int: RESPDecodable {
    public init(fromRESP value: RESPValue) throws(RedisError) {
        switch value {
        case .integer(let i): self = Int(i)
        case .bulkString, .simpleString:
            guard let s = value.string, let i = Int(s) else { throw Self.mismatch(value) }
            self = i
        case .boolean(let b): self = b ? 1 : 0
        default: throw Self.mismatch(value)
        }
    }
}

extension Int64: RESPDecodable {
    public init(fromRESP value: RESPValue) throws(RedisError) {
        self = Int64(try Int(fromRESP: value))
    }
}

extension Double: RESPDecodable {
    public init(fromRESP value: RESPValue) throws(RedisError) {
        switch value {
        case .double(let d): self = d
        case .integer(let i): self = Double(i)
        case .bulkString, .simpleString:
            guard let s = value.string, let d = RESPParser.parseDouble(s.lowercased()) else { throw Self.mismatch(value) }
            self = d
        default: throw Self.mismatch(value)
        }
    }
}

extension Bool: RESPDecodable {
    /// `#t`/`#f`, integers (non-zero is `true`) and `OK`.
    public init(fromRESP value: RESPValue) throws(RedisError) {
        switch value {
        case .boolean(let b): self = b
        case .integer(let i): self = i != 0
        case .simpleString(let s): self = String(buffer: s) == "OK"
        case .null: self = false
        default: throw Self.mismatch(value)
        }
    }
}

extension Optional: RESPDecodable where Wrapped: RESPDecodable {
    /// `nil` for a null reply.
    public init(fromRESP value: RESPValue) throws(RedisError) {
        if case .null = value { self = nil } else { self = try Wrapped(fromRESP: value) }
    }
}

extension Dictionary: RESPDecodable where Key: RESPDecodable, Value: RESPDecodable {
    /// A RESP3 map, or a RESP2 flat array of key, value pairs.
    public init(fromRESP value: RESPValue) throws(RedisError) {
        var result: [Key: Value] = [:]
        switch value {
        case .map(let entries):
            result.reserveCapacity(entries.count)
            for e in entries { result[try Key(fromRESP: e.key)] = try Value(fromRESP: e.value) }
        case .array(let a) where a.count % 2 == 0:
            result.reserveCapacity(a.count / 2)
            var i = 0
            while i < a.count {
                result[try Key(fromRESP: a[i])] = try Value(fromRESP: a[i + 1])
                i += 2
            }
        default:
            throw Self.mismatch(value)
        }
        self = result
    }
}

extension RESPValue {
    /// `[UInt8]` of a string-like value.
    public var bytes: [UInt8]? {
        byteBuffer.map { Array($0.readableBytesView) }
    }
}
