import NIOCore
import Synchronization

/// A `CacheProvider` in this process's memory: least recently used entries are evicted to
/// stay within `maxEntries` and `maxBytes` (bytes of keys and values), entries expire after
/// their time to live, and expired entries are never returned.
///
/// Safe to use from any number of tasks: the storage (`CacheLRU`) sits behind one lock that
/// is held only for the lookup or update itself, never across an `await`.
///
/// The default when no Redis is configured, so an application runs on a laptop with nothing
/// installed. Values are stored as the coder's bytes, exactly as Redis would store them, so
/// both providers behave alike (a value read back is a copy, never the instance stored).
public struct MemoryCacheProvider: CacheProvider, SingleFlightCacheProvider {
    final class Storage: Sendable {
        let lru: Mutex<CacheLRU>
        let now: @Sendable () -> ContinuousClock.Instant

        init(maxEntries: Int, maxBytes: Int, now: @escaping @Sendable () -> ContinuousClock.Instant) {
            self.lru = Mutex(CacheLRU(maxEntries: maxEntries, maxBytes: maxBytes))
            self.now = now
        }
    }

    public let prefix: String
    public let coder: any CacheValueCoder
    let storage: Storage
    let flights: CacheSingleFlight

    /// A memory cache holding at most `maxEntries` entries and `maxBytes` bytes of keys and
    /// values (default 100,000 entries, 64 MiB). A value larger than `maxBytes` is not stored.
    public init(
        maxEntries: Int = 100_000, maxBytes: Int = 64 * 1024 * 1024, prefix: String = "",
        coder: any CacheValueCoder = JSONCacheValueCoder()
    ) {
        self.init(maxEntries: maxEntries, maxBytes: maxBytes, prefix: prefix, coder: coder, now: { .now })
    }

    /// With a clock of the caller's choice (tests).
    init(
        maxEntries: Int, maxBytes: Int, prefix: String, coder: any CacheValueCoder,
        now: @escaping @Sendable () -> ContinuousClock.Instant
    ) {
        self.storage = Storage(maxEntries: maxEntries, maxBytes: maxBytes, now: now)
        self.flights = CacheSingleFlight()
        self.prefix = prefix
        self.coder = coder
    }

    private init(sharing other: MemoryCacheProvider, prefix: String) {
        self.storage = other.storage
        self.flights = other.flights
        self.coder = other.coder
        self.prefix = prefix
    }

    public func prefixed(_ prefix: String) -> MemoryCacheProvider {
        MemoryCacheProvider(sharing: self, prefix: self.prefix + prefix)
    }

    /// Entries held and the bytes of their keys and values (expired entries not yet dropped
    /// included), across every prefix sharing this storage.
    public var usage: (entries: Int, bytes: Int) {
        storage.lru.withLock { ($0.count, $0.totalBytes) }
    }

    public func getBytes(_ key: String) async throws -> ByteBuffer? {
        let now = storage.now()
        let fullKey = prefix + key
        return storage.lru.withLock { $0.value(for: fullKey, now: now) }
    }

    public func getBytes(_ keys: [String]) async throws -> [String: ByteBuffer] {
        let now = storage.now()
        let prefix = self.prefix
        return storage.lru.withLock { lru in
            var found: [String: ByteBuffer] = [:]
            for key in keys {
                if let value = lru.value(for: prefix + key, now: now) { found[key] = value }
            }
            return found
        }
    }

    public func setBytes(_ key: String, _ value: ByteBuffer, ttl: Duration?) async throws {
        let ms = try CacheTTL.milliseconds(ttl, key: key)
        let now = storage.now()
        let expiresAt = ms.map { now.advanced(by: .milliseconds($0)) }
        let fullKey = prefix + key
        storage.lru.withLock { _ = $0.insert(value, for: fullKey, expiresAt: expiresAt, now: now) }
    }

    public func setBytes(_ entries: [String: ByteBuffer], ttl: Duration?) async throws {
        let ms = try CacheTTL.milliseconds(ttl, key: nil)
        let now = storage.now()
        let expiresAt = ms.map { now.advanced(by: .milliseconds($0)) }
        let prefix = self.prefix
        storage.lru.withLock { lru in
            for (key, value) in entries { lru.insert(value, for: prefix + key, expiresAt: expiresAt, now: now) }
        }
    }

    @discardableResult
    public func delete(_ key: String) async throws -> Bool {
        let now = storage.now()
        let fullKey = prefix + key
        return storage.lru.withLock { $0.removeValue(for: fullKey, now: now) }
    }

    @discardableResult
    public func delete(_ keys: [String]) async throws -> Int {
        let now = storage.now()
        let prefix = self.prefix
        return storage.lru.withLock { lru in
            var removed = 0
            for key in keys where lru.removeValue(for: prefix + key, now: now) { removed += 1 }
            return removed
        }
    }

    @discardableResult
    public func clear(prefix: String) async throws -> Int {
        let now = storage.now()
        let fullPrefix = self.prefix + prefix
        return storage.lru.withLock { $0.removeAll(withPrefix: fullPrefix, now: now) }
    }

    public func getOrSetBytes(
        _ key: String, ttl: Duration?, compute: @escaping @Sendable () async throws -> ByteBuffer
    ) async throws -> ByteBuffer {
        try await singleFlightGetOrSet(key, flights: flights, ttl: ttl, compute: compute)
    }
}
