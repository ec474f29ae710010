import NIOCore

/// One RESP2 or RESP3 value, as a server sends it.
///
/// String-like payloads are `ByteBuffer` slices of the buffer they arrived in, so reading a
/// reply copies nothing until the caller converts it.
public enum RESPValue: Sendable, Hashable {
    /// `+OK`: a simple string.
    case simpleString(ByteBuffer)
    /// `-ERR …`: a simple error, or `!<len>` (RESP3 blob error).
    case error(RESPError)
    /// `:42`: a signed 64-bit integer.
    case integer(Int64)
    /// `$<len>`: a bulk string.
    case bulkString(ByteBuffer)
    /// `$-1`, `*-1` (RESP2) or `_` (RESP3): no value.
    case null
    /// `*<n>`: an array.
    case array([RESPValue])
    /// `%<n>`: a map, pairs in the order the server sent them.
    case map([RESPMapEntry])
    /// `~<n>`: a set.
    case set([RESPValue])
    /// `,<double>`: a double (`inf`, `-inf` and `nan` included).
    case double(Double)
    /// `#t` / `#f`: a boolean.
    case boolean(Bool)
    /// `(<digits>`: an integer too large for 64 bits, as its decimal text.
    case bigNumber(String)
    /// `=<len>`: a verbatim string with its three-letter format (`txt`, `mkd`).
    case verbatimString(format: String, ByteBuffer)
    /// `><n>`: an out-of-band push message (pub/sub, client tracking). Never a reply.
    case push([RESPValue])
}

/// One key/value pair of a RESP3 map.
public struct RESPMapEntry: Sendable, Hashable {
    public var key: RESPValue
    public var value: RESPValue
    public init(key: RESPValue, value: RESPValue) {
        self.key = key
        self.value = value
    }
}

/// An error reply: its first word is the code (`ERR`, `MOVED`, `WRONGTYPE`, `NOAUTH` …).
public struct RESPError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The whole error text as the server sent it, e.g. `MOVED 3999 127.0.0.1:6381`.
    public var message: String

    public init(message: String) { self.message = message }

    /// The error code: the text up to the first space (`MOVED`, `ERR`, `WRONGTYPE`).
    public var code: Substring {
        message.prefix { $0 != " " }
    }

    public var description: String { message }
}

extension RESPValue {
    /// The payload of a string-like value (simple, bulk, verbatim), or `nil`.
    @inlinable
    public var byteBuffer: ByteBuffer? {
        switch self {
        case .bulkString(let b), .simpleString(let b), .verbatimString(_, let b): return b
        default: return nil
        }
    }

    /// The value as text: strings as UTF-8, numbers and booleans in decimal; `nil` for
    /// null, aggregates and errors.
    public var string: String? {
        switch self {
        case .bulkString(let b), .simpleString(let b), .verbatimString(_, let b):
            return String(buffer: b)
        case .integer(let i): return String(i)
        case .double(let d): return String(d)
        case .boolean(let b): return b ? "1" : "0"
        case .bigNumber(let s): return s
        default: return nil
        }
    }

    /// `true` for an error reply (`-ERR …` or a blob error).
    public var isError: Bool {
        if case .error = self { return true }
        return false
    }

    /// `true` for `.null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The elements of an array, set or push; a map flattened to key, value, key, value.
    public var elements: [RESPValue]? {
        switch self {
        case .array(let a), .set(let a), .push(let a): return a
        case .map(let entries): return entries.flatMap { [$0.key, $0.value] }
        default: return nil
        }
    }
}

extension RESPValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) {
        self = .bulkString(ByteBuffer(string: value))
    }
}

extension RESPValue: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int64) {
        self = .integer(value)
    }
}
