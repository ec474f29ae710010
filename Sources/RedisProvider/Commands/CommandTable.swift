import NIOCore

// MARK: - Lookup

/// The metadata of every command the captured Redis and Valkey servers know, looked up by
/// name or from a command line.
///
/// Where both servers know a command, the newer server's description is used (see
/// ``sources``); ``RedisCommandMetadata/servers`` tells which servers know it.
public enum RedisCommandTable {
    /// The servers the table was captured from, preferred first (e.g. `valkey 9.1.2`).
    public static var sources: [String] { generatedSources }

    /// Every top-level command, sorted by name (subcommands hang off their containers).
    public static var allCommands: [RedisCommandMetadata] { generatedCommands }

    /// Top-level commands by lower-case name.
    static let commandIndex = CommandNameIndex(generatedCommands.map { ($0.name, $0) })

    /// Looks up a command from its argv: argv[0] names the command (case-insensitive); for a
    /// container command (CONFIG, OBJECT, XINFO, CLIENT, …) argv[1] selects the subcommand.
    ///
    /// Returns nil for an empty argv, an unknown command, or an unknown subcommand. A container
    /// given without a subcommand returns the container's own metadata.
    public static func metadata(for argv: [ByteBuffer]) -> RedisCommandMetadata? {
        guard let first = argv.first, let command = commandIndex[first] else { return nil }
        guard command.isContainer, argv.count > 1 else { return command }
        return command.storage.subcommandIndex?[argv[1]]
    }

    /// Looks up a command by name (case-insensitive). `named` may also be a full subcommand
    /// name such as `config|get`.
    public static func metadata(named name: String, subcommand: String? = nil) -> RedisCommandMetadata? {
        var commandName = name.lowercased()
        var subcommandName = subcommand?.lowercased()
        if subcommandName == nil, let bar = commandName.firstIndex(of: "|") {
            subcommandName = String(commandName[commandName.index(after: bar)...])
            commandName = String(commandName[..<bar])
        }
        guard let command = commandIndex[commandName] else { return nil }
        guard let subcommandName else { return command }
        return command.storage.subcommandIndex?[subcommandName]
    }
}

/// Command names to metadata, looked up case-insensitively straight from argv bytes.
///
/// Names of up to 24 bytes (all the servers have) are packed, lower-cased, into three integers and found
/// in an open-addressing table, so a lookup from a `ByteBuffer` neither allocates nor hashes a
/// `String`; longer names use a `String` dictionary. Built once, read-only afterwards.
final class CommandNameIndex: Sendable {
    struct PackedName: Hashable, Sendable {
        var w0: UInt64
        var w1: UInt64
        var w2: UInt64
        static let empty = PackedName(w0: 0, w1: 0, w2: 0)
    }

    /// Slots of the open-addressing table; an empty slot holds the all-zero name.
    private let slots: [PackedName]
    private let values: [RedisCommandMetadata?]
    private let shift: UInt64
    private let long: [String: RedisCommandMetadata]

    init(_ entries: [(name: String, metadata: RedisCommandMetadata)]) {
        var bits: UInt64 = 3
        while (1 << bits) < entries.count * 2 { bits += 1 }
        let capacity = 1 << Int(bits)
        var slots = [PackedName](repeating: .empty, count: capacity)
        var values = [RedisCommandMetadata?](repeating: nil, count: capacity)
        var long: [String: RedisCommandMetadata] = [:]
        let shift = 64 - bits
        for (name, metadata) in entries {
            var utf8 = Array(name.lowercased().utf8)
            if let key = utf8.withUnsafeMutableBytes({ Self.pack(UnsafeRawBufferPointer($0)) }) {
                var slot = Self.slot(key, shift: shift)
                while slots[slot] != .empty && slots[slot] != key {
                    slot = (slot + 1) & (capacity - 1)
                }
                slots[slot] = key
                values[slot] = metadata
            } else {
                long[String(decoding: utf8, as: UTF8.self)] = metadata
            }
        }
        self.slots = slots
        self.values = values
        self.shift = shift
        self.long = long
    }

    subscript(name: ByteBuffer) -> RedisCommandMetadata? {
        name.withUnsafeReadableBytes { bytes in
            if let key = Self.pack(bytes) { return find(key) }
            guard bytes.count > 24, bytes.count <= 64, !long.isEmpty else { return nil }
            return long[String(decoding: bytes.lazy.map(RedisCommandMetadata.lowercasedASCII), as: UTF8.self)]
        }
    }

    subscript(name: String) -> RedisCommandMetadata? {
        var name = name
        return name.withUTF8 { utf8 in
            if let key = Self.pack(UnsafeRawBufferPointer(utf8)) { return find(key) }
            guard utf8.count > 24, !long.isEmpty else { return nil }
            return long[String(decoding: utf8.lazy.map(RedisCommandMetadata.lowercasedASCII), as: UTF8.self)]
        }
    }

    private func find(_ key: PackedName) -> RedisCommandMetadata? {
        let mask = slots.count - 1
        var slot = Self.slot(key, shift: shift)
        while true {
            let candidate = slots[slot]
            if candidate == key { return values[slot] }
            if candidate.w0 == 0 { return nil }  // names are never empty
            slot = (slot + 1) & mask
        }
    }

    /// Multiply-shift hashing of the three words.
    private static func slot(_ key: PackedName, shift: UInt64) -> Int {
        let mixed = (key.w0 ^ (key.w1 &* 0xC2B2_AE3D_27D4_EB4F) ^ (key.w2 &* 0x1656_67B1_9E37_79F9))
            &* 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: mixed >> shift)
    }

    /// The lower-cased bytes packed into three integers; nil for an empty name, one longer than
    /// 24 bytes, or one with a NUL or non-ASCII byte (no command has those).
    private static func pack(_ bytes: UnsafeRawBufferPointer) -> PackedName? {
        let count = bytes.count
        guard count > 0, count <= 24 else { return nil }
        var words: (UInt64, UInt64, UInt64) = (0, 0, 0)
        for i in 0..<count {
            let byte = bytes[i]
            guard byte != 0, byte < 0x80 else { return nil }
            let lowered = UInt64(RedisCommandMetadata.lowercasedASCII(byte)) << (8 * UInt64(i & 7))
            switch i >> 3 {
            case 0: words.0 |= lowered
            case 1: words.1 |= lowered
            default: words.2 |= lowered
            }
        }
        return PackedName(w0: words.0, w1: words.1, w2: words.2)
    }
}
