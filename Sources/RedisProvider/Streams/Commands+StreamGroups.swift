import NIOCore
import RESP

/// How `XADD` and `XTRIM` bound a stream's length.
public struct RedisStreamTrim: Sendable, Hashable {
    var strategy: String
    var threshold: String
    var exact: Bool

    /// Keeps about the newest `count` entries. Not `exact`, the server trims whole nodes of
    /// its radix tree only, which is much cheaper and may keep a few more.
    public static func maxLength(_ count: Int, exact: Bool = false) -> RedisStreamTrim {
        RedisStreamTrim(strategy: "MAXLEN", threshold: String(count), exact: exact)
    }

    /// Drops the entries older than `id` (about, unless `exact`).
    public static func minID(_ id: String, exact: Bool = false) -> RedisStreamTrim {
        RedisStreamTrim(strategy: "MINID", threshold: id, exact: exact)
    }

    func append(to command: inout RESPCommand) {
        command.append(strategy)
        command.append(exact ? "=" : "~")
        command.append(threshold)
    }
}

/// A consumer group's pending entries in brief (`XPENDING key group`).
public struct RedisPendingSummary: Sendable, Hashable {
    /// How many entries were delivered and not yet acknowledged.
    public var count: Int
    /// The oldest and newest of their ids; nil when there are none.
    public var smallest: String?
    public var largest: String?
    /// How many each consumer holds.
    public var consumers: [String: Int]
}

/// One entry a consumer group delivered and was not told was processed.
public struct RedisPendingEntry: Sendable, Hashable {
    /// The entry's id.
    public var id: String
    /// The consumer that holds it.
    public var consumer: String
    /// How long since it was last delivered.
    public var idle: Duration
    /// How many times it was delivered.
    public var deliveries: Int
}

/// What `XAUTOCLAIM` moved to the claiming consumer.
public struct RedisAutoClaim: Sendable {
    /// Where the next scan of the pending list starts; `0-0` once it went through all of it.
    public var next: String
    /// The entries claimed (now pending for the claiming consumer).
    public var entries: [RedisStreamEntry]
    /// Ids that were pending but are no longer in the stream; the server dropped them from the
    /// pending list (Redis 7 and later report them).
    public var deleted: [String]
}

/// Streams and their consumer groups: adding, acknowledging, inspecting and claiming entries.
/// ``RedisStreamConsumer`` builds a worker from them.
extension RedisCommandExecutor {
    /// `XADD key [NOMKSTREAM] [MAXLEN|MINID ~|= threshold] id field value …`: appends an
    /// entry and returns its id; `nil` only when `createStream` is false and there is no
    /// stream. `id` `*` lets the server choose.
    nonisolated(nonsending) public func xadd(
        _ key: String, id: String = "*", fields: [(field: String, value: any RESPArgumentEncodable)],
        trim: RedisStreamTrim? = nil, createStream: Bool = true
    ) async throws(RedisError) -> String? {
        var command = RESPCommand("XADD", key)
        if !createStream { command.append("NOMKSTREAM") }
        trim?.append(to: &command)
        command.append(id)
        for (field, value) in fields {
            command.append(field)
            command.append(value)
        }
        return try await execute(command, as: String?.self)
    }

    /// `XLEN key`: how many entries the stream holds.
    nonisolated(nonsending) public func xlen(_ key: String) async throws(RedisError) -> Int {
        try await execute(RESPCommand("XLEN", key), as: Int.self)
    }

    /// `XTRIM key MAXLEN|MINID ~|= threshold`: how many entries were removed.
    @discardableResult
    nonisolated(nonsending) public func xtrim(_ key: String, _ trim: RedisStreamTrim) async throws(RedisError) -> Int {
        var command = RESPCommand("XTRIM", key)
        trim.append(to: &command)
        return try await execute(command, as: Int.self)
    }

    /// `XDEL key id…`: how many of the entries were deleted.
    @discardableResult
    nonisolated(nonsending) public func xdel(_ key: String, ids: [String]) async throws(RedisError) -> Int {
        try await execute(RESPCommand("XDEL", key, ids), as: Int.self)
    }

    /// `XRANGE key start end [COUNT count]`: entries from `start` to `end` (`-` and `+` for
    /// the ends of the stream), oldest first.
    nonisolated(nonsending) public func xrange(
        _ key: String, from start: String = "-", to end: String = "+", count: Int? = nil
    ) async throws(RedisError) -> [RedisStreamEntry] {
        var command = RESPCommand("XRANGE", key, start, end)
        if let count { command.append("COUNT"); command.append(count) }
        return try Self.entries(try await execute(command))
    }

    /// `XGROUP CREATE key group id MKSTREAM`: creates a consumer group that delivers the
    /// entries after `id` (`$`: only entries added from now on; `0`: the whole stream), and
    /// the stream if there is none. `false` when the group already existed (left as it is).
    @discardableResult
    nonisolated(nonsending) public func xgroupCreate(
        _ key: String, group: String, startingAfter id: String = "$", createStream: Bool = true
    ) async throws(RedisError) -> Bool {
        var command = RESPCommand("XGROUP", "CREATE", key, group, id)
        if createStream { command.append("MKSTREAM") }
        do {
            _ = try await execute(command)
            return true
        } catch where error.serverError?.code == "BUSYGROUP" {
            return false
        }
    }

