import RedisProvider
import Vapor

/// Vapor sessions on a ``RedisProvider``, each with a time to live that every response
/// carrying the session renews — an idle session expires, an active one does not. (Vapor's
/// memory driver and other Redis drivers keep sessions forever.)
///
/// ```swift
/// app.sessions.use(.redisProvider(ttl: .seconds(30 * 60)))
/// app.middleware.use(app.sessions.middleware)
/// ```
///
/// Each session is one key (`keyPrefix` + the session id, 32 random bytes), JSON, so in a
/// cluster sessions spread over every slot and need no hash tags.
public struct RedisProviderSessions: AsyncSessionDriver {
    /// Where the sessions are kept.
    public let redis: RedisProvider
    /// How long a session lives after it was last written.
    public let ttl: Duration
    /// Put before every session id.
    public let keyPrefix: String

    /// Sessions in `redis` under `keyPrefix`, living `ttl` after their last write.
    public init(redis: RedisProvider, ttl: Duration = .seconds(7 * 24 * 3600), keyPrefix: String = "vapor:session:") {
        self.redis = redis
        self.ttl = max(ttl, .milliseconds(1))
        self.keyPrefix = keyPrefix
    }

    public func createSession(_ data: SessionData, for request: Request) async throws -> SessionID {
        let bytes = try Self.coder.encode(data)
        while true {  // a fresh id taken already is a 2^-256 event; try another
            let id = SessionID(string: [UInt8].random(count: 32).base64String())
            if try await redis.set(key(id), bytes, condition: .ifNotExists, expiration: .after(ttl)) { return id }
        }
    }

    public func readSession(_ sessionID: SessionID, for request: Request) async throws -> SessionData? {
        guard let bytes = try await redis.get(key(sessionID)) else { return nil }
        do {
            return try Self.coder.decode(SessionData.self, from: bytes)
        } catch {
            request.logger.warning("session \(keyPrefix)… is not a Vapor session (\(error)); starting a new one")
            return nil
        }
    }

    public func updateSession(_ sessionID: SessionID, to data: SessionData, for request: Request) async throws -> SessionID {
        try await redis.set(key(sessionID), try Self.coder.encode(data), expiration: .after(ttl))
        return sessionID
    }

    public func deleteSession(_ sessionID: SessionID, for request: Request) async throws {
        _ = try await redis.del([key(sessionID)])
    }

    private func key(_ id: SessionID) -> String { keyPrefix + id.string }

    /// JSON, as the cache and Hummingbird's persist driver store their values.
    private static let coder = JSONCacheValueCoder()
}

extension Application.Sessions.Provider {
    /// `app.sessions.use(.redisProvider)`: sessions on ``Vapor/Application/redisProvider``
    /// living a week after their last write (as Vapor's default cookie does).
    public static var redisProvider: Self { redisProvider() }

    /// Sessions on ``Vapor/Application/redisProvider`` living `ttl` after their last write,
    /// under `keyPrefix`. The boot fails when no provider is configured.
    public static func redisProvider(ttl: Duration = .seconds(7 * 24 * 3600), keyPrefix: String = "vapor:session:") -> Self {
        .init { app in
            app.requireRedisProvider(for: "app.sessions.use(.redisProvider)")
            app.sessions.use { app in RedisProviderSessions(redis: app.redisProvider, ttl: ttl, keyPrefix: keyPrefix) }
        }
    }
}
