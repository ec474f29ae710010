import NIOCore

/// One command ready for the wire: its arguments (`argv`, command name first) already encoded
/// as RESP bulk strings in one buffer, plus their count.
///
/// Building a command costs one buffer; sending it is a copy of that buffer behind the
/// array header. `arguments` decodes argv again for routing and tools.
public struct RESPCommand: Sendable, CustomStringConvertible {
    @usableFromInline var _body: ByteBuffer
    @usableFromInline var _count: Int

    /// The encoded bulk strings, without the leading `*<count>` header.
    public var body: ByteBuffer { _body }
    /// How many arguments `body` holds (command name included).
    public var count: Int { _count }

    /// A command from its name and arguments, each of which may expand to several.
    @inlinable
    public init(_ name: String, _ arguments: any RESPArgumentEncodable...) {
        self.init(name, arguments: arguments)
    }

    /// A command from its name and one argument (GET key, INCR key …), built without boxing
    /// the argument or allocating an array for it.
    @inlinable
    public init<A: RESPArgumentEncodable>(_ name: String, _ a: A) {
        var body = Self.emptyBody()
        var count = name.writeRESPArguments(into: &body)
        count += a.writeRESPArguments(into: &body)
        self._body = body
        self._count = count
    }

    /// A command from its name and two arguments (SET key value, SADD key member …), built
    /// without boxing the arguments or allocating an array for them.
    @inlinable
    public init<A: RESPArgumentEncodable, B: RESPArgumentEncodable>(_ name: String, _ a: A, _ b: B) {
        var body = Self.emptyBody()
        var count = name.writeRESPArguments(into: &body)
        count += a.writeRESPArguments(into: &body)
        count += b.writeRESPArguments(into: &body)
        self._body = body
        self._count = count
    }

    /// Room for a typical small command (name, a key and a short value) in the first
    /// allocation, so building it does not grow the buffer.
    @usableFromInline static let initialCapacity = 128

    /// A buffer with room for `initialCapacity` bytes, allocated at that size at once.
    @inlinable
    static func emptyBody() -> ByteBuffer {
        ByteBufferAllocator().buffer(capacity: initialCapacity)
    }

    /// A command from its name and a list of arguments.
    @inlinable
    public init(_ name: String, arguments: [any RESPArgumentEncodable]) {
        var body = Self.emptyBody()
        var count = name.writeRESPArguments(into: &body)
        for a in arguments { count += a.writeRESPArguments(into: &body) }
        self._body = body
        self._count = count
    }

    /// A command from an argv of raw buffers, the command name first.
    public init(argv: [ByteBuffer]) {
        var body = ByteBuffer()
        for a in argv { body.writeRESPBulk(a) }
        self._body = body
        self._count = argv.count
    }

    /// Appends more arguments.
    @inlinable
    public mutating func append(_ argument: any RESPArgumentEncodable) {
        _count += argument.writeRESPArguments(into: &_body)
    }

    /// Writes the complete command (`*<count>` header and arguments) into `buffer`.
    @inlinable
    public func write(into buffer: inout ByteBuffer) {
        buffer.writeRESPArrayHeader(count)
        buffer.writeImmutableBuffer(body)
    }

    /// The arguments as buffers, the command name first (slices of `body`, no copies).
    public var arguments: [ByteBuffer] {
        var result: [ByteBuffer] = []
        result.reserveCapacity(count)
        var b = body
        var parser = RESPParser()
        while let value = try? parser.next(from: &b), case .bulkString(let arg) = value {
            result.append(arg)
        }
        return result
    }

    /// The command name's bytes as written (a slice of `body`, no copy), or `nil` when the
    /// body does not start with a bulk string. Cheap enough for every command on a hot path.
    public var nameBytes: ByteBuffer? { argument(at: 0) }

    /// Argument `index` (0 is the command name) as a slice of `body`, found by skipping the
    /// ones before it in place: no array, no copy. `nil` past the end.
    public func argument(at index: Int) -> ByteBuffer? {
        var position = _body.readerIndex
        var current = 0
        while current < _count {
            guard _body.getInteger(at: position, as: UInt8.self) == UInt8(ascii: "$") else { return nil }
            var length = 0
            var i = position + 1
            while let d = _body.getInteger(at: i, as: UInt8.self), d != UInt8(ascii: "\r") {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(d), length < 1 << 40 else { return nil }
                length = length * 10 + Int(d - UInt8(ascii: "0"))
                i += 1
            }
            if current == index { return _body.getSlice(at: i + 2, length: length) }
            position = i + 2 + length + 2
            current += 1
        }
        return nil
    }

    /// The command name in upper case, e.g. `GET`.
    public var name: String {
        var b = body
        var parser = RESPParser()
        guard let value = try? parser.next(from: &b), case .bulkString(let arg) = value else { return "" }
        return String(buffer: arg).uppercased()
    }

    /// The command name and argument count; arguments are left out since they may be secrets.
    public var description: String { "\(name) (\(count - 1) arguments)" }
}
