import Foundation
import RedisProvider
import RedisProviderTestSupport
import RedisProviderVapor
import Testing
import Vapor
import VaporTesting

/// Vapor's cache, sessions and lifecycle on RedisProvider, through real `Application`s booted
/// as `app.execute()` boots them, against a server and a cluster.
@Suite struct VaporIntegrationTests {
    /// Configures `app` as a user's `configure(_:)` would, from the settings' sources.
    static func configure(_ app: Application, environment: [String: String], sessionTTL: Duration = .seconds(3600)) async throws {
        let settings = try await RedisProviderSettings.load(arguments: ["app"], environment: environment)
        try app.useRedisProvider(settings: settings)
        app.caches.use(.redisProvider)
        app.sessions.use(.redisProvider(ttl: sessionTTL))
        app.middleware.use(app.sessions.middleware)
        app.get("cache", ":key") { req -> String in
            try await req.cache.get(req.parameters.require("key"), as: String.self) ?? "none"
        }
        app.put("cache", ":key", ":seconds") { req -> HTTPStatus in
            let seconds = try req.parameters.require("seconds", as: Int.self)
            try await req.cache.set(req.parameters.require("key"), to: req.body.string ?? "", expiresIn: seconds > 0 ? .seconds(seconds) : nil)
            return .ok
        }
        app.delete("cache", ":key") { req -> HTTPStatus in
            try await req.cache.delete(req.parameters.require("key"))
            return .noContent
        }
        app.put("login", ":user") { req -> String in
            req.session.data["user"] = try req.parameters.require("user")
            return "ok"
        }
        app.get("me") { req -> String in
            guard let user = req.session.data["user"] else { throw Abort(.unauthorized) }
            return user
        }
        app.post("logout") { req -> HTTPStatus in
            req.session.destroy()
            return .ok
        }
        try await app.asyncBoot()
    }

    static func redis(_ url: String) -> [String: String] { ["REDIS_URL": url, "CACHE_PROVIDER": "redis"] }

