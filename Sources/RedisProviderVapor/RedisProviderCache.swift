import NIOCore
import RedisProvider
import Vapor

/// Vapor's `Cache` on a ``RedisProvider``: `app.cache` and `req.cache` keep their values in
/// Redis or Valkey, standalone or cluster, shared by every instance of the application.
///
/// ```swift
/// try app.useRedisProvider(settings: settings)
/// app.caches.use(.redisProvider)
/// ```
///
/// Values are JSON (the core's ``RedisCacheProvider``); `expiresIn` becomes the key's time
/// to live, and setting `nil` deletes the key.
public struct RedisProviderCache: Vapor.Cache, Sendable {
    /// The cache the values go through.
    public let cache: RedisCacheProvider
    /// Where the futures of the `EventLoopFuture` API complete.
    public let eventLoop: any EventLoop

    /// A cache on `redis` under `prefix`, completing futures on `eventLoop`.
    public init(redis: RedisProvider, prefix: String = "vapor:cache:", eventLoop: any EventLoop) {
        self.init(cache: RedisCacheProvider(redis: redis, prefix: prefix), eventLoop: eventLoop)
    }

    init(cache: RedisCacheProvider, eventLoop: any EventLoop) {
        self.cache = cache
        self.eventLoop = eventLoop
    }

    public func get<T: Decodable>(_ key: String, as type: T.Type) -> EventLoopFuture<T?> {
        // The bytes cross from the task; `T` need not be `Sendable`, so the value is made by a
        // completion handed over once, not captured by a `Sendable` closure, and completed on
        // the loop, where the callback runs.
        let promise = eventLoop.makePromise(of: T?.self)
        let complete = HandOver { [coder = cache.coder] (result: Result<ByteBuffer?, any Error>) in
            promise.assumeIsolated().completeWith(result.flatMap { bytes in Result { try bytes.map { try coder.decode(T.self, from: $0) } } })
        }
        eventLoop.makeFutureWithTask { [cache] in try await cache.getBytes(key) }.whenComplete { complete.value($0) }
        return promise.futureResult
    }

    public func set<T: Encodable>(_ key: String, to value: T?) -> EventLoopFuture<Void> {
        set(key, to: value, expiresIn: nil)
    }

    public func set<T: Encodable>(_ key: String, to value: T?, expiresIn expirationTime: CacheExpirationTime?) -> EventLoopFuture<Void> {
        let bytes: ByteBuffer?
        do {
            bytes = try value.map { try cache.coder.encode($0) }
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
        let ttl = expirationTime.map { Duration.seconds($0.seconds) }
        return eventLoop.makeFutureWithTask { [cache] in
            if let bytes {
                try await cache.setBytes(key, bytes, ttl: ttl)
            } else {
                _ = try await cache.delete(key)
            }
        }
    }

    /// The same cache, completing futures on the request's event loop.
    public func `for`(_ request: Request) -> RedisProviderCache {
        RedisProviderCache(cache: cache, eventLoop: request.eventLoop)
    }
}

extension Application.Caches.Provider {
    /// `app.caches.use(.redisProvider)`: the cache on ``Vapor/Application/redisProvider``
    /// under `vapor:cache:`. The boot fails when no provider is configured.
    public static var redisProvider: Self { redisProvider(prefix: "vapor:cache:") }

    /// The cache on ``Vapor/Application/redisProvider`` under `prefix`.
    public static func redisProvider(prefix: String) -> Self {
        .init { app in
            app.requireRedisProvider(for: "app.caches.use(.redisProvider)")
            app.caches.use { app in RedisProviderCache(redis: app.redisProvider, prefix: prefix, eventLoop: app.eventLoopGroup.any()) }
        }
    }
}

/// A value handed from the caller's thread to a future's callback, which uses it once: the
/// `Cache` protocol's generic values are not `Sendable`, though nothing shares them.
private struct HandOver<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
