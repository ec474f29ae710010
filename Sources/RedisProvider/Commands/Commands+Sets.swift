import NIOCore
import RESP

extension RedisCommandExecutor {
    /// `SADD key member…`: how many were added.
    @discardableResult
    nonisolated(nonsending) public func sadd(_ key: some RESPArgumentEncodable, _ members: [some RESPArgumentEncodable]) async throws(RedisError) -> Int {
        try await execute(RESPCommand("SADD", key, members), as: Int.self)
    }

    /// `SREM key member…`.
    @discardableResult
    nonisolated(nonsending) public func srem(_ key: some RESPArgumentEncodable, _ members: [some RESPArgumentEncodable]) async throws(RedisError) -> Int {
        try await execute(RESPCommand("SREM", key, members), as: Int.self)
    }

    /// `SMEMBERS key`.
    nonisolated(nonsending) public func smembers(_ key: some RESPArgumentEncodable) async throws(RedisError) -> [ByteBuffer] {
        try await execute(RESPCommand("SMEMBERS", key), as: [ByteBuffer].self)
    }

    /// `SISMEMBER key member`.
    nonisolated(nonsending) public func sismember(_ key: some RESPArgumentEncodable, _ member: some RESPArgumentEncodable) async throws(RedisError) -> Bool {
        try await execute(RESPCommand("SISMEMBER", key, member), as: Bool.self)
    }

    /// `SCARD key`.
    nonisolated(nonsending) public func scard(_ key: some RESPArgumentEncodable) async throws(RedisError) -> Int {
        try await execute(RESPCommand("SCARD", key), as: Int.self)
    }

    /// `SPOP key`.
    nonisolated(nonsending) public func spop(_ key: some RESPArgumentEncodable) async throws(RedisError) -> ByteBuffer? {
        try await execute(RESPCommand("SPOP", key), as: ByteBuffer?.self)
    }

    /// `SINTER key…`.
    nonisolated(nonsending) public func sinter(_ keys: [some RESPArgumentEncodable]) async throws(RedisError) -> [ByteBuffer] {
        try await execute(RESPCommand("SINTER", keys), as: [ByteBuffer].self)
    }

    /// `SUNION key…`.
    nonisolated(nonsending) public func sunion(_ keys: [some RESPArgumentEncodable]) async throws(RedisError) -> [ByteBuffer] {
        try await execute(RESPCommand("SUNION", keys), as: [ByteBuffer].self)
    }

    /// `SDIFF key…`.
    nonisolated(nonsending) public func sdiff(_ keys: [some RESPArgumentEncodable]) async throws(RedisError) -> [ByteBuffer] {
        try await execute(RESPCommand("SDIFF", keys), as: [ByteBuffer].self)
    }
}
