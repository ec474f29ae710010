import NIOCore

// The types that describe one Redis/Valkey command: what `COMMAND INFO` and `COMMAND DOCS`
// report about it. The values come from real servers: `scripts/capture-command-metadata.sh`
// saves their replies under `Data/commands/`, and `scripts/generate-command-table.py` turns
// them into `CommandTable+Generated.swift`. Nothing here guesses key positions by hand,
// except the few commands whose key specs the servers themselves mark as incomplete
// (SORT, SORT_RO, MIGRATE) or as needing their own key finder (GEORADIUS with STORE),
// where the servers' own key-finding code is mirrored.

// MARK: - Flags

/// The command flags a server reports in `COMMAND INFO` (`write`, `readonly`, `blocking`, …).
public struct RedisCommandFlags: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `write`: the command may modify data.
    public static let write = RedisCommandFlags(rawValue: 1 << 0)
    /// `readonly`: the command only reads data (may run on a replica with READONLY).
    public static let readonly = RedisCommandFlags(rawValue: 1 << 1)
    /// `denyoom`: refused while the server is over its `maxmemory`.
    public static let denyoom = RedisCommandFlags(rawValue: 1 << 2)
    /// `admin`: an administrative command.
    public static let admin = RedisCommandFlags(rawValue: 1 << 3)
    /// `pubsub`: a Pub/Sub command.
    public static let pubsub = RedisCommandFlags(rawValue: 1 << 4)
    /// `noscript`: not allowed inside scripts.
    public static let noscript = RedisCommandFlags(rawValue: 1 << 5)
    /// `blocking`: may block the connection until data arrives or a timeout passes.
    public static let blocking = RedisCommandFlags(rawValue: 1 << 6)
    /// `loading`: allowed while the server loads its data set.
    public static let loading = RedisCommandFlags(rawValue: 1 << 7)
    /// `stale`: allowed on a replica whose link to its primary is down.
    public static let stale = RedisCommandFlags(rawValue: 1 << 8)
    /// `skip_monitor`: not shown to MONITOR.
    public static let skipMonitor = RedisCommandFlags(rawValue: 1 << 9)
    /// `skip_slowlog`: not recorded in the slow log (Redis).
    public static let skipSlowlog = RedisCommandFlags(rawValue: 1 << 10)
    /// `skip_commandlog`: not recorded in the command log (Valkey 8.1+, replaces `skip_slowlog`).
    public static let skipCommandlog = RedisCommandFlags(rawValue: 1 << 11)
    /// `asking`: allowed on an importing slot after ASKING.
    public static let asking = RedisCommandFlags(rawValue: 1 << 12)
    /// `fast`: O(1) or O(log N).
    public static let fast = RedisCommandFlags(rawValue: 1 << 13)
    /// `no_auth`: allowed before authentication.
    public static let noAuth = RedisCommandFlags(rawValue: 1 << 14)
    /// `may_replicate`: may be replicated although it does not write.
    public static let mayReplicate = RedisCommandFlags(rawValue: 1 << 15)
    /// `no_mandatory_keys`: key arguments may be absent (e.g. EVAL with 0 keys).
    public static let noMandatoryKeys = RedisCommandFlags(rawValue: 1 << 16)
    /// `no_multi`: not allowed inside MULTI/EXEC.
    public static let noMulti = RedisCommandFlags(rawValue: 1 << 17)
    /// `movablekeys`: key positions depend on the arguments (use ``RedisCommandMetadata/keyIndices(in:)``).
    public static let movablekeys = RedisCommandFlags(rawValue: 1 << 18)
    /// `allow_busy`: allowed while a script or function runs too long (BUSY).
    public static let allowBusy = RedisCommandFlags(rawValue: 1 << 19)
    /// `no_async_loading`: refused during asynchronous loading.
    public static let noAsyncLoading = RedisCommandFlags(rawValue: 1 << 20)
    /// `module`: the command comes from a module.
    public static let module = RedisCommandFlags(rawValue: 1 << 21)

    /// Every flag with the name the server uses for it.
    public static let serverNames: [(flag: RedisCommandFlags, name: String)] = [
        (.write, "write"), (.readonly, "readonly"), (.denyoom, "denyoom"), (.admin, "admin"),
        (.pubsub, "pubsub"), (.noscript, "noscript"), (.blocking, "blocking"), (.loading, "loading"),
        (.stale, "stale"), (.skipMonitor, "skip_monitor"), (.skipSlowlog, "skip_slowlog"),
        (.skipCommandlog, "skip_commandlog"), (.asking, "asking"), (.fast, "fast"), (.noAuth, "no_auth"),
        (.mayReplicate, "may_replicate"), (.noMandatoryKeys, "no_mandatory_keys"), (.noMulti, "no_multi"),
        (.movablekeys, "movablekeys"), (.allowBusy, "allow_busy"), (.noAsyncLoading, "no_async_loading"),
        (.module, "module"),
    ]

    /// The server's names of the flags in this set.
    public var names: [String] { Self.serverNames.filter { contains($0.flag) }.map(\.name) }
    public var description: String { "[" + names.joined(separator: ", ") + "]" }
}