    @Test(arguments: Backend.allCases) func cacheThroughTheApplication(backend: Backend) async throws {
        try await withServers(backend) { servers in
            try await withApp(configure: { try await Self.configure($0, environment: Self.redis(servers.url)) }) { app in
                let client = try app.testing()
                try await client.test(.PUT, "cache/greeting/0", body: ByteBuffer(string: "hello")) { #expect($0.status == .ok) }
                try await client.test(.GET, "cache/greeting") { #expect($0.body.string == "hello") }
                // Stored as JSON under the cache's prefix, where other instances see it.
                #expect(try await app.redisProvider.get("vapor:cache:greeting").map { String(buffer: $0) } == "\"hello\"")
                try await client.test(.DELETE, "cache/greeting") { #expect($0.status == .noContent) }
                try await client.test(.GET, "cache/greeting") { #expect($0.body.string == "none") }
                // Seconds enough that a loaded machine still finds the key to read its TTL.
                try await client.test(.PUT, "cache/brief/5", body: ByteBuffer(string: "soon gone")) { #expect($0.status == .ok) }
                #expect(try await app.redisProvider.ttl("vapor:cache:brief").map { $0 > .zero && $0 <= .seconds(5) } == true)
                let gone = try await eventually(.seconds(20)) {
                    try await client.sendRequest(.GET, "cache/brief").body.string == "none"
                }
                #expect(gone)
                // The Cache protocol's own futures, on the application's cache.
                try await app.cache.set("answer", to: 42).get()
                #expect(try await app.cache.get("answer", as: Int.self).get() == 42)
            }
        }
    }

    @Test(arguments: Backend.allCases) func sessionsLiveTheirTTLAndSurviveARestart(backend: Backend) async throws {
        try await withServers(backend) { servers in
            let environment = Self.redis(servers.url)
            let cookie = try await withApp(configure: { try await Self.configure($0, environment: environment) }) { app in
                let client = try app.testing()
                let login = try await client.sendRequest(.PUT, "login/alice")
                let cookie = try #require(login.headers.setCookie?["vapor-session"])
                let key = "vapor:session:\(cookie.string)"
                let ttl = try #require(try await app.redisProvider.ttl(key))
                #expect(ttl > .seconds(3500) && ttl <= .seconds(3600))
                // Every response carrying the session writes it again with a fresh TTL.
                _ = try await app.redisProvider.expire(key, after: .seconds(30))
                try await client.test(.GET, "me", headers: ["Cookie": "vapor-session=\(cookie.string)"]) { #expect($0.body.string == "alice") }
                #expect(try await app.redisProvider.ttl(key).map { $0 > .seconds(3500) } == true)
                return cookie.string
            }
            // The application restarted: a new provider, the same session.
            try await withApp(configure: { try await Self.configure($0, environment: environment) }) { app in
                let client = try app.testing()
                try await client.test(.GET, "me", headers: ["Cookie": "vapor-session=\(cookie)"]) { response in
                    #expect(response.status == .ok)
                    #expect(response.body.string == "alice")
                }
                try await client.test(.POST, "logout", headers: ["Cookie": "vapor-session=\(cookie)"]) { #expect($0.status == .ok) }
                #expect(try await app.redisProvider.exists(["vapor:session:\(cookie)"]) == 0)
                try await client.test(.GET, "me", headers: ["Cookie": "vapor-session=\(cookie)"]) { #expect($0.status == .unauthorized) }
            }
            // A session living one second expires when left alone.
            try await withApp(configure: { try await Self.configure($0, environment: environment, sessionTTL: .seconds(1)) }) { app in
                let client = try app.testing()
                let cookie = try #require(try await client.sendRequest(.PUT, "login/bob").headers.setCookie?["vapor-session"])
                // Asking the app would renew it: watch the key, then ask.
                let expired = try await eventually { try await app.redisProvider.exists(["vapor:session:\(cookie.string)"]) == 0 }
                #expect(expired)
                try await client.test(.GET, "me", headers: ["Cookie": "vapor-session=\(cookie.string)"]) { #expect($0.status == .unauthorized) }
            }
        }
    }

    @Test func providerStopsWithTheApplication() async throws {
        try await withServers(.standalone) { servers in
            let provider = try await withApp(configure: { try await Self.configure($0, environment: Self.redis(servers.url)) }) { app in
                let pong = try await app.redisProvider.ping()
                #expect(pong == "PONG")
                return app.redisProvider
            }
            let error = try await #require(throws: RedisError.self) { try await provider.ping() }
            #expect(error.kind == .shutdown)
        }
    }

    @Test func aWrongPasswordFailsTheBootNamingTheSetting() async throws {
        try await withServers(.standalone, password: "right-password") { servers in
            let url = servers.url.replacingOccurrences(of: "right-password", with: "wrong-password")
            let app = try await Application.make(.testing)
            let error = try await #require(throws: RedisError.self) { try await Self.configure(app, environment: Self.redis(url)) }
            try await app.asyncShutdown()
            #expect(error.kind == .authentication)
            #expect(error.message.contains("check redis.url (from environment (REDIS_URL))"), "\(error.message)")
            #expect(!error.description.contains("wrong-password"))
        }
    }

    @Test func cacheWithoutAProviderFailsTheBoot() async throws {
        let app = try await Application.make(.testing)
        app.caches.use(.redisProvider)
        let error = try await #require(throws: RedisError.self) { try await app.asyncBoot() }
        try await app.asyncShutdown()
        #expect(error.kind == .invalidConfiguration)
        #expect(error.message.contains("app.caches.use(.redisProvider) uses app.redisProvider, but none is configured"))
    }

    @Test func rateLimitMiddleware() async throws {
        try await withServers(.standalone) { servers in
            try await withApp(configure: { app in
                try await Self.configure(app, environment: Self.redis(servers.url))
                app.grouped(RedisRateLimitMiddleware(RedisRateLimiter(limit: 2, per: .seconds(60))) { $0.headers.first(name: "X-User") })
                    .get("limited") { _ in "ok" }
            }) { app in
                let client = try app.testing()
                let alice: HTTPHeaders = ["X-User": "alice"]
                try await client.test(.GET, "limited", headers: alice) { #expect($0.headers.first(name: "RateLimit-Remaining") == "1") }
                try await client.test(.GET, "limited", headers: alice) { #expect($0.headers.first(name: "RateLimit-Remaining") == "0") }
                try await client.test(.GET, "limited", headers: alice) { response in
                    #expect(response.status == .tooManyRequests)
                    #expect(response.headers.first(name: "Retry-After").flatMap(Int.init).map { (1...40).contains($0) } == true)
                }
                try await client.test(.GET, "limited", headers: ["X-User": "bob"]) { #expect($0.status == .ok) }
            }
        }
    }
}
