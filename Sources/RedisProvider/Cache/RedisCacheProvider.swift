import NIOCore
import RESP

/// A `CacheProvider` on Redis or Valkey, standalone or cluster: anything that runs commands
/// (`RedisClient`, `RedisClusterClient`, a `RedisProvider`).
///
/// ```swift
/// let cache = RedisCacheProvider(redis: provider, prefix: "app:")
/// ```
///
/// - Keys are `prefix + key`. On a cluster they hash like any other key; put a `{hash tag}`
///   in your keys when several must share a slot.
/// - `setBytes` is `SET key value [PX ms]`; many keys use `MGET`, `DEL` and, without a time to
///   live, `MSET` (a cluster client splits them per slot). `MSET` cannot carry a time to live,
///   so storing many entries with one sends their `SET … PX` commands concurrently, which the
///   connection pipelines.
/// - `clear(prefix:)` scans every shard (`SCAN MATCH`, glob characters in the prefix escaped)
///   and removes what it finds with `UNLINK` in batches.
/// - Single-flight in `getOrSet` is per process: other processes sharing the Redis may
///   compute the same key at the same time (the last `SET` wins).
public struct RedisCacheProvider: CacheProvider, SingleFlightCacheProvider {
    /// Where the commands go.
    public let redis: any RedisCommandExecutor
    public let prefix: String
    public let coder: any CacheValueCoder
    let flights: CacheSingleFlight

    /// Keys per `UNLINK` in `clear(prefix:)`, and the `SCAN COUNT` hint.
    static let clearBatch = 500
    /// At most this many `SET`s in flight when storing many entries with a time to live.
    static let setManyConcurrency = 128

    /// A cache on `redis`, storing every key under `prefix`.
    public init(redis: any RedisCommandExecutor, prefix: String = "", coder: any CacheValueCoder = JSONCacheValueCoder()) {
        self.redis = redis
        self.prefix = prefix
        self.coder = coder
        self.flights = CacheSingleFlight()
    }

    private init(sharing other: RedisCacheProvider, prefix: String) {
        self.redis = other.redis
        self.coder = other.coder
        self.flights = other.flights
        self.prefix = prefix
    }

    public func prefixed(_ prefix: String) -> RedisCacheProvider {
        RedisCacheProvider(sharing: self, prefix: self.prefix + prefix)
    }

    public func getBytes(_ key: String) async throws -> ByteBuffer? {
        try await redis.execute(RESPCommand("GET", prefix + key), as: ByteBuffer?.self)
    }

    public func getBytes(_ keys: [String]) async throws -> [String: ByteBuffer] {
        guard !keys.isEmpty else { return [:] }
        let values = try await redis.mget(keys.map { prefix + $0 })
        guard values.count == keys.count else {
            throw RedisError(.protocolViolation, "MGET of \(keys.count) keys answered \(values.count) values")
        }
        var found: [String: ByteBuffer] = [:]
        for (key, value) in zip(keys, values) where value != nil { found[key] = value }
        return found
    }

    public func setBytes(_ key: String, _ value: ByteBuffer, ttl: Duration?) async throws {
        _ = try await redis.execute(try Self.setCommand(prefix + key, value, ttl: ttl, key: key))
    }

    public func setBytes(_ entries: [String: ByteBuffer], ttl: Duration?) async throws {
        guard !entries.isEmpty else { return }
        guard ttl != nil else {
            var command = RESPCommand("MSET")
            for (key, value) in entries {
                command.append(prefix + key)
                command.append(value)
            }
            _ = try await redis.execute(command)
            return
        }
        var commands: [RESPCommand] = []
        commands.reserveCapacity(entries.count)
        for (key, value) in entries { commands.append(try Self.setCommand(prefix + key, value, ttl: ttl, key: key)) }
        let redis = self.redis
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func addNext() {
                let command = commands[next]
                next += 1
                group.addTask { _ = try await redis.execute(command) }
            }
            while next < min(commands.count, Self.setManyConcurrency) { addNext() }
            while try await group.next() != nil {
                if next < commands.count { addNext() }
            }
        }
    }

    @discardableResult
    public func delete(_ key: String) async throws -> Bool {
        try await redis.execute(RESPCommand("DEL", prefix + key), as: Int.self) > 0
    }

    @discardableResult
    public func delete(_ keys: [String]) async throws -> Int {
        guard !keys.isEmpty else { return 0 }
        return try await redis.del(keys.map { prefix + $0 })
    }

    @discardableResult
    public func clear(prefix: String) async throws -> Int {
        let pattern = CacheKeyPattern.matching(prefix: self.prefix + prefix)
        var removed = 0
        var batch: [ByteBuffer] = []
        batch.reserveCapacity(Self.clearBatch)
        for try await key in redis.scanKeys(match: pattern, count: Self.clearBatch, type: nil) {
            batch.append(key)
            if batch.count == Self.clearBatch {
                removed += try await redis.unlink(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { removed += try await redis.unlink(batch) }
        return removed
    }

    public func getOrSetBytes(
        _ key: String, ttl: Duration?, compute: @escaping @Sendable () async throws -> ByteBuffer
    ) async throws -> ByteBuffer {
        try await singleFlightGetOrSet(key, flights: flights, ttl: ttl, compute: compute)
    }

    /// `SET fullKey value [PX ms]`.
    static func setCommand(_ fullKey: String, _ value: ByteBuffer, ttl: Duration?, key: String) throws(CacheError) -> RESPCommand {
        var command = RESPCommand("SET", fullKey, value)
        if let ms = try CacheTTL.milliseconds(ttl, key: key) {
            command.append("PX")
            command.append(ms)
        }
        return command
    }
}