/// The ACL categories of a command (`@read`, `@write`, `@keyspace`, …).
public struct RedisACLCategories: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let keyspace = RedisACLCategories(rawValue: 1 << 0)
    public static let read = RedisACLCategories(rawValue: 1 << 1)
    public static let write = RedisACLCategories(rawValue: 1 << 2)
    public static let set = RedisACLCategories(rawValue: 1 << 3)
    public static let sortedSet = RedisACLCategories(rawValue: 1 << 4)
    public static let list = RedisACLCategories(rawValue: 1 << 5)
    public static let hash = RedisACLCategories(rawValue: 1 << 6)
    public static let string = RedisACLCategories(rawValue: 1 << 7)
    public static let bitmap = RedisACLCategories(rawValue: 1 << 8)
    public static let hyperloglog = RedisACLCategories(rawValue: 1 << 9)
    public static let geo = RedisACLCategories(rawValue: 1 << 10)
    public static let stream = RedisACLCategories(rawValue: 1 << 11)
    public static let pubsub = RedisACLCategories(rawValue: 1 << 12)
    public static let admin = RedisACLCategories(rawValue: 1 << 13)
    public static let fast = RedisACLCategories(rawValue: 1 << 14)
    public static let slow = RedisACLCategories(rawValue: 1 << 15)
    public static let blocking = RedisACLCategories(rawValue: 1 << 16)
    public static let dangerous = RedisACLCategories(rawValue: 1 << 17)
    public static let connection = RedisACLCategories(rawValue: 1 << 18)
    public static let transaction = RedisACLCategories(rawValue: 1 << 19)
    public static let scripting = RedisACLCategories(rawValue: 1 << 20)

    /// Every category with the name the server uses for it (with its `@`).
    public static let serverNames: [(category: RedisACLCategories, name: String)] = [
        (.keyspace, "@keyspace"), (.read, "@read"), (.write, "@write"), (.set, "@set"),
        (.sortedSet, "@sortedset"), (.list, "@list"), (.hash, "@hash"), (.string, "@string"),
        (.bitmap, "@bitmap"), (.hyperloglog, "@hyperloglog"), (.geo, "@geo"), (.stream, "@stream"),
        (.pubsub, "@pubsub"), (.admin, "@admin"), (.fast, "@fast"), (.slow, "@slow"),
        (.blocking, "@blocking"), (.dangerous, "@dangerous"), (.connection, "@connection"),
        (.transaction, "@transaction"), (.scripting, "@scripting"),
    ]

    /// The server's names of the categories in this set.
    public var names: [String] { Self.serverNames.filter { contains($0.category) }.map(\.name) }
    public var description: String { "[" + names.joined(separator: ", ") + "]" }
}

