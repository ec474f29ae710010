import NIOCore

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
}
