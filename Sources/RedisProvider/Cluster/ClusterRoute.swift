import NIOCore
import RESP

/// Where one command goes in a cluster, decided from the command metadata the servers publish:
/// the slot of its keys, a split per slot (MGET, MSET, DEL …), a fan-out to every primary
/// (KEYS, DBSIZE, FLUSHALL …), or any primary.
struct ClusterRoute {
    enum Target {
        case slot(Int)
        case anyPrimary
        /// One part per slot; `groups` are indices into `ClusterRoute.groups`.
        case split([(slot: Int, groups: [Int])])
        case fanOut(allNodes: Bool)
    }

    /// The command's name in lower case, subcommands as `config|get`.
    let name: String
    /// The arguments (split per slot or fanned out from here); empty when the fast path
    /// routed the command by its one key, since it then goes out as it is.
    let argv: [ByteBuffer]
    let metadata: RedisCommandMetadata?
    let target: Target
    let readOnly: Bool
    let idempotent: Bool
    /// For splits: the argument groups that start at each key (key plus its values).
    let groups: [Range<Int>]
    /// Where the arguments before the first key end (command name, subcommand, …).
    let headerEnd: Int

    /// Whether running `command` twice has the effect of running it once (reads, `SET`
    /// without `GET`, `DEL` …): what may be replayed after its connection failed.
    static func isIdempotent(_ command: RESPCommand) -> Bool {
        let argv = command.arguments
        guard let metadata = RedisCommandTable.metadata(for: argv) else { return false }
        return metadata.flags.contains(.readonly) || idempotentWrites.contains(metadata.name)
    }

    init(_ command: RESPCommand) throws(RedisError) {
        // Most traffic (GET, SET, HSET, INCR …) has one key at a fixed place: route it from
        // the name and that argument, read in place, without splitting argv into an array.
        if let nameBytes = command.nameBytes, let metadata = RedisCommandTable.commandIndex[nameBytes],
            let index = metadata.singleKeyIndex, let key = command.argument(at: index)
        {
            self.metadata = metadata
            name = metadata.name
            readOnly = metadata.flags.contains(.readonly)
            idempotent = readOnly || Self.idempotentWrites.contains(metadata.name)
            target = .slot(HashSlot.slot(for: key))
            argv = []
            groups = []
            headerEnd = index
            return
        }
        let argv = command.arguments
        self.argv = argv
        metadata = RedisCommandTable.metadata(for: argv)
        // The metadata's name is lower case ("config|get"); upper-casing it for every
        // command would cost an allocation on the hot path, so compare in lower case.
        let lowerName = metadata?.name ?? command.name.lowercased()
        name = lowerName
        readOnly = metadata?.flags.contains(.readonly) ?? false
        idempotent = readOnly || Self.idempotentWrites.contains(lowerName)
        let keys = metadata?.keyIndices(in: argv, includingNotKeys: true) ?? []
        guard !keys.isEmpty else {
            groups = []
            headerEnd = argv.count
            switch (lowerName, metadata?.requestPolicy) {
            case _ where Self.fannedOutToCheckEveryNode.contains(lowerName), (_, .allShards?): target = .fanOut(allNodes: false)
            case (_, .allNodes?): target = .fanOut(allNodes: true)
            default: target = .anyPrimary
            }
            return
        }
        let first = HashSlot.slot(for: argv[keys[0]])
        if keys.count == 1 {  // keys at places that vary (EVAL 1 k, XREAD STREAMS k 0 …)
            target = .slot(first)
            groups = []
            headerEnd = keys[0]
            return
        }
        let slots = keys.map { HashSlot.slot(for: argv[$0]) }
        if slots.allSatisfy({ $0 == first }) {
            target = .slot(first)
            groups = []
            headerEnd = keys[0]
            return
        }
        guard metadata?.requestPolicy == .multiShard, Self.contiguousGroups(keys, argv.count) else {
            let sample = zip(keys, slots).prefix(4).map { "\(String(buffer: argv[$0.0])) → slot \($0.1)" }
            let name = self.name
            throw RedisError(
                .crossSlot,
                "\(name.uppercased()) is atomic and its keys map to different hash slots (\(sample.joined(separator: ", "))). In a cluster all its keys must share one slot: give them a common hash tag, e.g. {user42}:profile and {user42}:sessions")
        }
        var ranges: [Range<Int>] = []
        for (i, k) in keys.enumerated() { ranges.append(k..<(i + 1 < keys.count ? keys[i + 1] : argv.count)) }
        groups = ranges
        headerEnd = keys[0]
        var order: [Int] = []
        var bySlot: [Int: [Int]] = [:]
        for (i, slot) in slots.enumerated() {
            if bySlot[slot] == nil { order.append(slot) }
            bySlot[slot, default: []].append(i)
        }
        target = .split(order.map { ($0, bySlot[$0]!) })
    }

