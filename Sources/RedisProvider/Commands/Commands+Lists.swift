import NIOCore
import RESP

extension RedisCommandExecutor {
    /// `LPUSH key value…`: the new length.
    @discardableResult
    nonisolated(nonsending) public func lpush(_ key: some RESPArgumentEncodable, _ values: [some RESPArgumentEncodable]) async throws(RedisError) -> Int {
        try await execute(RESPCommand("LPUSH", key, values), as: Int.self)
    }

    /// `RPUSH key value…`: the new length.
    @discardableResult
    nonisolated(nonsending) public func rpush(_ key: some RESPArgumentEncodable, _ values: [some RESPArgumentEncodable]) async throws(RedisError) -> Int {
        try await execute(RESPCommand("RPUSH", key, values), as: Int.self)
    }

    /// `LPOP key`.
    nonisolated(nonsending) public func lpop(_ key: some RESPArgumentEncodable) async throws(RedisError) -> ByteBuffer? {
        try await execute(RESPCommand("LPOP", key), as: ByteBuffer?.self)
    }

    /// `RPOP key`.
    nonisolated(nonsending) public func rpop(_ key: some RESPArgumentEncodable) async throws(RedisError) -> ByteBuffer? {
        try await execute(RESPCommand("RPOP", key), as: ByteBuffer?.self)
    }

    /// `LRANGE key start stop`.
    nonisolated(nonsending) public func lrange(_ key: some RESPArgumentEncodable, _ start: Int, _ stop: Int) async throws(RedisError) -> [ByteBuffer] {
        try await execute(RESPCommand("LRANGE", key, start, stop), as: [ByteBuffer].self)
    }

    /// `LLEN key`.
    nonisolated(nonsending) public func llen(_ key: some RESPArgumentEncodable) async throws(RedisError) -> Int {
        try await execute(RESPCommand("LLEN", key), as: Int.self)
    }

    /// `LINDEX key index`.
    nonisolated(nonsending) public func lindex(_ key: some RESPArgumentEncodable, _ index: Int) async throws(RedisError) -> ByteBuffer? {
        try await execute(RESPCommand("LINDEX", key, index), as: ByteBuffer?.self)
    }

    /// `LREM key count value`.
    @discardableResult
    nonisolated(nonsending) public func lrem(_ key: some RESPArgumentEncodable, count: Int, value: some RESPArgumentEncodable) async throws(RedisError) -> Int {
        try await execute(RESPCommand("LREM", key, count, value), as: Int.self)
    }

    /// `LTRIM key start stop`.
    nonisolated(nonsending) public func ltrim(_ key: some RESPArgumentEncodable, _ start: Int, _ stop: Int) async throws(RedisError) {
        _ = try await execute(RESPCommand("LTRIM", key, start, stop))
    }
}
