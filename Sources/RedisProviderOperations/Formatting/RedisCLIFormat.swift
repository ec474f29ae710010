import RedisProvider
import NIOCore
import RESP

#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Renders replies byte for byte as `redis-cli` 7.0 prints them.
///
/// `redis-cli` has two output modes that matter here:
///
/// - **TTY** (`cliFormatReplyTTY`): the default when standard output is a terminal (or the
///   `FAKETTY` environment variable is set), forced by `--no-raw` even when piped. Bulk strings
///   are quoted and escaped, types are labelled (`(integer) 1`, `(nil)`, `(error) ERR …`),
///   aggregates are numbered and indented.
/// - **Raw** (`cliFormatReplyRaw`): the default when standard output is not a terminal, forced
///   by `--raw`. Of `--raw` and `--no-raw`, the last one given wins. Payloads are printed as
///   they are, aggregate elements one per line, map pairs as `key value`.
///
/// The result always includes what redis-cli prints after a reply, so a caller writes it
/// verbatim and adds nothing:
///
/// - TTY: every line ends with `\n`, so the whole reply does too (`(nil)\n`, `""\n`,
///   `(empty array)\n`).
/// - Raw: the reply, then one `\n` (redis-cli's `cmd_delim`). A nil prints as an empty line
///   (`\n`), and an error ends with two newlines (`ERR …\n\n`): raw errors carry their own
///   `\n`, and the delimiter follows.
/// - The replies of a few commands (`INFO`, `CLIENT LIST`, `MEMORY DOCTOR` …) are printed raw
///   in both modes and with nothing after them: use ``formatBytes(_:raw:command:)``.
///
/// Where `RESPValue` does not keep what the server sent, the output is as close as it gets:
///
/// - Doubles: redis-cli prints the server's text. `RESPValue.double` keeps only the value, so
///   it is rendered with `%.17g` (what Redis 7.0 sends), plus `inf`, `-inf` and `nan`. A server
///   that sends other text (Redis 7.2+ and Valkey send the shortest round-trip form: `0.1`
///   rather than `0.10000000000000001`) is not matched for such values.
/// - Big numbers: redis-cli 7.0.15 cannot print them (it writes `Unknown reply type: 13` to
///   standard error and exits 1; the current redis-cli and valkey-cli sources have no case for
///   them either). They are rendered in the style of doubles: `(big number) 1234…` (TTY) and
///   the plain digits (raw). Likewise its hiredis rejects `,nan` and blob errors (`!`), which
///   are rendered as `(double) nan` and as any other error.
/// - Error texts were decoded as UTF-8 by the parser, so invalid bytes in them are already
///   replacement characters.
public enum RedisCLIFormat {
    /// Formats `value` as `redis-cli --no-raw` (`raw == false`) or `redis-cli --raw`
    /// (`raw == true`) prints it, including the final newline.
    ///
    /// Raw output copies payload bytes unchanged, and a `String` cannot hold bytes that are not
    /// UTF-8 (they become U+FFFD). To write binary payloads exactly, use ``formatBytes(_:raw:)``.
    ///
    /// A top-level `.push` shaped like a client-tracking invalidation (`["invalidate", [keys]]`)
    /// is printed in TTY mode as `-> invalidate: 'k1', 'k2'`, as redis-cli's push handler does
    /// for out-of-band push messages. (redis-cli prints pushes read as command replies, e.g. in
    /// subscribe mode, with the ordinary layout; no such push is an invalidation.)
    public static func format(_ value: RESPValue, raw: Bool) -> String {
        String(decoding: formatBytes(value, raw: raw), as: UTF8.self)
    }

    /// The bytes of ``format(_:raw:)``: exactly what redis-cli writes to standard output.
    public static func formatBytes(_ value: RESPValue, raw: Bool) -> [UInt8] {
        var out: [UInt8] = []
        if raw {
            appendRaw(value, to: &out)
            out.append(Byte.newline)  // cmd_delim
        } else if case .push(let elements) = value, let keys = invalidatedKeys(elements) {
            appendInvalidation(keys, to: &out)
        } else {
            appendTTY(value, prefix: [], to: &out)
        }
        return out
    }