/// Which servers of the captured data know a command.
public struct RedisServerKinds: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// The Redis version in `Data/commands/` (see ``RedisCommandTable/sources``) has it.
    public static let redis = RedisServerKinds(rawValue: 1 << 0)
    /// The Valkey version in `Data/commands/` (see ``RedisCommandTable/sources``) has it.
    public static let valkey = RedisServerKinds(rawValue: 1 << 1)
}

// MARK: - Tips

/// How a cluster client should send a keyless command (`request_policy` tip).
public enum RequestPolicy: String, Sendable, Hashable {
    /// Send to every node, primaries and replicas.
    case allNodes = "all_nodes"
    /// Send to every primary (e.g. KEYS, DBSIZE, FLUSHALL, SCRIPT LOAD).
    case allShards = "all_shards"
    /// Split the keys by slot, send each part to its shard (e.g. MGET, MSET, DEL).
    case multiShard = "multi_shard"
    /// Needs command-specific handling (e.g. SCAN).
    case special
}

/// How a cluster client should merge the replies of a fanned-out command (`response_policy` tip).
public enum ResponsePolicy: String, Sendable, Hashable {
    /// Succeed with the first non-error reply.
    case oneSucceeded = "one_succeeded"
    /// Succeed when every reply succeeds; fail with the first error.
    case allSucceeded = "all_succeeded"
    /// Logical AND of the (integer) replies.
    case aggLogicalAnd = "agg_logical_and"
    /// Logical OR of the (integer) replies.
    case aggLogicalOr = "agg_logical_or"
    /// The smallest of the (integer) replies.
    case aggMin = "agg_min"
    /// The largest of the (integer) replies.
    case aggMax = "agg_max"
    /// The sum of the (integer) replies (e.g. DBSIZE).
    case aggSum = "agg_sum"
    /// Needs command-specific handling.
    case special
}

// MARK: - Key specifications

/// The access flags of a key spec (`RO`, `RW`, `OW`, `RM`, `access`, `update`, …).
public struct RedisKeySpecFlags: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// `RO`: read-only access to the key's value.
    public static let ro = RedisKeySpecFlags(rawValue: 1 << 0)
    /// `RW`: read-write access.
    public static let rw = RedisKeySpecFlags(rawValue: 1 << 1)
    /// `OW`: overwrite, the old value is not read.
    public static let ow = RedisKeySpecFlags(rawValue: 1 << 2)
    /// `RM`: the key is deleted.
    public static let rm = RedisKeySpecFlags(rawValue: 1 << 3)
    /// `access`: returns, copies or uses user data of the key.
    public static let access = RedisKeySpecFlags(rawValue: 1 << 4)
    /// `update`: updates the value.
    public static let update = RedisKeySpecFlags(rawValue: 1 << 5)
    /// `insert`: only adds data.
    public static let insert = RedisKeySpecFlags(rawValue: 1 << 6)
    /// `delete`: only removes data.
    public static let delete = RedisKeySpecFlags(rawValue: 1 << 7)
    /// `not_key`: not a key but hashed like one (shard channels of SPUBLISH/SSUBSCRIBE).
    public static let notKey = RedisKeySpecFlags(rawValue: 1 << 8)
    /// `incomplete`: the spec may miss keys; the server uses its own key finder.
    public static let incomplete = RedisKeySpecFlags(rawValue: 1 << 9)
    /// `variable_flags`: the flags depend on the arguments.
    public static let variableFlags = RedisKeySpecFlags(rawValue: 1 << 10)

    /// Every flag with the name the server uses for it.
    public static let serverNames: [(flag: RedisKeySpecFlags, name: String)] = [
        (.ro, "RO"), (.rw, "RW"), (.ow, "OW"), (.rm, "RM"), (.access, "access"), (.update, "update"),
        (.insert, "insert"), (.delete, "delete"), (.notKey, "not_key"), (.incomplete, "incomplete"),
        (.variableFlags, "variable_flags"),
    ]

    /// The server's names of the flags in this set.
    public var names: [String] { Self.serverNames.filter { contains($0.flag) }.map(\.name) }
    public var description: String { "[" + names.joined(separator: ", ") + "]" }
}

