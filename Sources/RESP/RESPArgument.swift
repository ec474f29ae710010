import NIOCore

/// A value that can be sent as one or more command arguments (RESP bulk strings).
public protocol RESPArgumentEncodable {
    /// Writes this value as bulk strings into `buffer` and returns how many it wrote.
    func writeRESPArguments(into buffer: inout ByteBuffer) -> Int
}

extension String: RESPArgumentEncodable {
    @inlinable
    public func writeRESPArguments(into buffer: inout ByteBuffer) -> Int {
        buffer.writeRESPBulk(self)
        return 1
    }
}

extension Substring: RESPArgumentEncodable {
    @inlinable
    public func writeRESPArguments(into buffer: inout ByteBuffer) -> Int {
        buffer.writeRESPBulk(String(self))
        return 1
    }
}

extension Int: RESPArgumentEncodable {
    @inlinable
    public func writeRESPArguments(into buffer: inout ByteBuffer) -> Int {
        buffer.writeRESPBulk(self)
        return 1
    }
}

extension Int64: RESPArgumentEncodable {
    @inlinable
    public func writeRESPArguments(into buffer: inout ByteBuffer) -> Int {
        buffer.writeRESPBulk(Int(self))
        return 1
    }
}

extension Double: RESPArgumentEncodable {
    @inlinable
    public func writeRESPArguments(into buffer: inout ByteBuffer) -> Int {
        let text: String
        if isInfinite { text = self < 0 ? "-inf" : "+inf" } else { text = "\(self)" }
        buffer.writeRESPBulk(text)
        return 1
    }
}

extension ByteBuffer: RESPArgumentEncodable {
    @inlinable
    public func writeRESPArguments(into buffer: inout ByteBuffer) -> Int {
        buffer.writeRESPBulk(self)
        return 1
    }
}

extension Array: RESPArgumentEncodable where Element: RESPArgumentEncodable {
    /// Each element becomes its own argument(s): `[k1, k2]` sends `k1 k2`.
    @inlinable
    public func writeRESPArguments(into buffer: inout ByteBuffer) -> Int {
        var n = 0
        for element in self { n += element.writeRESPArguments(into: &buffer) }
        return n
    }
}

extension Optional: RESPArgumentEncodable where Wrapped: RESPArgumentEncodable {
    /// `nil` sends nothing; a value sends its arguments.
    @inlinable
    public func writeRESPArguments(into buffer: inout ByteBuffer) -> Int {
        switch self {
        case .some(let v): return v.writeRESPArguments(into: &buffer)
        case .none: return 0
        }
    }
}

/// Raw bytes as one argument.
public struct RESPBytes: RESPArgumentEncodable, Sendable {
    public var bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public func writeRESPArguments(into buffer: inout ByteBuffer) -> Int {
        buffer.writeRESPBulk(bytes: bytes)
        return 1
    }
}
