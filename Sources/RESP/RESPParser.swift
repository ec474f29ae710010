import NIOCore

/// An incremental RESP2/RESP3 parser.
///
/// Feed it the accumulated input with `next(from:)`: it consumes whole scalar values as they
/// become complete and keeps partly received aggregates on its own stack, so a reply split
/// over many reads is parsed once, in linear time, and the result is the same however the
/// bytes are split. It returns `nil` when it needs more bytes.
public struct RESPParser: Sendable {
    private enum AggregateKind: Sendable { case array, set, map, push, attribute }

    private struct Frame: Sendable {
        var kind: AggregateKind
        var remaining: Int
        var elements: [RESPValue]
    }

    public let limits: RESPDecoderLimits
    private var stack: [Frame] = []

    public init(limits: RESPDecoderLimits = .default) {
        self.limits = limits
    }

    /// `true` while part of an aggregate has been consumed but the aggregate is not complete.
    public var isMidValue: Bool { !stack.isEmpty }

    /// Parses the next complete value from `buffer`, consuming its bytes.
    ///
    /// - Returns: the value, or `nil` when `buffer` ends before the value does (what was
    ///   consumed is remembered; call again with the same buffer once more bytes arrived).
    /// - Throws: `RESPProtocolError` for malformed input or an exceeded limit. The parser
    ///   is then unusable, as is the stream.
    public mutating func next(from buffer: inout ByteBuffer) throws -> RESPValue? {
        while true {
            guard let marker = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else {
                return nil
            }
            var value: RESPValue
            switch marker {
            case UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: "%"), UInt8(ascii: ">"),
                UInt8(ascii: "|"):
                guard let (count, next) = try readLength(buffer, marker: marker) else { return nil }
                buffer.moveReaderIndex(to: next)
                if count < 0 {
                    value = .null  // RESP2 null array: *-1
                } else {
                    let kind = Self.aggregateKind(marker)
                    let elementCount = kind == .map || kind == .attribute ? count * 2 : count
                    if elementCount == 0 {
                        if kind == .attribute { continue }
                        value = Self.build(kind, [])
                    } else {
                        guard stack.count < limits.maxDepth else {
                            throw RESPProtocolError(
                                .nestingTooDeep, "aggregates nest deeper than the limit of \(limits.maxDepth)")
                        }
                        var elements: [RESPValue] = []
                        elements.reserveCapacity(min(elementCount, 1024))
                        stack.append(Frame(kind: kind, remaining: elementCount, elements: elements))
                        continue
                    }
                }
            default:
                guard let (scalar, next) = try readScalar(buffer, marker: marker) else { return nil }
                buffer.moveReaderIndex(to: next)
                value = scalar
            }

            // Deliver `value` to the innermost open aggregate, closing those it completes.
            while true {
                guard !stack.isEmpty else { return value }
                let top = stack.count - 1
                stack[top].elements.append(value)
                stack[top].remaining -= 1
                if stack[top].remaining > 0 { break }
                let frame = stack.removeLast()
                if frame.kind == .attribute { break }  // attributes are metadata: dropped
                value = Self.build(frame.kind, frame.elements)
            }
        }
    }

    private static func aggregateKind(_ marker: UInt8) -> AggregateKind {
        switch marker {
        case UInt8(ascii: "~"): return .set
        case UInt8(ascii: "%"): return .map
        case UInt8(ascii: ">"): return .push
        case UInt8(ascii: "|"): return .attribute
        default: return .array
        }
    }

    private static func build(_ kind: AggregateKind, _ elements: [RESPValue]) -> RESPValue {
        switch kind {
        case .array, .attribute: return .array(elements)
        case .set: return .set(elements)
        case .push: return .push(elements)
        case .map:
            var entries: [RESPMapEntry] = []
            entries.reserveCapacity(elements.count / 2)
            var i = 0
            while i + 1 < elements.count {
                entries.append(RESPMapEntry(key: elements[i], value: elements[i + 1]))
                i += 2
            }
            return .map(entries)
        }
    }

    // MARK: - Scalars

    /// Finds the CRLF that ends the line starting at `start` (just after the type marker).
    /// Returns the line's byte range and the index after the CRLF, or `nil` if incomplete.
    private func line(_ buffer: ByteBuffer, from start: Int) throws -> (Range<Int>, Int)? {
        let end = buffer.writerIndex
        let found: Int? = buffer.withUnsafeReadableBytes { raw in
            let base = buffer.readerIndex
            let from = start - base
            guard from < raw.count else { return nil }
            let limit = min(raw.count, from + limits.maxLineLength + 1)
            var i = from
            while i < limit {
                let byte = raw[i]
                if byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n") { return i + base }
                i += 1
            }
            return nil
        }
        guard let cr = found else {
            if end - start > limits.maxLineLength {
                throw RESPProtocolError(
                    .lineTooLong, "a line is longer than the limit of \(limits.maxLineLength) bytes")
            }
            return nil
        }
        guard buffer.getInteger(at: cr, as: UInt8.self) == UInt8(ascii: "\r") else {
            throw RESPProtocolError(.missingCRLF, "a line holds a bare LF")
        }
        guard cr + 1 < end else { return nil }
        guard buffer.getInteger(at: cr + 1, as: UInt8.self) == UInt8(ascii: "\n") else {
            throw RESPProtocolError(.missingCRLF, "a line ends in CR without LF")
        }
        return (start..<cr, cr + 2)
    }

    private func readLength(_ buffer: ByteBuffer, marker: UInt8) throws -> (Int, Int)? {
        guard let (range, next) = try line(buffer, from: buffer.readerIndex + 1) else { return nil }
        guard let n = Self.parseInt(buffer, range), n >= -1 else {
            if buffer.getInteger(at: range.lowerBound, as: UInt8.self) == UInt8(ascii: "?") {
                throw RESPProtocolError(.unsupported, "streamed RESP3 aggregates are not supported")
            }
            throw RESPProtocolError(.malformedNumber, "invalid aggregate length '\(Self.text(buffer, range))'")
        }
        if n > limits.maxAggregateLength {
            throw RESPProtocolError(
                .aggregateTooLong,
                "an aggregate of \(n) elements exceeds the limit of \(limits.maxAggregateLength)")
        }
        return (Int(n), next)
    }

    private func readScalar(_ buffer: ByteBuffer, marker: UInt8) throws -> (RESPValue, Int)? {
        let start = buffer.readerIndex + 1
        switch marker {
        case UInt8(ascii: "$"), UInt8(ascii: "="), UInt8(ascii: "!"):
            return try readBlob(buffer, marker: marker, start: start)
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "_"),
            UInt8(ascii: ","), UInt8(ascii: "#"), UInt8(ascii: "("):
            break
        default:
            throw RESPProtocolError(
                .invalidTypeMarker, "unexpected type byte 0x\(String(marker, radix: 16)) at the start of a value")
        }
        guard let (range, next) = try line(buffer, from: start) else { return nil }
        switch marker {
        case UInt8(ascii: "+"):
            return (.simpleString(buffer.getSlice(at: range.lowerBound, length: range.count)!), next)
        case UInt8(ascii: "-"):
            return (.error(RESPError(message: Self.text(buffer, range))), next)
        case UInt8(ascii: ":"):
            guard let n = Self.parseInt(buffer, range) else {
                throw RESPProtocolError(.malformedNumber, "invalid integer '\(Self.text(buffer, range))'")
            }
            return (.integer(n), next)
        case UInt8(ascii: "_"):
            guard range.isEmpty else { throw RESPProtocolError(.malformedNumber, "null carries data") }
            return (.null, next)
        case UInt8(ascii: ","):
            let text = Self.text(buffer, range)
            guard let d = Self.parseDouble(text) else {
                throw RESPProtocolError(.malformedNumber, "invalid double '\(text)'")
            }
            return (.double(d), next)
        case UInt8(ascii: "#"):
            switch Self.text(buffer, range) {
            case "t": return (.boolean(true), next)
            case "f": return (.boolean(false), next)
            case let other: throw RESPProtocolError(.malformedNumber, "invalid boolean '\(other)'")
            }
        default:  // "(" big number
            let text = Self.text(buffer, range)
            let digits = text.first == "-" || text.first == "+" ? text.dropFirst() : Substring(text)
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw RESPProtocolError(.malformedNumber, "invalid big number '\(text)'")
            }
            return (.bigNumber(text), next)
        }
    }

    private func readBlob(_ buffer: ByteBuffer, marker: UInt8, start: Int) throws -> (RESPValue, Int)? {
        guard let (range, afterHeader) = try line(buffer, from: start) else { return nil }
        guard let n = Self.parseInt(buffer, range), n >= -1 else {
            if buffer.getInteger(at: range.lowerBound, as: UInt8.self) == UInt8(ascii: "?") {
                throw RESPProtocolError(.unsupported, "streamed RESP3 strings are not supported")
            }
            throw RESPProtocolError(.malformedNumber, "invalid bulk length '\(Self.text(buffer, range))'")
        }
        if n == -1 {
            guard marker == UInt8(ascii: "$") else {
                throw RESPProtocolError(.malformedNumber, "a negative length is only valid for bulk strings")
            }
            return (.null, afterHeader)
        }
        guard n <= limits.maxBulkLength else {
            throw RESPProtocolError(
                .bulkTooLong, "a bulk string of \(n) bytes exceeds the limit of \(limits.maxBulkLength)")
        }
        let length = Int(n)
        guard buffer.writerIndex - afterHeader >= length + 2 else { return nil }
        guard buffer.getInteger(at: afterHeader + length, as: UInt8.self) == UInt8(ascii: "\r"),
            buffer.getInteger(at: afterHeader + length + 1, as: UInt8.self) == UInt8(ascii: "\n")
        else {
            throw RESPProtocolError(.missingCRLF, "a bulk string of \(length) bytes is not followed by CRLF")
        }
        let payload = buffer.getSlice(at: afterHeader, length: length)!
        let next = afterHeader + length + 2
        switch marker {
        case UInt8(ascii: "!"):
            return (.error(RESPError(message: String(buffer: payload))), next)
        case UInt8(ascii: "="):
            guard length >= 4, payload.getInteger(at: payload.readerIndex + 3, as: UInt8.self) == UInt8(ascii: ":"),
                payload.readableBytesView.prefix(3).allSatisfy({ $0 > 32 && $0 < 127 })
            else {
                throw RESPProtocolError(.malformedNumber, "a verbatim string lacks its 'fmt:' prefix")
            }
            let format = payload.getString(at: payload.readerIndex, length: 3) ?? ""
            return (.verbatimString(format: format, payload.getSlice(at: payload.readerIndex + 4, length: length - 4)!), next)
        default:
            return (.bulkString(payload), next)
        }
    }

    // MARK: - Number parsing straight from bytes

    @inline(__always)
    static func parseInt(_ buffer: ByteBuffer, _ range: Range<Int>) -> Int64? {
        guard !range.isEmpty, range.count <= 20 else { return nil }
        return buffer.withUnsafeReadableBytes { raw -> Int64? in
            let base = buffer.readerIndex
            var i = range.lowerBound - base
            let end = range.upperBound - base
            var negative = false
            if raw[i] == UInt8(ascii: "-") {
                negative = true
                i += 1
            } else if raw[i] == UInt8(ascii: "+") {
                i += 1
            }
            guard i < end else { return nil }
            var value: Int64 = 0
            while i < end {
                let d = raw[i] &- UInt8(ascii: "0")
                guard d < 10 else { return nil }
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (s, o2) = negative ? m.subtractingReportingOverflow(Int64(d)) : m.addingReportingOverflow(Int64(d))
                guard !o1, !o2 else { return nil }
                value = s
                i += 1
            }
            return value
        }
    }

    /// Parses a RESP3 double (or a score sent as text): digits, `inf`, `-inf`, `nan`.
    public static func parseDouble(_ text: String) -> Double? {
        switch text {
        case "inf", "+inf": return .infinity
        case "-inf": return -.infinity
        case "nan", "-nan": return .nan
        default:
            guard !text.isEmpty, text.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || $0 == 46 || $0 == 45 || $0 == 43 || $0 == 101 || $0 == 69 })
            else { return nil }
            return Double(text)
        }
    }

    private static func text(_ buffer: ByteBuffer, _ range: Range<Int>) -> String {
        buffer.getString(at: range.lowerBound, length: range.count) ?? ""
    }
}
