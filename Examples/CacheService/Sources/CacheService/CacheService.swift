import Foundation
import Hummingbird
import HummingbirdAuth
import CacheServiceModel
import Logging
import RedisProvider
import RedisProviderHummingbird
import ServiceLifecycle

/// `cache-service`: `GET /fib/:n` computes slowly once and then answers from the cache;
/// `PUT /login/:user` starts a session (a cookie) and `GET /me` reads it, through the persist
/// driver; `GET /ready` is the readiness probe; `GET /live` the liveness probe.
///
/// Configuration, highest first: command line (`--redis-url`, `--cache-provider`), the
/// environment (`REDIS_URL`, `CACHE_PROVIDER`), a mounted folder (`/etc/redis-provider`, or
/// `REDIS_PROVIDER_CONFIG_DIR`). With none, the cache lives in memory. `HOST` and `PORT` set
/// where it listens (default 127.0.0.1:8080; Kubernetes sets HOST=0.0.0.0).
@main
struct CacheService {
    static func main() async throws {
        let logger = Logger(label: "cache-service")
        let settings = try await RedisProviderSettings.load()
        let redis = settings.cacheProvider == .redis ? try RedisProvider(settings: settings) : nil
        let cache = try settings.makeCache(redis: redis, prefix: "cache-service:")
        // Sessions in Redis outlive the process and are shared by every replica.
        let persist = try settings.makePersistDriver(redis: redis, keyPrefix: "cache-service:")
        logger.info("cache-service starting", metadata: ["cache": "\(settings.cacheProvider)", "mode": "\(redis?.mode.description ?? "memory")"])

        let computations = Computations()
        let router = Router(context: BasicSessionRequestContext<Login, Login>.self)
        router.addMiddleware { SessionMiddleware(storage: persist, defaultSessionExpiration: .seconds(30 * 60)) }
        router.put("/login/:user") { _, context -> Response in
            context.sessions.createSession(Login(user: try context.parameters.require("user")))
            return try Self.json(Login(user: try context.parameters.require("user")))
        }
        router.get("/me") { _, context -> Response in
            guard let login = context.sessions.session else { throw HTTPError(.unauthorized, message: "log in first: PUT /login/NAME") }
            return try Self.json(login)
        }
        router.get("/fib/:n") { _, context -> Response in
            let n = try context.parameters.require("n", as: Int.self)
            guard (0...90).contains(n) else { throw HTTPError(.badRequest, message: "n must be between 0 and 90") }
            let result = try await cache.getOrSet("fib:\(n)", as: Fibonacci.self, ttl: .seconds(300)) {
                try await computations.fibonacci(n)
            }
            return try Self.json(result, headers: [.init("X-Computations")!: "\(computations.count)"])
        }
        router.get("/ready") { _, _ -> Response in
            guard let redis else { return try Self.json(Readiness(ready: true, cache: "memory", health: nil)) }
            let health = await redis.health(timeout: .seconds(1))
            return try Self.json(
                Readiness(ready: health.isReady, cache: "redis", health: health), status: health.isReady ? .ok : .serviceUnavailable)
        }
        router.get("/live") { _, _ in "ok" }

        let host = ProcessInfo.processInfo.environment["HOST"] ?? "127.0.0.1"
        let port = Int(ProcessInfo.processInfo.environment["PORT"] ?? "") ?? 8080
        var app = Application(router: router, configuration: .init(address: .hostname(host, port: port)), logger: logger)
        // A wrong password or an unreachable server stops the start, naming the setting.
        if let redis { app.beforeServerStarts { try await redis.verifyConnection(settings: settings) } }
        // Services stop in reverse order: the HTTP server first, then the sessions, then Redis.
        let services: [any Service] = (redis.map { [$0] } ?? []) + [persist, app]
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
    }

    static func json(
        _ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]
    ) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(value)
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