    /// Formats the reply to `command` (the argv as typed, command name first) as redis-cli
    /// prints it, including the commands whose replies it always prints raw.
    ///
    /// redis-cli prints the replies of a few commands that return human-oriented text (`INFO`,
    /// `CLIENT LIST`, `MEMORY DOCTOR` …, see ``printsReplyRaw(_:)``) with the raw layout in both
    /// modes and *without* the final newline: the text the server sent normally ends with one
    /// (`INFO` with `\r\n`), an empty reply prints nothing at all, and an error prints as
    /// `ERR …\n` with no `(error)` label. Every other command is formatted by
    /// ``formatBytes(_:raw:)``.
    public static func formatBytes(_ value: RESPValue, raw: Bool, command: [String]) -> [UInt8] {
        guard printsReplyRaw(command) else { return formatBytes(value, raw: raw) }
        var out: [UInt8] = []
        appendRaw(value, to: &out)
        return out
    }

    /// ``formatBytes(_:raw:command:)`` as a `String` (bytes that are not UTF-8 become U+FFFD).
    public static func format(_ value: RESPValue, raw: Bool, command: [String]) -> String {
        String(decoding: formatBytes(value, raw: raw, command: command), as: UTF8.self)
    }

    /// Whether redis-cli 7.0 prints the reply to `command` raw whatever the output mode
    /// (`cliSendCommand`'s `output_raw`). Names compare case-insensitively; argument counts
    /// include the command name.
    ///
    /// `INFO`, `LOLWUT`; `DEBUG HTSTATS|HTSTATS-KEY|CLIENT-EVICTION …`;
    /// `MEMORY MALLOC-STATS|DOCTOR …`; `CLIENT LIST|INFO …`; `PROXY INFO …`; and, with exactly
    /// these arguments, `CLUSTER NODES`, `CLUSTER INFO`, `LATENCY GRAPH <event>`, `LATENCY DOCTOR`.
    public static func printsReplyRaw(_ command: [String]) -> Bool {
        guard let name = command.first.map(asciiLowercased) else { return false }
        let sub = command.count >= 2 ? asciiLowercased(command[1]) : ""
        switch name {
        case "info", "lolwut":
            return true
        case "debug":
            return ["htstats", "htstats-key", "client-eviction"].contains(sub)
        case "memory":
            return sub == "malloc-stats" || sub == "doctor"
        case "cluster":
            return command.count == 2 && (sub == "nodes" || sub == "info")
        case "client":
            return sub == "list" || sub == "info"
        case "latency":
            return (command.count == 3 && sub == "graph") || (command.count == 2 && sub == "doctor")
        case "proxy":
            return sub == "info"
        default:
            return false
        }
    }

