import CacheServiceModel
import Foundation
import RedisProvider
import RedisProviderVapor
import Vapor

/// The cache service of `CacheService`, on Vapor: `GET /fib/:n` computes slowly once and then
/// answers from `req.cache`; `PUT /login/:user` starts a session and `GET /me` reads it;
/// `GET /ready` and `GET /live` are the probes.
///
/// Configuration as for `CacheService`: `REDIS_URL`, `CACHE_PROVIDER` (or their command-line
/// options, or a mounted folder); with none, Vapor's memory cache and sessions. `HOST` and
/// `PORT` set where it listens (default 127.0.0.1:8080).
@main
enum VaporCacheService {
    static func main() async throws {
        let settings = try await RedisProviderSettings.load()
        // Vapor reads its own command line; the settings' options are not for it.
        let app = try await Application.make(.init(name: "production", arguments: [CommandLine.arguments[0]]))
        do {
            try configure(app, settings: settings)
            try await app.execute()
        } catch {
            app.logger.critical("\(error)")
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }

    static func configure(_ app: Application, settings: RedisProviderSettings) throws {
        if settings.cacheProvider == .redis {
            try app.useRedisProvider(settings: settings)  // started at boot, checked with a PING
            app.caches.use(.redisProvider(prefix: "vapor-cache-service:"))
            app.sessions.use(.redisProvider(ttl: .seconds(30 * 60)))
        }
        app.middleware.use(app.sessions.middleware)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys  // the same value, the same bytes
        ContentConfiguration.global.use(encoder: encoder, for: .json)
        app.http.server.configuration.hostname = Environment.get("HOST") ?? "127.0.0.1"
        app.http.server.configuration.port = Environment.get("PORT").flatMap(Int.init) ?? 8080

        let computations = Computations()
        app.get("fib", ":n") { req -> Response in
            let n = try req.parameters.require("n", as: Int.self)
            guard (0...90).contains(n) else { throw Abort(.badRequest, reason: "n must be between 0 and 90") }
            let result: Fibonacci
            if let cached = try await req.cache.get("fib:\(n)", as: Fibonacci.self) {
                result = cached
            } else {
                result = try await computations.fibonacci(n)
                try await req.cache.set("fib:\(n)", to: result, expiresIn: .minutes(5))
            }
            let response = try await result.encodeResponse(for: req)
            response.headers.replaceOrAdd(name: "X-Computations", value: "\(computations.count)")
            return response
        }
        app.put("login", ":user") { req -> Login in
            let login = Login(user: try req.parameters.require("user"))
            req.session.data["user"] = login.user
            return login
        }
        app.get("me") { req -> Login in
            guard let user = req.session.data["user"] else { throw Abort(.unauthorized, reason: "log in first: PUT /login/NAME") }
            return Login(user: user)
        }
        app.get("ready") { req -> Response in
            guard settings.cacheProvider == .redis else { return try await Readiness(ready: true, cache: "memory", health: nil).encodeResponse(for: req) }
            let health = await req.redisProvider.health(timeout: .seconds(1))
            let response = try await Readiness(ready: health.isReady, cache: "redis", health: health).encodeResponse(for: req)
            response.status = health.isReady ? .ok : .serviceUnavailable
            return response
        }
        app.get("live") { _ in "ok" }
    }
}

// Vapor encodes and decodes them as request and response bodies.
extension Fibonacci: Content {}
extension Login: Content {}
extension Readiness: Content {}
