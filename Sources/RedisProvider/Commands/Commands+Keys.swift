import NIOCore
import RESP

extension RedisCommandExecutor {
    /// `DEL key…`: how many keys were removed.
    @discardableResult
    nonisolated(nonsending) public func del(_ keys: String...) async throws(RedisError) -> Int {
        try await del(keys)
    }

    /// `DEL key…`: how many keys were removed.
    @discardableResult
    nonisolated(nonsending) public func del(_ keys: [some RESPArgumentEncodable]) async throws(RedisError) -> Int {
        try await execute(RESPCommand("DEL", keys), as: Int.self)
    }

    /// `UNLINK key…`: like DEL, reclaiming memory in the background.
    @discardableResult
    nonisolated(nonsending) public func unlink(_ keys: [some RESPArgumentEncodable]) async throws(RedisError) -> Int {
        try await execute(RESPCommand("UNLINK", keys), as: Int.self)
    }

    /// `EXISTS key…`: how many of the keys exist.
    nonisolated(nonsending) public func exists(_ keys: String...) async throws(RedisError) -> Int {
        try await exists(keys)
    }

    /// `EXISTS key…`: how many of the keys exist.
    nonisolated(nonsending) public func exists(_ keys: [some RESPArgumentEncodable]) async throws(RedisError) -> Int {
        try await execute(RESPCommand("EXISTS", keys), as: Int.self)
    }

    /// `TOUCH key…`.
    @discardableResult
    nonisolated(nonsending) public func touch(_ keys: [some RESPArgumentEncodable]) async throws(RedisError) -> Int {
        try await execute(RESPCommand("TOUCH", keys), as: Int.self)
    }

    /// `PEXPIRE key ms`: `false` when the key does not exist.
    @discardableResult
    nonisolated(nonsending) public func expire(_ key: some RESPArgumentEncodable, after duration: Duration) async throws(RedisError) -> Bool {
        try await execute(RESPCommand("PEXPIRE", key, Int(duration.nanoseconds / 1_000_000)), as: Bool.self)
    }

    /// `EXPIREAT key unix-seconds`.
    @discardableResult
    nonisolated(nonsending) public func expire(_ key: some RESPArgumentEncodable, atUnixTime seconds: Int) async throws(RedisError) -> Bool {
        try await execute(RESPCommand("EXPIREAT", key, seconds), as: Bool.self)
    }

    /// `PTTL key`: the remaining time to live; `nil` when the key has none or does not exist.
    nonisolated(nonsending) public func ttl(_ key: some RESPArgumentEncodable) async throws(RedisError) -> Duration? {
        let ms = try await execute(RESPCommand("PTTL", key), as: Int.self)
        return ms < 0 ? nil : .milliseconds(ms)
    }

    /// `PERSIST key`: removes the time to live.
    @discardableResult
    nonisolated(nonsending) public func persist(_ key: some RESPArgumentEncodable) async throws(RedisError) -> Bool {
        try await execute(RESPCommand("PERSIST", key), as: Bool.self)
    }

    /// `TYPE key`: `string`, `list`, `set`, `zset`, `hash`, `stream`, or `none`.
    nonisolated(nonsending) public func type(_ key: some RESPArgumentEncodable) async throws(RedisError) -> String {
        try await execute(RESPCommand("TYPE", key), as: String.self)
    }

    /// `RENAME key newkey`.
    nonisolated(nonsending) public func rename(_ key: some RESPArgumentEncodable, to newKey: some RESPArgumentEncodable) async throws(RedisError) {
        _ = try await execute(RESPCommand("RENAME", key, newKey))
    }

    /// `COPY source destination [REPLACE]`.
    @discardableResult
    nonisolated(nonsending) public func copy(
        _ source: some RESPArgumentEncodable, to destination: some RESPArgumentEncodable, replace: Bool = false
    ) async throws(RedisError) -> Bool {
        try await execute(RESPCommand("COPY", source, destination, replace ? "REPLACE" : nil), as: Bool.self)
    }
}
