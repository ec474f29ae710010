import Hummingbird
import RedisProvider

extension RedisProviderSettings {
    /// The persist driver the settings choose, as ``makeCache(redis:prefix:)`` chooses the
    /// cache: Hummingbird's `MemoryPersistDriver` for `cache-provider: memory` (the default),
    /// a ``RedisPersistDriver`` on `redis` for `cache-provider: redis`.
    ///
    /// ```swift
    /// let settings = try await RedisProviderSettings.load()
    /// let redis = settings.cacheProvider == .redis ? try RedisProvider(settings: settings) : nil
    /// let persist = try settings.makePersistDriver(redis: redis, keyPrefix: "my-app:")
    /// ```
    ///
    /// Throws a `.invalidConfiguration` error naming the setting and where it came from when
    /// the settings ask for Redis and `redis` is `nil`.
    public func makePersistDriver(redis: RedisProvider?, keyPrefix: String = "") throws(RedisError) -> any PersistDriver {
        switch cacheProvider {
        case .memory:
            return MemoryPersistDriver()
        case .redis:
            return RedisPersistDriver(redis: try required(redis), keyPrefix: keyPrefix)
        }
    }
}