    /// The slot this command pins a transaction to, which runs on one node: the slot of its
    /// keys, or `nil` for a keyless command any node answers (PING, ECHO, TIME, INFO …).
    /// Throws `.crossSlot` for a command whose keys span slots or that must reach every node,
    /// saying which.
    func slotInTransaction() throws(RedisError) -> Int? {
        switch target {
        case .slot(let slot):
            return slot
        case .anyPrimary:
            return nil
        case .fanOut where Self.fannedOutToCheckEveryNode.contains(name):
            return nil
        case .fanOut(let allNodes):
            throw RedisError(
                .crossSlot,
                "\(name.uppercased()) must reach every \(allNodes ? "node" : "primary") of the cluster and merge their replies; it cannot run inside a transaction, which runs on one node. Run it outside the transaction")
        case .split(let parts):
            let slots = parts.prefix(4).map { String($0.slot) }.joined(separator: ", ")
            throw RedisError(
                .crossSlot,
                "\(name.uppercased())'s keys map to different hash slots (\(slots)\(parts.count > 4 ? ", …" : "")); inside a cluster transaction every key must share one slot: give them a common hash tag such as {order:17}")
        }
    }

    /// Keys evenly spaced to the end (MSET k v k v, DEL k k k): each key starts a group.
    private static func contiguousGroups(_ keys: [Int], _ count: Int) -> Bool {
        guard keys.count > 1 else { return true }
        let step = keys[1] - keys[0]
        guard step > 0 else { return false }
        for i in 1..<keys.count where keys[i] - keys[i - 1] != step { return false }
        return keys.last! + step == count
    }

    /// The command for one part of a split: the header, then the part's groups in order.
    func command(for groupIndices: [Int]) -> RESPCommand {
        var parts = Array(argv[..<headerEnd])
        for g in groupIndices { parts.append(contentsOf: argv[groups[g]]) }
        return RESPCommand(argv: parts)
    }

    /// Keyless commands sent to every primary so that the caller hears from each (PING, INFO),
    /// though any one node answers them: inside a transaction they go with its slot.
    static let fannedOutToCheckEveryNode: Set<String> = ["ping", "info"]

    /// Writes whose replay leaves the same state: safe to retry after a lost connection.
    static let idempotentWrites: Set<String> = [
        "set", "mset", "del", "unlink", "expire", "pexpire", "expireat", "pexpireat", "persist", "hset", "hmset",
        "hdel", "sadd", "srem", "zadd", "zrem", "setex", "psetex", "flushall", "flushdb", "script|load",
        "script|flush", "config|set", "touch", "ping", "echo",
    ]
}

/// A reply in a cluster, with the node that sent it.
struct ClusterReply: Sendable {
    var value: RESPValue
    /// The node that answered (`nil` when none did: the client made the reply up).
    var endpoint: RedisEndpoint?

    /// The value; an error reply is thrown as a `.server` error naming the node.
    func checked() throws(RedisError) -> RESPValue {
        if case .error(let e) = value { throw RedisError.server(e, endpoint: endpoint?.description) }
        return value
    }

    /// The value, with an error reply thrown (see ``checked()``) unless `raw`.
    func final(raw: Bool) throws(RedisError) -> RESPValue {
        raw ? value : try checked()
    }
}
