import NIOCore
import RESP

/// Which end of a list.
public enum RedisListEnd: String, Sendable {
    case left = "LEFT"
    case right = "RIGHT"
}

/// The blocking list and sorted-set commands. Each runs on a dedicated connection (from the
/// node's pool, never the shared one, which it would stall), on the node that owns its
/// keys; in a cluster all its keys must share one hash slot. `timeout` is how long the
/// server waits for data (`nil`: for ever); the reply is `nil` when it passes. A failover
/// during the wait is ridden out with the time that is left, except when the command may
/// already have popped a value: then it fails with `.outcomeUnknown`.
extension RedisCommandExecutor {
    /// `BLPOP key… timeout`: the key and the value popped from its head.
    nonisolated(nonsending) public func blpop(
        _ keys: [String], timeout: Duration?
    ) async throws(RedisError) -> (key: String, value: ByteBuffer)? {
        try Self.keyAndValue(try await execute(RESPCommand("BLPOP", keys, blockingSeconds(timeout))))
    }

    /// `BRPOP key… timeout`: the key and the value popped from its tail.
    nonisolated(nonsending) public func brpop(
        _ keys: [String], timeout: Duration?
    ) async throws(RedisError) -> (key: String, value: ByteBuffer)? {
        try Self.keyAndValue(try await execute(RESPCommand("BRPOP", keys, blockingSeconds(timeout))))
    }

    /// `BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout`: the element moved.
    nonisolated(nonsending) public func blmove(
        from source: String, to destination: String, sourceEnd: RedisListEnd = .left, destinationEnd: RedisListEnd = .right,
        timeout: Duration?
    ) async throws(RedisError) -> ByteBuffer? {
        try await execute(
            RESPCommand("BLMOVE", source, destination, sourceEnd.rawValue, destinationEnd.rawValue, blockingSeconds(timeout)),
            as: ByteBuffer?.self)
    }

    /// `BLMPOP timeout numkeys key… LEFT|RIGHT [COUNT count]`: the first non-empty list's
    /// key and up to `count` elements popped from it.
    nonisolated(nonsending) public func blmpop(
        _ keys: [String], from end: RedisListEnd = .left, count: Int? = nil, timeout: Duration?
    ) async throws(RedisError) -> (key: String, values: [ByteBuffer])? {
        var command = RESPCommand("BLMPOP", blockingSeconds(timeout), keys.count, keys, end.rawValue)
        if let count { command.append("COUNT"); command.append(count) }
        let reply = try await execute(command)
        guard let parts = reply.elements, parts.count == 2 else { return try Self.nullOrMismatch(reply) }
        return (try String(fromRESP: parts[0]), try [ByteBuffer](fromRESP: parts[1]))
    }

    /// `BZPOPMIN key… timeout`: the key, member and score of the lowest-scored member.
    nonisolated(nonsending) public func bzpopmin(
        _ keys: [String], timeout: Duration?
    ) async throws(RedisError) -> (key: String, member: ByteBuffer, score: Double)? {
        try Self.keyMemberScore(try await execute(RESPCommand("BZPOPMIN", keys, blockingSeconds(timeout))))
    }

    /// `BZPOPMAX key… timeout`: the key, member and score of the highest-scored member.
    nonisolated(nonsending) public func bzpopmax(
        _ keys: [String], timeout: Duration?
    ) async throws(RedisError) -> (key: String, member: ByteBuffer, score: Double)? {
        try Self.keyMemberScore(try await execute(RESPCommand("BZPOPMAX", keys, blockingSeconds(timeout))))
    }

    private static func keyAndValue(_ reply: RESPValue) throws(RedisError) -> (key: String, value: ByteBuffer)? {
        guard let pair = reply.elements, pair.count == 2 else { return try nullOrMismatch(reply) }
        return (try String(fromRESP: pair[0]), try ByteBuffer(fromRESP: pair[1]))
    }

    private static func keyMemberScore(_ reply: RESPValue) throws(RedisError) -> (key: String, member: ByteBuffer, score: Double)? {
        guard let triple = reply.elements, triple.count == 3 else { return try nullOrMismatch(reply) }
        return (try String(fromRESP: triple[0]), try ByteBuffer(fromRESP: triple[1]), try Double(fromRESP: triple[2]))
    }

    /// `nil` for a null reply (the timeout passed), else a shape error.
    static func nullOrMismatch<T>(_ reply: RESPValue) throws(RedisError) -> T? {
        if case .null = reply { return nil }
        throw RedisError(.protocolViolation, "Cannot read the reply \(reply.shapeDescription) of a blocking command")
    }
}

/// A blocking command's timeout in seconds as the server reads it: 0 waits for ever, so a
/// positive timeout is sent as at least a millisecond.
func blockingSeconds(_ timeout: Duration?) -> String {
    guard let timeout else { return "0" }
    return String(Double(max(timeout.milliseconds, 1)) / 1000)
}

/// The same in milliseconds (XREAD and XREADGROUP's `BLOCK`).
func blockingMilliseconds(_ timeout: Duration?) -> Int64 {
    guard let timeout else { return 0 }
    return max(timeout.milliseconds, 1)
}
