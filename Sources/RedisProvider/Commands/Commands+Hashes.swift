import NIOCore
import RESP

extension RedisCommandExecutor {
    /// `HSET key field value …`: how many fields were added.
    @discardableResult
    nonisolated(nonsending) public func hset(_ key: some RESPArgumentEncodable, _ fields: [(field: String, value: any RESPArgumentEncodable)])
        async throws(RedisError) -> Int
    {
        var command = RESPCommand("HSET", key)
        for (f, v) in fields {
            command.append(f)
            command.append(v)
        }
        return try await execute(command, as: Int.self)
    }

    /// `HSET key field value`.
    @discardableResult
    nonisolated(nonsending) public func hset(_ key: some RESPArgumentEncodable, field: String, value: some RESPArgumentEncodable)
        async throws(RedisError) -> Int
    {
        try await execute(RESPCommand("HSET", key, field, value), as: Int.self)
    }

    /// `HGET key field`.
    nonisolated(nonsending) public func hget(_ key: some RESPArgumentEncodable, field: String) async throws(RedisError) -> ByteBuffer? {
        try await execute(RESPCommand("HGET", key, field), as: ByteBuffer?.self)
    }

    /// `HMGET key field…`.
    nonisolated(nonsending) public func hmget(_ key: some RESPArgumentEncodable, fields: [String]) async throws(RedisError) -> [ByteBuffer?] {
        try await execute(RESPCommand("HMGET", key, fields), as: [ByteBuffer?].self)
    }

    /// `HGETALL key` as a dictionary (RESP2 and RESP3 alike).
    nonisolated(nonsending) public func hgetall(_ key: some RESPArgumentEncodable) async throws(RedisError) -> [String: ByteBuffer] {
        try await execute(RESPCommand("HGETALL", key), as: [String: ByteBuffer].self)
    }

    /// `HDEL key field…`.
    @discardableResult
    nonisolated(nonsending) public func hdel(_ key: some RESPArgumentEncodable, fields: [String]) async throws(RedisError) -> Int {
        try await execute(RESPCommand("HDEL", key, fields), as: Int.self)
    }

    /// `HEXISTS key field`.
    nonisolated(nonsending) public func hexists(_ key: some RESPArgumentEncodable, field: String) async throws(RedisError) -> Bool {
        try await execute(RESPCommand("HEXISTS", key, field), as: Bool.self)
    }

    /// `HINCRBY key field delta`.
    @discardableResult
    nonisolated(nonsending) public func hincrby(_ key: some RESPArgumentEncodable, field: String, by delta: Int) async throws(RedisError) -> Int {
        try await execute(RESPCommand("HINCRBY", key, field, delta), as: Int.self)
    }

    /// `HLEN key`.
    nonisolated(nonsending) public func hlen(_ key: some RESPArgumentEncodable) async throws(RedisError) -> Int {
        try await execute(RESPCommand("HLEN", key), as: Int.self)
    }

    /// `HKEYS key`.
    nonisolated(nonsending) public func hkeys(_ key: some RESPArgumentEncodable) async throws(RedisError) -> [String] {
        try await execute(RESPCommand("HKEYS", key), as: [String].self)
    }

    /// `HVALS key`.
    nonisolated(nonsending) public func hvals(_ key: some RESPArgumentEncodable) async throws(RedisError) -> [ByteBuffer] {
        try await execute(RESPCommand("HVALS", key), as: [ByteBuffer].self)
    }
}
