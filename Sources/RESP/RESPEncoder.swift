import NIOCore

extension ByteBuffer {
    /// Writes the header of a command of `count` arguments: `*<count>\r\n`.
    @inlinable
    public mutating func writeRESPArrayHeader(_ count: Int) {
        writeInteger(UInt8(ascii: "*"))
        writeDecimal(count)
        writeCRLF()
    }

    /// Writes one bulk-string argument.
    @inlinable
    public mutating func writeRESPBulk(_ bytes: ByteBuffer) {
        bytes.withUnsafeReadableBytes { payload in writeRESPBulk(payload: payload) }
    }

    /// Writes one bulk-string argument from UTF-8 text.
    @inlinable
    public mutating func writeRESPBulk(_ string: String) {
        var string = string
        string.withUTF8 { payload in writeRESPBulk(payload: UnsafeRawBufferPointer(payload)) }
    }

    /// `$<length>\r\n<payload>\r\n` in one write: one capacity check and one access to the
    /// buffer's storage per argument instead of five (this runs for every argument sent).
    @inlinable
    mutating func writeRESPBulk(payload: UnsafeRawBufferPointer) {
        let length = payload.count
        writeWithUnsafeMutableBytes(minimumWritableBytes: length + 24) { out in
            out[0] = UInt8(ascii: "$")
            var end = 1 + Self.writeDigits(of: length, into: out, at: 1)
            out[end] = UInt8(ascii: "\r")
            out[end + 1] = UInt8(ascii: "\n")
            end += 2
            if length > 0 { UnsafeMutableRawBufferPointer(rebasing: out[end..<(end + length)]).copyMemory(from: payload) }
            end += length
            out[end] = UInt8(ascii: "\r")
            out[end + 1] = UInt8(ascii: "\n")
            return end + 2
        }
    }

    /// Writes the decimal digits of `value` (not negative) at `offset`; returns how many.
    @inlinable
    static func writeDigits(of value: Int, into out: UnsafeMutableRawBufferPointer, at offset: Int) -> Int {
        var digits = 1
        var rest = value / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        var v = value
        for i in stride(from: offset + digits - 1, through: offset, by: -1) {
            out[i] = UInt8(ascii: "0") &+ UInt8(v % 10)
            v /= 10
        }
        return digits
    }

    /// Writes one bulk-string argument from raw bytes.
    @inlinable
    public mutating func writeRESPBulk<Bytes: Collection>(bytes: Bytes) where Bytes.Element == UInt8 {
        writeInteger(UInt8(ascii: "$"))
        writeDecimal(bytes.count)
        writeCRLF()
        writeBytes(bytes)
        writeCRLF()
    }

    /// Writes one bulk-string argument holding an integer in decimal.
    @inlinable
    public mutating func writeRESPBulk(_ value: Int) {
        var digits = 1
        var v = value.magnitude
        while v >= 10 {
            v /= 10
            digits += 1
        }
        writeInteger(UInt8(ascii: "$"))
        writeDecimal(value < 0 ? digits + 1 : digits)
        writeCRLF()
        writeDecimal(value)
        writeCRLF()
    }

    /// Writes any `RESPValue` in its RESP3 form (used by test servers and tools).
    public mutating func writeRESPValue(_ value: RESPValue) {
        switch value {
        case .simpleString(let b):
            if b.readableBytesView.contains(where: { $0 == 13 || $0 == 10 }) {
                writeRESPBulk(b)  // a line cannot hold CR or LF
            } else {
                writeInteger(UInt8(ascii: "+")); writeImmutableBuffer(b); writeCRLF()
            }
        case .error(let e):
            if e.message.utf8.contains(where: { $0 == 13 || $0 == 10 }) {
                writeInteger(UInt8(ascii: "!")); writeDecimal(e.message.utf8.count); writeCRLF()
                writeString(e.message); writeCRLF()
            } else {
                writeInteger(UInt8(ascii: "-")); writeString(e.message); writeCRLF()
            }
        case .integer(let i):
            writeInteger(UInt8(ascii: ":")); writeDecimal(Int(i)); writeCRLF()
        case .bulkString(let b):
            writeRESPBulk(b)
        case .null:
            writeString("_\r\n")
        case .array(let a):
            writeAggregate("*", a)
        case .set(let a):
            writeAggregate("~", a)
        case .push(let a):
            writeAggregate(">", a)
        case .map(let entries):
            writeInteger(UInt8(ascii: "%")); writeDecimal(entries.count); writeCRLF()
            for e in entries {
                writeRESPValue(e.key)
                writeRESPValue(e.value)
            }
        case .double(let d):
            writeInteger(UInt8(ascii: ","))
            if d.isNaN { writeString("nan") } else if d.isInfinite { writeString(d < 0 ? "-inf" : "inf") } else { writeString("\(d)") }
            writeCRLF()
        case .boolean(let b):
            writeString(b ? "#t\r\n" : "#f\r\n")
        case .bigNumber(let s):
            writeInteger(UInt8(ascii: "(")); writeString(s); writeCRLF()
        case .verbatimString(let format, let b):
            writeInteger(UInt8(ascii: "=")); writeDecimal(b.readableBytes + 4); writeCRLF()
            writeString(format); writeInteger(UInt8(ascii: ":")); writeImmutableBuffer(b); writeCRLF()
        }
    }

    private mutating func writeAggregate(_ marker: Character, _ elements: [RESPValue]) {
        writeInteger(marker.asciiValue!)
        writeDecimal(elements.count)
        writeCRLF()
        for e in elements { writeRESPValue(e) }
    }

    @inlinable
    mutating func writeCRLF() {
        writeInteger(UInt16(0x0D0A))  // "\r\n", big-endian
    }

    /// Writes an integer as decimal ASCII without allocating.
    @inlinable
    mutating func writeDecimal(_ value: Int) {
        if value >= 0 && value < 10 {
            writeInteger(UInt8(ascii: "0") &+ UInt8(value))
            return
        }
        if value < 0 { writeInteger(UInt8(ascii: "-")) }
        var v = value.magnitude
        var digits: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)  // 32 bytes of scratch
        var count = 0
        withUnsafeMutableBytes(of: &digits) { scratch in
            while true {
                scratch[31 - count] = UInt8(ascii: "0") &+ UInt8(v % 10)
                count += 1
                v /= 10
                if v == 0 { break }
            }
            writeBytes(UnsafeRawBufferPointer(rebasing: scratch[(32 - count)...]))
        }
    }
}
