import NIOCore

extension RedisCommandMetadata {

    /// Indices into argv (argv[0] is the command name, as in Redis) of every key, in order.
    ///
    /// This is what `COMMAND GETKEYS` answers for a well-formed command line: the key specs are
    /// walked as the servers walk them (begin_search by index or keyword, find_keys by range or
    /// keynum); for the few commands whose specs the servers mark incomplete or variable, the
    /// servers' own key finders are mirrored. For a container command pass the whole argv to the
    /// subcommand's metadata (OBJECT ENCODING key → `[2]`).
    ///
    /// A malformed argv never traps: specs that do not fit it (numkeys not a number or past the
    /// end, …) are skipped and the keys of the others are returned, as the servers do with
    /// `GET_KEYSPEC_RETURN_PARTIAL`. The server will reject such a command anyway.
    public func keyIndices(in argv: [ByteBuffer]) -> [Int] {
        keyIndices(in: argv, includingNotKeys: false)
    }

    /// Like ``keyIndices(in:)``; with `includingNotKeys` it also returns the arguments that
    /// are hashed like keys without being keys (the shard channels of SPUBLISH, SSUBSCRIBE and
    /// SUNSUBSCRIBE), which a cluster client routes by slot too.
    public func keyIndices(in argv: [ByteBuffer], includingNotKeys: Bool) -> [Int] {
        var result: [Int] = []
        if keyFinder == .keySpecs {
            _ = walkKeySpecs(argv, includingNotKeys: includingNotKeys, strict: false, into: &result)
            return result
        }
        // As the servers do (getKeysFromCommandWithSpecs): the key specs first, unless their
        // flags vary; when a spec cannot be followed or is incomplete, the command's own finder.
        if !keySpecs.contains(where: { $0.flags.contains(.variableFlags) }),
            walkKeySpecs(argv, includingNotKeys: false, strict: true, into: &result)
        {
            return result
        }
        result.removeAll()
        switch keyFinder {
        case .keySpecs:
            break
        case .sort:
            Self.appendSortKeys(argv, to: &result)
        case .sortReadOnly:
            if argv.count > 1 { result.append(1) }
        case .migrate:
            Self.appendMigrateKeys(argv, to: &result)
        case .georadius:
            Self.appendGeoradiusKeys(argv, to: &result)
        }
        return result
    }

    /// Redis' / Valkey's `getKeysUsingKeySpecs`. A spec that does not fit argv (numkeys not a
    /// number, keys past the end, an `unknown` spec) is skipped, or, when `strict`, ends the
    /// walk with `false`; so does an `incomplete` spec once its keys are added, when `strict`.
    private func walkKeySpecs(
        _ argv: [ByteBuffer], includingNotKeys: Bool, strict: Bool, into result: inout [Int]
    ) -> Bool {
        let argc = argv.count
        for spec in keySpecs {
            if spec.flags.contains(.notKey) && !includingNotKeys { continue }

            var first = 0
            switch spec.beginSearch {
            case .index(let index):
                first = index
            case .keyword(let keyword, let startFrom):
                let start = startFrom > 0 ? startFrom : argc + startFrom
                let end = startFrom > 0 ? argc - 1 : 1
                var i = start
                while i != end {
                    if i >= argc || i < 1 { break }
                    if Self.equalsASCIICaseInsensitive(argv[i], keyword) {
                        first = i + 1
                        break
                    }
                    i = start <= end ? i + 1 : i - 1
                }
                if first == 0 { continue }  // keyword not found: no keys from this spec
            case .unknown:
                if strict { return false }
                continue
            }

            let last: Int
            let step: Int
            switch spec.findKeys {
            case .range(let lastKey, let keyStep, let limit):
                step = keyStep
                if lastKey >= 0 {
                    last = first + lastKey
                } else if limit == 0 {
                    last = argc + lastKey
                } else {
                    // e.g. XREAD STREAMS k1 k2 id1 id2: the first half of the rest.
                    last = first + ((argc - first) / limit + lastKey)
                }
            case .keynum(let keyNumIndex, let firstKey, let keyStep):
                step = keyStep
                let numIndex = first + keyNumIndex
                guard numIndex >= 1, numIndex < argc,
                    let count = Self.parseInteger(argv[numIndex]), count > 0, count <= argc
                else {
                    if strict { return false }
                    continue
                }
                first += firstKey
                // Valkey counts numkeys in keys, also for a step > 1 (MSETEX numkeys k v k v).
                last = first + (count - 1) * keyStep
            case .unknown:
                if strict { return false }
                continue
            }

            guard step > 0, first >= 1, first < argc, last < argc, last >= first else {
                if strict { return false }
                continue
            }
            var i = first
            while i <= last {
                result.append(i)
                i += step
            }
            if strict && spec.flags.contains(.incomplete) { return false }
        }
        return true
    }

