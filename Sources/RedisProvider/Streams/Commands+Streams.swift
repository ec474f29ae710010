import NIOCore
import RESP

/// One entry of a stream: its id and its field-value pairs in the order they were added.
public struct RedisStreamEntry: Sendable {
    /// The entry's id, `milliseconds-sequence`.
    public var id: String
    /// The fields and values; `nil` for an entry of a consumer group's pending list that was
    /// deleted from the stream meanwhile.
    public var fields: [(field: String, value: ByteBuffer)]?

    /// The value of `field`, if the entry has it.
    public subscript(field: String) -> ByteBuffer? {
        fields?.first { $0.field == field }?.value
    }
}

/// The entries read from one stream.
public struct RedisStreamRead: Sendable {
    /// The stream's key.
    public var stream: String
    /// Its entries, oldest first.
    public var entries: [RedisStreamEntry]
}

/// `XREAD` and `XREADGROUP`. With `block`, they wait for new entries on a dedicated
/// connection (from the node's pool), on the node that owns the streams' slot; all streams
/// of one call must share a hash slot in a cluster.
extension RedisCommandExecutor {
    /// `XREAD [COUNT count] [BLOCK ms] STREAMS key… id…`: entries after each id (`$` for
    /// only new ones). `block` says how long to wait for one (`.upTo(.seconds(5))`,
    /// `.forever`); `nil` returns at once. `nil` when nothing came.
    ///
    /// A wait that a failover interrupts is sent again to the promoted replica. With `$` that
    /// means "newer than the newest entry when the retry arrives", so entries added between
    /// the failure and the retry are skipped: pass the last id you saw to miss none.
    nonisolated(nonsending) public func xread(
        streams: [(key: String, id: String)], count: Int? = nil, block: RedisBlock? = nil
    ) async throws(RedisError) -> [RedisStreamRead]? {
        var command = RESPCommand("XREAD")
        if let count { command.append("COUNT"); command.append(count) }
        if let block { command.append("BLOCK"); command.append(blockingMilliseconds(block.timeout)) }
        command.append("STREAMS")
        for s in streams { command.append(s.key) }
        for s in streams { command.append(s.id) }
        return try Self.streamReads(try await execute(command))
    }

    /// `XREADGROUP GROUP group consumer [COUNT count] [BLOCK ms] [NOACK] STREAMS key… id…`:
    /// entries for `consumer` of `group`; id `>` for entries never delivered to the group,
    /// another id for this consumer's pending ones. `nil` when `block` passed with none.
    nonisolated(nonsending) public func xreadgroup(
        group: String, consumer: String, streams: [(key: String, id: String)], count: Int? = nil,
        block: RedisBlock? = nil, noAck: Bool = false
    ) async throws(RedisError) -> [RedisStreamRead]? {
        var command = RESPCommand("XREADGROUP", "GROUP", group, consumer)
        if let count { command.append("COUNT"); command.append(count) }
        if let block { command.append("BLOCK"); command.append(blockingMilliseconds(block.timeout)) }
        if noAck { command.append("NOACK") }
        command.append("STREAMS")
        for s in streams { command.append(s.key) }
        for s in streams { command.append(s.id) }
        return try Self.streamReads(try await execute(command))
    }

    /// An XREAD reply: RESP2 `[[key, entries] …]`, RESP3 `{key: entries}`, null for none.
    static func streamReads(_ reply: RESPValue) throws(RedisError) -> [RedisStreamRead]? {
        var reads: [RedisStreamRead] = []
        switch reply {
        case .null:
            return nil
        case .map(let pairs):
            for pair in pairs { reads.append(RedisStreamRead(stream: try String(fromRESP: pair.key), entries: try entries(pair.value))) }
        case .array(let items):
            for item in items {
                guard let pair = item.elements, pair.count == 2 else { return try nullOrMismatch(item) }
                reads.append(RedisStreamRead(stream: try String(fromRESP: pair[0]), entries: try entries(pair[1])))
            }
        default:
            return try nullOrMismatch(reply)
        }
        return reads
    }

    private static func malformedEntry(_ value: RESPValue) -> RedisError {
        RedisError(.protocolViolation, "Cannot read \(value.shapeDescription) as a stream entry ([id, [field, value …]])")
    }

    /// `[[id, [field, value …]] …]`; a deleted pending entry's fields are null.
    static func entries(_ value: RESPValue) throws(RedisError) -> [RedisStreamEntry] {
        guard let items = value.elements else { return try nullOrMismatch(value) ?? [] }
        var result: [RedisStreamEntry] = []
        result.reserveCapacity(items.count)
        for item in items {
            guard let parts = item.elements, parts.count == 2 else { throw malformedEntry(item) }
            let id = try String(fromRESP: parts[0])
            guard let flat = parts[1].elements else {
                guard case .null = parts[1] else { throw malformedEntry(parts[1]) }
                result.append(RedisStreamEntry(id: id, fields: nil))
                continue
            }
            var fields: [(field: String, value: ByteBuffer)] = []
            fields.reserveCapacity(flat.count / 2)
            var i = 0
            while i + 1 < flat.count {
                fields.append((try String(fromRESP: flat[i]), try ByteBuffer(fromRESP: flat[i + 1])))
                i += 2
            }
            result.append(RedisStreamEntry(id: id, fields: fields))
        }
        return result
    }
}

/// How long XREAD and XREADGROUP wait for entries.
public struct RedisBlock: Sendable, Hashable {
    /// The longest wait; `nil` waits for ever.
    public var timeout: Duration?

    /// Waits up to `timeout` (at least a millisecond).
    public static func upTo(_ timeout: Duration) -> RedisBlock { RedisBlock(timeout: timeout) }
    /// Waits until an entry arrives.
    public static let forever = RedisBlock(timeout: nil)
}