    /// `A`–`Z` lowered, nothing else changed: `strcasecmp` in the C locale.
    private static func asciiLowercased(_ text: String) -> String {
        String(decoding: text.utf8.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    // MARK: - TTY (`--no-raw`)

    /// `cliFormatReplyTTY`: one value, every line ending in `\n`. `prefix` is the indentation
    /// of the lines after the first one of an aggregate (the first line follows the index its
    /// parent already printed).
    static func appendTTY(_ value: RESPValue, prefix: [UInt8], to out: inout [UInt8]) {
        switch value {
        case .error(let error):
            out.append(contentsOf: "(error) ".utf8)
            appendCString(error.message.utf8, to: &out)
            out.append(Byte.newline)
        case .simpleString(let buffer):
            appendCString(buffer.readableBytesView, to: &out)
            out.append(Byte.newline)
        case .integer(let integer):
            out.append(contentsOf: "(integer) \(integer)\n".utf8)
        case .double(let double):
            out.append(contentsOf: "(double) \(doubleText(double))\n".utf8)
        case .bulkString(let buffer):
            appendRepr(buffer.readableBytesView, to: &out)
            out.append(Byte.newline)
        case .verbatimString(_, let buffer):
            // Printed as is, without the `txt:` prefix (hiredis strips it).
            out.append(contentsOf: buffer.readableBytesView)
            out.append(Byte.newline)
        case .null:
            out.append(contentsOf: "(nil)\n".utf8)
        case .boolean(let bool):
            out.append(contentsOf: (bool ? "(true)\n" : "(false)\n").utf8)
        case .bigNumber(let digits):
            out.append(contentsOf: "(big number) \(digits)\n".utf8)
        case .array(let elements):
            appendTTYList(elements, separator: UInt8(ascii: ")"), empty: "(empty array)", prefix: prefix, to: &out)
        case .set(let elements):
            appendTTYList(elements, separator: UInt8(ascii: "~"), empty: "(empty set)", prefix: prefix, to: &out)
        case .push(let elements):
            // redis-cli numbers push elements like array elements: `1)`.
            appendTTYList(elements, separator: UInt8(ascii: ")"), empty: "(empty push)", prefix: prefix, to: &out)
        case .map(let entries):
            appendTTYMap(entries, prefix: prefix, to: &out)
        }
    }

    /// An array, set or push: `1) first` then `<prefix> 2) second`, the indices right-aligned
    /// to the width of the largest one, nested values indented by that width plus two.
    private static func appendTTYList(
        _ elements: [RESPValue], separator: UInt8, empty: String, prefix: [UInt8], to out: inout [UInt8]
    ) {
        guard !elements.isEmpty else {
            out.append(contentsOf: empty.utf8)
            out.append(Byte.newline)
            return
        }
        let width = decimalWidth(elements.count)
        let childPrefix = prefix + repeatElement(Byte.space, count: width + 2)
        for (offset, element) in elements.enumerated() {
            appendIndex(offset + 1, width: width, separator: separator, prefix: offset == 0 ? [] : prefix, to: &out)
            appendTTY(element, prefix: childPrefix, to: &out)
        }
    }

    /// A map: `1# key => value`, or, when the value spans several lines,
    /// `1# key => \n<indent>value…` (redis-cli leaves the space after `=>`).
    private static func appendTTYMap(_ entries: [RESPMapEntry], prefix: [UInt8], to out: inout [UInt8]) {
        guard !entries.isEmpty else {
            out.append(contentsOf: "(empty hash)\n".utf8)
            return
        }
        let width = decimalWidth(entries.count)
        let childPrefix = prefix + repeatElement(Byte.space, count: width + 2)
        for (offset, entry) in entries.enumerated() {
            appendIndex(
                offset + 1, width: width, separator: UInt8(ascii: "#"), prefix: offset == 0 ? [] : prefix, to: &out)
            appendTTY(entry.key, prefix: childPrefix, to: &out)
            out.removeLast()  // the key's final newline (redis-cli: sdsrange(out, 0, -2))
            out.append(contentsOf: " => ".utf8)
            if isMultilineTTY(entry.value) {
                out.append(Byte.newline)
                out.append(contentsOf: childPrefix)
            }
            appendTTY(entry.value, prefix: childPrefix, to: &out)
        }
    }

    /// `cliIsMultilineValueTTY`: whether `appendTTY` renders `value` on more than one line.
    static func isMultilineTTY(_ value: RESPValue) -> Bool {
        switch value {
        case .array(let elements), .set(let elements), .push(let elements):
            if elements.count > 1 { return true }
            return elements.first.map(isMultilineTTY) ?? false
        case .map(let entries):
            if entries.count > 1 { return true }
            return entries.first.map { isMultilineTTY($0.value) } ?? false
        default:
            return false
        }
    }

    /// `<prefix><index right-aligned to width><separator> `, as `"%s%*u%c "`.
    private static func appendIndex(
        _ index: Int, width: Int, separator: UInt8, prefix: [UInt8], to out: inout [UInt8]
    ) {
        out.append(contentsOf: prefix)
        let digits = String(index).utf8
        out.append(contentsOf: repeatElement(Byte.space, count: max(0, width - digits.count)))
        out.append(contentsOf: digits)
        out.append(separator)
        out.append(Byte.space)
    }

    private static func decimalWidth(_ n: Int) -> Int {
        String(n).utf8.count
    }

    // MARK: - Raw (`--raw`)

    /// `cliFormatReplyRaw`: payloads unquoted, aggregate elements separated by `\n`
    /// (`mb_delim`), map pairs as `key value`. Nothing is appended after the value.
    static func appendRaw(_ value: RESPValue, to out: inout [UInt8]) {
        switch value {
        case .null:
            break
        case .error(let error):
            out.append(contentsOf: error.message.utf8)
            out.append(Byte.newline)
        case .simpleString(let buffer), .bulkString(let buffer), .verbatimString(_, let buffer):
            out.append(contentsOf: buffer.readableBytesView)
        case .boolean(let bool):
            out.append(contentsOf: (bool ? "(true)" : "(false)").utf8)
        case .integer(let integer):
            out.append(contentsOf: String(integer).utf8)
        case .double(let double):
            out.append(contentsOf: doubleText(double).utf8)
        case .bigNumber(let digits):
            out.append(contentsOf: digits.utf8)
        case .array(let elements), .set(let elements), .push(let elements):
            for (offset, element) in elements.enumerated() {
                if offset > 0 { out.append(Byte.newline) }
                appendRaw(element, to: &out)
            }
        case .map(let entries):
            for (offset, entry) in entries.enumerated() {
                if offset > 0 { out.append(Byte.newline) }
                appendRaw(entry.key, to: &out)
                out.append(Byte.space)
                appendRaw(entry.value, to: &out)
            }
        }
    }

    // MARK: - Client-tracking invalidations

    /// The keys of a push `["invalidate", [key, …]]` (`isInvalidateReply`: two elements, the
    /// first a bulk string starting with `invalidate`, the second an array), or `nil`.
    /// Keys must be bulk strings (redis-cli asserts so); otherwise `nil`, and the push is
    /// printed with the ordinary layout.
    static func invalidatedKeys(_ elements: [RESPValue]) -> [ByteBuffer]? {
        guard elements.count == 2,
            case .bulkString(let kind) = elements[0],
            kind.readableBytesView.starts(with: "invalidate".utf8),
            case .array(let keys) = elements[1]
        else { return nil }
        var buffers: [ByteBuffer] = []
        buffers.reserveCapacity(keys.count)
        for key in keys {
            guard case .bulkString(let buffer) = key else { return nil }
            buffers.append(buffer)
        }
        return buffers
    }

    /// `cliFormatInvalidateTTY`: `-> invalidate: 'k1', 'k2'` and a newline; keys unescaped.
    private static func appendInvalidation(_ keys: [ByteBuffer], to out: inout [UInt8]) {
        out.append(contentsOf: "-> invalidate: ".utf8)
        for (offset, key) in keys.enumerated() {
            if offset > 0 { out.append(contentsOf: ", ".utf8) }
            out.append(UInt8(ascii: "'"))
            appendCString(key.readableBytesView, to: &out)
            out.append(UInt8(ascii: "'"))
        }
        out.append(Byte.newline)
    }

    // MARK: - Text helpers

    /// `sdscatrepr`: `"…"` with `\\`, `\"`, `\n`, `\r`, `\t`, `\a`, `\b` escaped, other
    /// printable ASCII (0x20–0x7e) as is, and every other byte as `\xNN` (lowercase hex).
    static func appendRepr<Bytes: Sequence<UInt8>>(_ bytes: Bytes, to out: inout [UInt8]) {
        out.append(Byte.quote)
        for byte in bytes {
            switch byte {
            case Byte.backslash, Byte.quote:
                out.append(Byte.backslash)
                out.append(byte)
            case UInt8(ascii: "\n"): out.append(contentsOf: #"\n"#.utf8)
            case UInt8(ascii: "\r"): out.append(contentsOf: #"\r"#.utf8)
            case UInt8(ascii: "\t"): out.append(contentsOf: #"\t"#.utf8)
            case 0x07: out.append(contentsOf: #"\a"#.utf8)
            case 0x08: out.append(contentsOf: #"\b"#.utf8)
            case 0x20...0x7E:
                out.append(byte)
            default:
                out.append(contentsOf: #"\x"#.utf8)
                out.append(hexDigit(byte >> 4))
                out.append(hexDigit(byte & 0x0F))
            }
        }
        out.append(Byte.quote)
    }

    /// The bytes up to the first NUL: redis-cli prints these with `%s` / `strlen`.
    private static func appendCString<Bytes: Sequence<UInt8>>(_ bytes: Bytes, to out: inout [UInt8]) {
        for byte in bytes {
            if byte == 0 { return }
            out.append(byte)
        }
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    /// A double as Redis 7.0 sends it in RESP3: `%.17g`, and `inf`, `-inf`, `nan`.
    static func doubleText(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
            let count = withVaList([value]) { arguments in
                vsnprintf(buffer.baseAddress!, buffer.count, "%.17g", arguments)
            }
            let length = max(0, min(Int(count), buffer.count - 1))
            return UnsafeRawBufferPointer(start: buffer.baseAddress, count: length)
                .withMemoryRebound(to: UInt8.self) { String(decoding: $0, as: UTF8.self) }
        }
    }

    private enum Byte {
        static let newline = UInt8(ascii: "\n")
        static let space = UInt8(ascii: " ")
        static let quote = UInt8(ascii: "\"")
        static let backslash = UInt8(ascii: "\\")
    }
}
