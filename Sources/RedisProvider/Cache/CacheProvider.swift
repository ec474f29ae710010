import NIOCore

/// A small cache API with two implementations: `MemoryCacheProvider` (in this process) and
/// `RedisCacheProvider` (Redis or Valkey, standalone or cluster). Code written against it runs
/// unchanged on either.
///
/// ```swift
/// let cache: any CacheProvider = RedisCacheProvider(redis: provider, prefix: "app:")
/// try await cache.set("user:42", user, ttl: .seconds(60))
/// let user = try await cache.get("user:42", as: User.self)
/// let report = try await cache.getOrSet("report:today", ttl: .seconds(300)) { try await buildReport() }
/// try await cache.clear(prefix: "report:")
/// ```
///
/// - Keys: every key is stored under the provider's `prefix` (its namespace); the keys you pass
///   and get back never include it. `prefixed(_:)` gives a provider for a sub-namespace.
/// - Values: `Codable` values go through the provider's `coder` (JSON by default); the
///   `…Bytes` methods store raw bytes as they are.
/// - Time to live: `ttl: nil` stores without expiry; a zero or negative TTL throws
///   `CacheError.invalidTTL`. Expired entries are never returned.
/// - Errors: Redis failures are `RedisError`; values that cannot be decoded or encoded are
///   `CacheError` naming the key (never the value); `getOrSet` passes on what `compute` throws.
public protocol CacheProvider: Sendable {
    /// The namespace prepended to every key.
    var prefix: String { get }

    /// Encodes and decodes `Codable` values.
    var coder: any CacheValueCoder { get }

    /// The same cache with `prefix` appended to this provider's prefix: `"app:"` then
    /// `prefixed("users:")` stores under `"app:users:"`. Storage and single-flight are shared.
    func prefixed(_ prefix: String) -> Self

    /// The stored bytes, or `nil` when the key is missing or expired.
    func getBytes(_ key: String) async throws -> ByteBuffer?

    /// The stored bytes of every key found; missing and expired keys are left out.
    func getBytes(_ keys: [String]) async throws -> [String: ByteBuffer]

    /// Stores bytes, replacing any value, expiring after `ttl` (`nil`: never).
    func setBytes(_ key: String, _ value: ByteBuffer, ttl: Duration?) async throws

    /// Stores several entries, each expiring after `ttl`. Not atomic: on an error some
    /// entries may have been stored.
    func setBytes(_ entries: [String: ByteBuffer], ttl: Duration?) async throws

    /// Removes the key; `true` when it existed.
    @discardableResult
    func delete(_ key: String) async throws -> Bool

    /// Removes the keys; how many existed.
    @discardableResult
    func delete(_ keys: [String]) async throws -> Int

    /// Removes every key of this namespace that starts with `prefix` (`""`: the whole
    /// namespace) and returns how many it removed. On Redis this scans every shard, so it is
    /// meant for maintenance, not for each request.
    @discardableResult
    func clear(prefix: String) async throws -> Int

    /// The stored bytes, or else the result of `compute`, stored with `ttl` and returned.
    ///
    /// Single-flight: while `compute` runs for a key, other callers asking for that key wait
    /// for it instead of computing again. When it throws, every waiting caller gets its error
    /// and nothing is stored. Single-flight covers the callers of this provider (and the
    /// providers made from it with `prefixed(_:)`) in this process, not other processes.
    func getOrSetBytes(
        _ key: String, ttl: Duration?, compute: @escaping @Sendable () async throws -> ByteBuffer
    ) async throws -> ByteBuffer
}

extension CacheProvider {
    /// The value stored under `key` decoded as `T`, or `nil` when missing or expired.
    /// Throws `CacheError.decodingFailed` when the stored bytes are not a `T`.
    public func get<T: Decodable>(_ key: String, as type: T.Type = T.self) async throws -> T? {
        guard let bytes = try await getBytes(key) else { return nil }
        return try coder.decodeValue(T.self, from: bytes, key: key)
    }

    /// The values of every key found, decoded as `T`; missing and expired keys are left out.
    public func get<T: Decodable>(_ keys: [String], as type: T.Type = T.self) async throws -> [String: T] {
        var values: [String: T] = [:]
        for (key, bytes) in try await getBytes(keys) {
            values[key] = try coder.decodeValue(T.self, from: bytes, key: key)
        }
        return values
    }

    /// Stores `value` (encoded by `coder`), expiring after `ttl` (`nil`: never).
    public func set(_ key: String, _ value: some Encodable, ttl: Duration? = nil) async throws {
        try await setBytes(key, try coder.encodeValue(value, key: key), ttl: ttl)
    }

    /// Stores several values, each expiring after `ttl`. Not atomic.
    public func set(_ values: [String: any Encodable], ttl: Duration? = nil) async throws {
        var entries: [String: ByteBuffer] = [:]
        entries.reserveCapacity(values.count)
        for (key, value) in values { entries[key] = try coder.encodeValue(value, key: key) }
        try await setBytes(entries, ttl: ttl)
    }

    /// The value stored under `key`, or else `compute()`'s result, stored with `ttl` and
    /// returned. One computation per key at a time (see `getOrSetBytes`).
    ///
    /// ```swift
    /// let user = try await cache.getOrSet("user:\(id)", ttl: .seconds(60)) { try await db.user(id) }
    /// ```
    public func getOrSet<T: Codable & Sendable>(
        _ key: String, as type: T.Type = T.self, ttl: Duration? = nil,
        compute: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let coder = self.coder
        // A hit needs neither the flight nor the closure below (an allocation per call).
        _ = try CacheTTL.milliseconds(ttl, key: key)
        if let hit = try await getBytes(key) { return try coder.decodeValue(T.self, from: hit, key: key) }
        let bytes = try await getOrSetBytes(key, ttl: ttl) {
            try coder.encodeValue(try await compute(), key: key)
        }
        return try coder.decodeValue(T.self, from: bytes, key: key)
    }

    /// Stores bytes without expiry.
    public func setBytes(_ key: String, _ value: ByteBuffer) async throws {
        try await setBytes(key, value, ttl: nil)
    }

    /// Stores several entries without expiry.
    public func setBytes(_ entries: [String: ByteBuffer]) async throws {
        try await setBytes(entries, ttl: nil)
    }

    /// Removes every key of this namespace.
    @discardableResult
    public func clear() async throws -> Int {
        try await clear(prefix: "")
    }

    /// `getOrSetBytes` for providers with a `CacheSingleFlight`: a hit returns at once; a miss
    /// joins (or starts) the key's flight, which looks again before computing, so a caller
    /// arriving just after a flight finished reads its value instead of computing again.
    func singleFlightGetOrSet(
        _ key: String, flights: CacheSingleFlight, ttl: Duration?,
        compute: @escaping @Sendable () async throws -> ByteBuffer
    ) async throws -> ByteBuffer {
        _ = try CacheTTL.milliseconds(ttl, key: key)
        if let hit = try await getBytes(key) { return hit }
        return try await flights.run(prefix + key) {
            if let hit = try await self.getBytes(key) { return hit }
            let value = try await compute()
            try await self.setBytes(key, value, ttl: ttl)
            return value
        }
    }
}

/// A provider whose single-flight state tests can look at.
protocol SingleFlightCacheProvider: CacheProvider {
    var flights: CacheSingleFlight { get }
}