/// One key specification of a command, as `COMMAND INFO` reports it: where to start looking
/// (`begin_search`) and how to find the keys from there (`find_keys`).
public struct RedisKeySpec: Sendable, Hashable {
    /// Where the search for keys starts.
    public enum BeginSearch: Sendable, Hashable {
        /// At this argv index (argv[0] is the command name).
        case index(Int)
        /// One past the first argument equal (case-insensitively) to `keyword`, searched from
        /// `startFrom` towards the end, or, when `startFrom` is negative, from `argc + startFrom`
        /// towards the start.
        case keyword(String, startFrom: Int)
        /// The server does not describe it (SORT's BY/GET/STORE); a key finder is needed.
        case unknown
    }

    /// How the keys are found from the start index.
    public enum FindKeys: Sendable, Hashable {
        /// Keys from the start index to `lastKey` (relative to the start; when negative,
        /// relative to the end of argv, or, with a `limit`, covering 1/`limit` of the rest),
        /// every `keyStep` arguments.
        case range(lastKey: Int, keyStep: Int, limit: Int)
        /// The argument at start + `keyNumIndex` holds the number of keys, the first key is at
        /// start + `firstKey`, then every `keyStep` arguments.
        case keynum(keyNumIndex: Int, firstKey: Int, keyStep: Int)
        /// The server does not describe it.
        case unknown
    }

    public let beginSearch: BeginSearch
    public let findKeys: FindKeys
    public let flags: RedisKeySpecFlags
    /// The server's note on this spec, if any.
    public let notes: String?

    public init(beginSearch: BeginSearch, findKeys: FindKeys, flags: RedisKeySpecFlags, notes: String? = nil) {
        self.beginSearch = beginSearch
        self.findKeys = findKeys
        self.flags = flags
        self.notes = notes
    }
}

// MARK: - Command metadata

/// Everything the servers report about one command or subcommand: arity, flags, key specs,
/// cluster tips and its documentation group.
///
/// Values come from ``RedisCommandTable``. Copies are cheap (one reference).
public struct RedisCommandMetadata: Sendable, CustomStringConvertible {
    /// How the key positions of a command are found. Almost all commands use their key specs.
    /// A few have specs the servers mark unknown, incomplete or variable_flags; as the servers
    /// do, their key specs are tried first (unless variable_flags), and the servers' own key
    /// finder, mirrored here, is used when a spec cannot be followed or is incomplete.
    enum KeyFinder: Sendable, Hashable {
        /// Walk ``RedisCommandMetadata/keySpecs`` (Redis' `getKeysUsingKeySpecs`).
        case keySpecs
        /// SORT: argv[1], plus the argument after the last STORE option.
        case sort
        /// SORT_RO: argv[1].
        case sortReadOnly
        /// MIGRATE: argv[3], or the arguments after KEYS when argv[3] is empty.
        case migrate
        /// GEORADIUS / GEORADIUSBYMEMBER: argv[1], plus the argument after the last STORE or
        /// STOREDIST from argv[5] on.
        case georadius
    }

    final class Storage: Sendable {
        let name: String
        let arity: Int
        let flags: RedisCommandFlags
        let aclCategories: RedisACLCategories
        let firstKey: Int
        let lastKey: Int
        let keyStep: Int
        let keySpecs: [RedisKeySpec]
        let requestPolicy: RequestPolicy?
        let responsePolicy: ResponsePolicy?
        let nondeterministicOutput: Bool
        let nondeterministicOutputOrder: Bool
        let group: String?
        let summary: String?
        let since: String?
        let deprecatedSince: String?
        let replacedBy: String?
        let servers: RedisServerKinds
        let keyFinder: KeyFinder
        let subcommands: [RedisCommandMetadata]
        /// Subcommands by the lower-cased part after `|` ("get" for "config|get").
        let subcommandIndex: CommandNameIndex?
        /// See ``RedisCommandMetadata/singleKeyIndex``.
        let singleKeyIndex: Int?

