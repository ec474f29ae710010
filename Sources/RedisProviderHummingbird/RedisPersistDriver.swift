import Hummingbird
import NIOCore
import RedisProvider

/// Hummingbird's key/value persistence (`PersistDriver`) on Redis or Valkey, standalone or
/// cluster: sessions from `hummingbird-auth` and anything else built on `PersistDriver` keep
/// their data where every instance of the application sees it, and across restarts.
///
/// It behaves as Hummingbird's `MemoryPersistDriver` does: `create` throws
/// `PersistError.duplicate` when the key exists, `set` without `expires` keeps the key's
/// current expiry, `get` returns `nil` once a value expired and throws
/// `PersistError.invalidConversion` when the stored value is not of the asked type. Each value
/// is one key (`keyPrefix` + key), so in a cluster the keys spread over every slot and no
/// operation spans two of them.
///
/// The driver does not own the connections: run the provider beside it.
///
/// ```swift
/// let redis = try RedisProvider(settings: settings)
/// let persist = RedisPersistDriver(redis: redis, keyPrefix: "my-app:")
/// let app = Application(router: router, services: [redis, persist])
/// ```
public struct RedisPersistDriver: PersistDriver {
    /// Where the values are kept.
    public let redis: any RedisClientProtocol
    /// Put before every key (`""` for none), to share a database with other data.
    public let keyPrefix: String
    /// How values become bytes (JSON by default).
    public let coder: any CacheValueCoder

    /// A driver keeping its values in `redis` under `keyPrefix`.
    public init(redis: any RedisClientProtocol, keyPrefix: String = "", coder: any CacheValueCoder = JSONCacheValueCoder()) {
        self.redis = redis
        self.keyPrefix = keyPrefix
        self.coder = coder
    }

    /// Stores `value` under `key` unless the key exists (`SET NX`); throws
    /// `PersistError.duplicate` when it does.
    public func create<Object: Codable & Sendable>(key: String, value: Object, expires: Duration?) async throws {
        let created = try await redis.set(
            keyPrefix + key, try coder.encode(value), condition: .ifNotExists, expiration: expires.map(Self.expiration))
        guard created else { throw PersistError.duplicate }
    }

    /// Stores `value` under `key`; without `expires` a key's current expiry is kept (`KEEPTTL`).
    public func set<Object: Codable & Sendable>(key: String, value: Object, expires: Duration?) async throws {
        try await redis.set(keyPrefix + key, try coder.encode(value), expiration: expires.map(Self.expiration) ?? .keepCurrent)
    }

    /// The value under `key` as `Object`, or `nil` when there is none (or it expired).
    public func get<Object: Codable & Sendable>(key: String, as: Object.Type) async throws -> Object? {
        guard let bytes = try await redis.get(keyPrefix + key) else { return nil }
        return try decode(Object.self, from: bytes)
    }

    /// The value under `key` and its remaining time to live (`nil` when it has none), read
    /// together in one round trip.
    public func getWithTTL<Object: Codable & Sendable>(key: String, as: Object.Type) async throws -> (object: Object, ttl: Duration?)? {
        let replies = await redis.pipeline([RESPCommand("GET", keyPrefix + key), RESPCommand("PTTL", keyPrefix + key)])
        guard let bytes = try Optional<ByteBuffer>(fromRESP: replies[0].get()) else { return nil }
        let milliseconds = try Int(fromRESP: replies[1].get())
        return (try decode(Object.self, from: bytes), milliseconds >= 0 ? .milliseconds(milliseconds) : nil)
    }

    /// Deletes `key` (nothing happens when it does not exist).
    public func remove(key: String) async throws {
        _ = try await redis.del([keyPrefix + key])
    }

    private func decode<Object: Decodable>(_ type: Object.Type, from bytes: ByteBuffer) throws -> Object {
        do {
            return try coder.decode(Object.self, from: bytes)
        } catch {
            throw PersistError.invalidConversion
        }
    }

    /// Redis refuses a zero or negative expiry; such a value expires at once, as in memory.
    private static func expiration(_ duration: Duration) -> RedisExpiration {
        .after(max(duration, .milliseconds(1)))
    }
}
