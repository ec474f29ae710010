import NIOCore
import RESP

extension RedisCommandExecutor {
    /// `ZADD key score member …`: how many members were added.
    @discardableResult
    nonisolated(nonsending) public func zadd(_ key: some RESPArgumentEncodable, _ members: [(score: Double, member: String)]) async throws(RedisError) -> Int {
        var command = RESPCommand("ZADD", key)
        for (score, member) in members {
            command.append(score)
            command.append(member)
        }
        return try await execute(command, as: Int.self)
    }

    /// `ZSCORE key member`.
    nonisolated(nonsending) public func zscore(_ key: some RESPArgumentEncodable, _ member: some RESPArgumentEncodable) async throws(RedisError) -> Double? {
        try await execute(RESPCommand("ZSCORE", key, member), as: Double?.self)
    }

    /// `ZINCRBY key delta member`: the new score.
    @discardableResult
    nonisolated(nonsending) public func zincrby(_ key: some RESPArgumentEncodable, _ delta: Double, _ member: some RESPArgumentEncodable) async throws(RedisError) -> Double {
        try await execute(RESPCommand("ZINCRBY", key, delta, member), as: Double.self)
    }

    /// `ZREM key member…`.
    @discardableResult
    nonisolated(nonsending) public func zrem(_ key: some RESPArgumentEncodable, _ members: [some RESPArgumentEncodable]) async throws(RedisError) -> Int {
        try await execute(RESPCommand("ZREM", key, members), as: Int.self)
    }

    /// `ZCARD key`.
    nonisolated(nonsending) public func zcard(_ key: some RESPArgumentEncodable) async throws(RedisError) -> Int {
        try await execute(RESPCommand("ZCARD", key), as: Int.self)
    }

    /// `ZRANK key member`.
    nonisolated(nonsending) public func zrank(_ key: some RESPArgumentEncodable, _ member: some RESPArgumentEncodable) async throws(RedisError) -> Int? {
        try await execute(RESPCommand("ZRANK", key, member), as: Int?.self)
    }

    /// `ZCOUNT key min max` (scores, inclusive).
    nonisolated(nonsending) public func zcount(_ key: some RESPArgumentEncodable, min: Double, max: Double) async throws(RedisError) -> Int {
        try await execute(RESPCommand("ZCOUNT", key, min, max), as: Int.self)
    }

    /// `ZRANGE key start stop`: members by rank.
    nonisolated(nonsending) public func zrange(_ key: some RESPArgumentEncodable, _ start: Int, _ stop: Int) async throws(RedisError) -> [ByteBuffer] {
        try await execute(RESPCommand("ZRANGE", key, start, stop), as: [ByteBuffer].self)
    }

    /// `ZRANGE key start stop WITHSCORES`: members with scores, RESP2 and RESP3 alike.
    nonisolated(nonsending) public func zrangeWithScores(_ key: some RESPArgumentEncodable, _ start: Int, _ stop: Int)
        async throws(RedisError) -> [(member: ByteBuffer, score: Double)]
    {
        Self.scored(try await execute(RESPCommand("ZRANGE", key, start, stop, "WITHSCORES")))
    }

    /// `ZRANGE key min max BYSCORE [LIMIT offset count]`.
    nonisolated(nonsending) public func zrangeByScore(
        _ key: some RESPArgumentEncodable, min: Double, max: Double, limit: (offset: Int, count: Int)? = nil
    ) async throws(RedisError) -> [ByteBuffer] {
        var command = RESPCommand("ZRANGE", key, min, max, "BYSCORE")
        if let limit {
            command.append("LIMIT"); command.append(limit.offset); command.append(limit.count)
        }
        return try await execute(command, as: [ByteBuffer].self)
    }

    /// RESP3 sends `[[member, score], …]`, RESP2 `[member, score, …]`.
    static func scored(_ reply: RESPValue) -> [(member: ByteBuffer, score: Double)] {
        guard let elements = reply.elements else { return [] }
        var result: [(member: ByteBuffer, score: Double)] = []
        if case .array(let first)? = elements.first, first.count == 2 {
            for case .array(let pair) in elements {
                if let m = pair[0].byteBuffer, let s = try? Double(fromRESP: pair[1]) { result.append((m, s)) }
            }
        } else {
            var i = 0
            while i + 1 < elements.count {
                if let m = elements[i].byteBuffer, let s = try? Double(fromRESP: elements[i + 1]) { result.append((m, s)) }
                i += 2
            }
        }
        return result
    }
}