        init(
            name: String, arity: Int, flags: RedisCommandFlags, aclCategories: RedisACLCategories,
            firstKey: Int, lastKey: Int, keyStep: Int, keySpecs: [RedisKeySpec],
            requestPolicy: RequestPolicy?, responsePolicy: ResponsePolicy?,
            nondeterministicOutput: Bool, nondeterministicOutputOrder: Bool,
            group: String?, summary: String?, since: String?, deprecatedSince: String?, replacedBy: String?,
            servers: RedisServerKinds, keyFinder: KeyFinder, subcommands: [RedisCommandMetadata]
        ) {
            self.name = name
            self.arity = arity
            self.flags = flags
            self.aclCategories = aclCategories
            self.firstKey = firstKey
            self.lastKey = lastKey
            self.keyStep = keyStep
            self.keySpecs = keySpecs
            self.requestPolicy = requestPolicy
            self.responsePolicy = responsePolicy
            self.nondeterministicOutput = nondeterministicOutput
            self.nondeterministicOutputOrder = nondeterministicOutputOrder
            self.group = group
            self.summary = summary
            self.since = since
            self.deprecatedSince = deprecatedSince
            self.replacedBy = replacedBy
            self.servers = servers
            self.keyFinder = keyFinder
            self.subcommands = subcommands
            self.singleKeyIndex = Self.singleKeyIndex(keySpecs, keyFinder: keyFinder, isContainer: !subcommands.isEmpty)
            self.subcommandIndex =
                subcommands.isEmpty
                ? nil
                : CommandNameIndex(
                    subcommands.map { sub in
                        (sub.name.split(separator: "|", maxSplits: 1).last.map(String.init) ?? sub.name, sub)
                    })
        }

        private static func singleKeyIndex(_ specs: [RedisKeySpec], keyFinder: KeyFinder, isContainer: Bool) -> Int? {
            guard keyFinder == .keySpecs, !isContainer, specs.count == 1, case .index(let index) = specs[0].beginSearch,
                case .range(lastKey: 0, _, _) = specs[0].findKeys, index >= 1
            else { return nil }
            return index
        }
    }

    let storage: Storage

    /// Used by the generated table. Default values are those of a command without keys,
    /// tips or documentation. Never inlined: the table calls it hundreds of times, and
    /// inlining it into every call makes optimized builds of the table slow.
    @inline(never)
    init(
        name: String, arity: Int, flags: RedisCommandFlags = [], aclCategories: RedisACLCategories = [],
        firstKey: Int = 0, lastKey: Int = 0, keyStep: Int = 0,
        requestPolicy: RequestPolicy? = nil, responsePolicy: ResponsePolicy? = nil,
        nondeterministicOutput: Bool = false, nondeterministicOutputOrder: Bool = false,
        group: String? = nil, summary: String? = nil, since: String? = nil,
        deprecatedSince: String? = nil, replacedBy: String? = nil,
        servers: RedisServerKinds = [.redis, .valkey], keyFinder: KeyFinder = .keySpecs,
        keySpecs: [RedisKeySpec] = [], subcommands: [RedisCommandMetadata] = []
    ) {
        storage = Storage(
            name: name, arity: arity, flags: flags, aclCategories: aclCategories,
            firstKey: firstKey, lastKey: lastKey, keyStep: keyStep, keySpecs: keySpecs,
            requestPolicy: requestPolicy, responsePolicy: responsePolicy,
            nondeterministicOutput: nondeterministicOutput, nondeterministicOutputOrder: nondeterministicOutputOrder,
            group: group, summary: summary, since: since, deprecatedSince: deprecatedSince, replacedBy: replacedBy,
            servers: servers, keyFinder: keyFinder, subcommands: subcommands)
    }

