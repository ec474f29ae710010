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