    /// `XGROUP DESTROY key group`: whether there was such a group.
    @discardableResult
    nonisolated(nonsending) public func xgroupDestroy(_ key: String, group: String) async throws(RedisError) -> Bool {
        try await execute(RESPCommand("XGROUP", "DESTROY", key, group), as: Int.self) == 1
    }

    /// `XACK key group id…`: marks entries processed; returns how many were pending (an id
    /// acknowledged twice counts once).
    @discardableResult
    nonisolated(nonsending) public func xack(_ key: String, group: String, ids: [String]) async throws(RedisError) -> Int {
        try await execute(RESPCommand("XACK", key, group, ids), as: Int.self)
    }

    /// `XPENDING key group`: how many entries the group delivered without acknowledgement, and
    /// to whom.
    nonisolated(nonsending) public func xpending(_ key: String, group: String) async throws(RedisError) -> RedisPendingSummary {
        let reply = try await execute(RESPCommand("XPENDING", key, group))
        guard let parts = reply.elements, parts.count == 4 else { throw RedisPendingSummary.mismatch(reply) }
        var consumers: [String: Int] = [:]
        for pair in parts[3].elements ?? [] {
            guard let p = pair.elements, p.count == 2 else { throw RedisPendingSummary.mismatch(reply) }
            consumers[try String(fromRESP: p[0])] = try Int(fromRESP: p[1])
        }
        return RedisPendingSummary(
            count: try Int(fromRESP: parts[0]), smallest: try String?(fromRESP: parts[1]), largest: try String?(fromRESP: parts[2]),
            consumers: consumers)
    }

    /// `XPENDING key group [IDLE ms] start end count [consumer]`: up to `count` pending
    /// entries between `start` and `end`, only those idle at least `minIdle` and held by
    /// `consumer` when given.
    nonisolated(nonsending) public func xpending(
        _ key: String, group: String, from start: String = "-", to end: String = "+", count: Int,
        consumer: String? = nil, minIdle: Duration? = nil
    ) async throws(RedisError) -> [RedisPendingEntry] {
        var command = RESPCommand("XPENDING", key, group)
        if let minIdle { command.append("IDLE"); command.append(minIdle.milliseconds) }
        command.append(start)
        command.append(end)
        command.append(count)
        if let consumer { command.append(consumer) }
        let reply = try await execute(command)
        guard let items = reply.elements else { throw RedisPendingEntry.mismatch(reply) }
        var result: [RedisPendingEntry] = []
        result.reserveCapacity(items.count)
        for item in items {
            guard let p = item.elements, p.count == 4 else { throw RedisPendingEntry.mismatch(reply) }
            result.append(
                RedisPendingEntry(
                    id: try String(fromRESP: p[0]), consumer: try String(fromRESP: p[1]),
                    idle: .milliseconds(try Int(fromRESP: p[2])), deliveries: try Int(fromRESP: p[3])))
        }
        return result
    }

    /// `XAUTOCLAIM key group consumer min-idle start [COUNT count]`: gives `consumer` up to
    /// `count` entries that other consumers of `group` left unacknowledged for at least
    /// `minIdle` (crashed workers), scanning the pending list from `start`.
    nonisolated(nonsending) public func xautoclaim(
        _ key: String, group: String, consumer: String, minIdle: Duration, start: String = "0-0", count: Int? = nil
    ) async throws(RedisError) -> RedisAutoClaim {
        var command = RESPCommand("XAUTOCLAIM", key, group, consumer, minIdle.milliseconds, start)
        if let count { command.append("COUNT"); command.append(count) }
        let reply = try await execute(command)
        guard let parts = reply.elements, parts.count >= 2 else { throw RedisAutoClaim.mismatch(reply) }
        // Entries deleted from the stream come back as null entries before Redis 7.
        let entries = try Self.entries(parts[1])
        return RedisAutoClaim(
            next: try String(fromRESP: parts[0]), entries: entries.filter { $0.fields != nil },
            deleted: try (parts.count > 2 ? [String](fromRESP: parts[2]) : []) + entries.filter { $0.fields == nil }.map(\.id))
    }
}

extension RedisPendingSummary {
    static func mismatch(_ value: RESPValue) -> RedisError {
        RedisError(.protocolViolation, "Cannot read the reply \(value.shapeDescription) of XPENDING as [count, smallest, largest, consumers]")
    }
}

extension RedisPendingEntry {
    static func mismatch(_ value: RESPValue) -> RedisError {
        RedisError(.protocolViolation, "Cannot read the reply \(value.shapeDescription) of XPENDING as [[id, consumer, idle, deliveries] …]")
    }
}

extension RedisAutoClaim {
    static func mismatch(_ value: RESPValue) -> RedisError {
        RedisError(.protocolViolation, "Cannot read the reply \(value.shapeDescription) of XAUTOCLAIM as [next, entries, deleted]")
    }
}