    /// The lower-case name; a subcommand is named after its container, e.g. `config|get`.
    public var name: String { storage.name }
    /// The number of arguments including the command name (and the subcommand name):
    /// exactly `arity` when positive, at least `-arity` when negative.
    public var arity: Int { storage.arity }
    /// The command flags.
    public var flags: RedisCommandFlags { storage.flags }
    /// The ACL categories.
    public var aclCategories: RedisACLCategories { storage.aclCategories }
    /// Legacy first key index (0 when the command has no keys at fixed positions).
    public var firstKey: Int { storage.firstKey }
    /// Legacy last key index (negative counts from the end).
    public var lastKey: Int { storage.lastKey }
    /// Legacy step between keys.
    public var keyStep: Int { storage.keyStep }
    /// The key specifications, in the server's order.
    public var keySpecs: [RedisKeySpec] { storage.keySpecs }
    /// The `request_policy` tip: how to send the command in a cluster when it has no keys.
    public var requestPolicy: RequestPolicy? { storage.requestPolicy }
    /// The `response_policy` tip: how to merge the replies of a fanned-out command.
    public var responsePolicy: ResponsePolicy? { storage.responsePolicy }
    /// The `nondeterministic_output` tip: the same call may return different results.
    public var nondeterministicOutput: Bool { storage.nondeterministicOutput }
    /// The `nondeterministic_output_order` tip: the order of the reply's elements is arbitrary.
    public var nondeterministicOutputOrder: Bool { storage.nondeterministicOutputOrder }
    /// The documentation group from `COMMAND DOCS` (`string`, `sorted-set`, `server`, …).
    public var group: String? { storage.group }
    /// The one-line summary from `COMMAND DOCS`.
    public var summary: String? { storage.summary }
    /// The server version that introduced the command.
    public var since: String? { storage.since }
    /// The server version that deprecated the command, if the newer server says it is deprecated.
    public var deprecatedSince: String? { storage.deprecatedSince }
    /// What replaces a deprecated command.
    public var replacedBy: String? { storage.replacedBy }
    /// Which of the captured servers know the command.
    public var servers: RedisServerKinds { storage.servers }
    /// The subcommands of a container command (CONFIG, OBJECT, XINFO, …), sorted by name.
    public var subcommands: [RedisCommandMetadata] { storage.subcommands }
    var keyFinder: KeyFinder { storage.keyFinder }

    /// The argv index of the command's one key (or key-like argument, such as SPUBLISH's
    /// shard channel) when it is always alone and at that place (GET, SET, HSET, INCR …):
    /// then `keyIndices(in:includingNotKeys: true)` is `[singleKeyIndex]` whenever argv
    /// reaches it, and a router needs no other argument. `nil` for every other command.
    public var singleKeyIndex: Int? { storage.singleKeyIndex }

    /// Whether this is a container command whose argv[1] selects a subcommand.
    public var isContainer: Bool { !storage.subcommands.isEmpty }

    /// Whether argv may hold keys (a key spec that is not `not_key`, or a key finder).
    public var hasKeys: Bool {
        keyFinder != .keySpecs || keySpecs.contains { !$0.flags.contains(.notKey) }
    }

    /// The subcommand with this name (the part after `|`, case-insensitive), if any.
    public func subcommand(named name: String) -> RedisCommandMetadata? {
        storage.subcommandIndex?[name]
    }

    /// Whether `count` arguments (command name included) satisfy the arity.
    public func acceptsArgumentCount(_ count: Int) -> Bool {
        arity >= 0 ? count == arity : count >= -arity
    }

    public var description: String { "RedisCommandMetadata(\(name), arity: \(arity), flags: \(flags))" }

    // MARK: Key positions

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