    /// Mirrors the servers' `sortGetKeys`: argv[1], and the key after the last STORE, skipping
    /// the arguments of LIMIT (2), GET (1) and BY (1).
    private static func appendSortKeys(_ argv: [ByteBuffer], to result: inout [Int]) {
        let argc = argv.count
        guard argc > 1 else { return }
        result.append(1)
        var store: Int? = nil
        var i = 2
        while i < argc {
            let arg = argv[i]
            if equalsASCIICaseInsensitive(arg, "limit") {
                i += 2
            } else if equalsASCIICaseInsensitive(arg, "store") {
                if i + 1 < argc { store = i + 1 }
            } else if equalsASCIICaseInsensitive(arg, "get") || equalsASCIICaseInsensitive(arg, "by") {
                i += 1
            }
            i += 1
        }
        if let store { result.append(store) }
    }

    /// Mirrors the servers' `migrateGetKeys`: argv[3], or with `KEYS` (and an empty argv[3])
    /// every argument after KEYS; COPY, REPLACE, AUTH password and AUTH2 user password are
    /// skipped while looking for KEYS.
    private static func appendMigrateKeys(_ argv: [ByteBuffer], to result: inout [Int]) {
        let argc = argv.count
        guard argc > 3 else { return }
        var first = 3
        var count = 1
        if argc > 6 {
            var i = 6
            while i < argc {
                let arg = argv[i]
                if equalsASCIICaseInsensitive(arg, "keys") {
                    if argv[3].readableBytes > 0 {
                        count = 0  // syntax error: a key and KEYS
                    } else {
                        first = i + 1
                        count = argc - first
                    }
                    break
                }
                if equalsASCIICaseInsensitive(arg, "auth") {
                    i += 1
                } else if equalsASCIICaseInsensitive(arg, "auth2") {
                    i += 2
                }
                i += 1
            }
        }
        for k in 0..<max(count, 0) { result.append(first + k) }
    }

    /// Mirrors the servers' `georadiusGetKeys`: argv[1], and the argument after the last STORE
    /// or STOREDIST from argv[5] on (the server stores into the last one given).
    private static func appendGeoradiusKeys(_ argv: [ByteBuffer], to result: inout [Int]) {
        let argc = argv.count
        guard argc > 1 else { return }
        result.append(1)
        var stored: Int? = nil
        var i = 5
        while i < argc {
            let arg = argv[i]
            if (equalsASCIICaseInsensitive(arg, "store") || equalsASCIICaseInsensitive(arg, "storedist")) && i + 1 < argc {
                stored = i + 1
                i += 1
            }
            i += 1
        }
        if let stored { result.append(stored) }
    }

    // MARK: Byte helpers

    /// Whether `buffer` equals the ASCII `text`, ignoring ASCII case.
    static func equalsASCIICaseInsensitive(_ buffer: ByteBuffer, _ text: String) -> Bool {
        var text = text
        return text.withUTF8 { expected in
            buffer.withUnsafeReadableBytes { bytes in
                guard bytes.count == expected.count else { return false }
                for i in 0..<bytes.count where lowercasedASCII(bytes[i]) != lowercasedASCII(expected[i]) {
                    return false
                }
                return true
            }
        }
    }

    static func lowercasedASCII(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }

    /// Parses a decimal integer as the servers' `string2ll` does (optional `-`, no `+`, no
    /// leading zeros, no spaces, no overflow).
    static func parseInteger(_ buffer: ByteBuffer) -> Int? {
        buffer.withUnsafeReadableBytes { bytes -> Int? in
            guard !bytes.isEmpty, bytes.count <= 20 else { return nil }
            var i = 0
            var negative = false
            if bytes[0] == UInt8(ascii: "-") {
                negative = true
                i = 1
                guard bytes.count > 1 else { return nil }
            }
            if bytes[i] == UInt8(ascii: "0") {
                return bytes.count == i + 1 && !negative ? 0 : nil
            }
            var value = 0
            while i < bytes.count {
                let digit = bytes[i] &- UInt8(ascii: "0")
                guard digit <= 9 else { return nil }
                let (times10, o1) = value.multipliedReportingOverflow(by: 10)
                let (next, o2) = negative
                    ? times10.subtractingReportingOverflow(Int(digit))
                    : times10.addingReportingOverflow(Int(digit))
                guard !o1, !o2 else { return nil }
                value = next
                i += 1
            }
            return value
        }
    }
}
