extension RedisProvider {
    /// A provider as the settings describe it: their URL, mode, connection options and
    /// cluster options.
    ///
    /// ```swift
    /// let settings = try await RedisProviderSettings.load()   // REDIS_URL, /etc/redis-provider …
    /// let redis = try RedisProvider(settings: settings)
    /// ```
    public convenience init(settings: RedisProviderSettings, observability: RedisObservability = .init()) throws(RedisError) {
        guard let url = settings.url, let mode = settings.mode else {
            throw RedisError(
                .invalidConfiguration,
                "No Redis URL is configured: set \(RedisProviderSettings.Key.url.environmentVariable), \(RedisProviderSettings.Key.url.commandLineOption), or the file \(RedisProviderSettings.Key.url.fileName) in the configuration folder")
        }
        try self.init(
            url: url, mode: mode, configuration: settings.clientConfiguration(), clusterOptions: settings.clusterOptions(),
            observability: observability)
    }
}

extension RedisProviderSettings {
    /// The cache the settings choose: `memory` (the default, nothing to install) or `redis`
    /// through `redis`, under `prefix`.
    ///
    /// ```swift
    /// let redis = settings.cacheProvider == .redis ? try RedisProvider(settings: settings) : nil
    /// let cache = try settings.makeCache(redis: redis, prefix: "my-app:")
    /// ```
    public func makeCache(redis: RedisProvider?, prefix: String = "") throws(RedisError) -> any CacheProvider {
        switch cacheProvider {
        case .memory:
            return MemoryCacheProvider(prefix: prefix)
        case .redis:
            return RedisCacheProvider(redis: try required(redis), prefix: prefix)
        }
    }

    /// `redis`, which `cache-provider: redis` needs; a `.invalidConfiguration` error naming the
    /// setting and where it came from when it is `nil`. For integrations choosing their store
    /// by `cacheProvider` as ``makeCache(redis:prefix:)`` does.
    public func required(_ redis: RedisProvider?) throws(RedisError) -> RedisProvider {
        guard let redis else {
            throw RedisError(
                .invalidConfiguration,
                "\(Key.cacheProvider) is redis (from \(source(of: .cacheProvider))) but no RedisProvider was given; make one with RedisProvider(settings:)")
        }
        return redis
    }
}

extension RedisProvider {
    /// Sends a `PING` (to some primary in a cluster) and throws what it failed with — a wrong
    /// password, a refused connection, a TLS mismatch — adding, when `settings` are given,
    /// which setting holds the URL and where it came from. For an application's boot, so that
    /// bad configuration stops the start rather than the first request:
    ///
    /// ```swift
    /// let redis = try RedisProvider(settings: settings)
    /// try await redis.verifyConnection(settings: settings)
    /// ```
    public func verifyConnection(settings: RedisProviderSettings? = nil) async throws(RedisError) {
        do {
            _ = try await ping()
        } catch {
            guard let settings else { throw error }
            var named = error
            named.message += "; check \(RedisProviderSettings.Key.url) (from \(settings.source(of: .url)))"
            throw named
        }
    }
}
