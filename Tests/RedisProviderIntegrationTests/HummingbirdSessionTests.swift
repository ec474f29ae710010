import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import HummingbirdTesting
import RedisProvider
import RedisProviderTestSupport
import RedisProviderHummingbird
import Testing

/// `hummingbird-auth` sessions through `RedisPersistDriver`, in applications that run the
/// provider and the driver as their services (`.live`: a real server, a real service group).
@Suite struct HummingbirdSessionTests {
    struct Login: Codable, Sendable { var user: String }
    struct User: Sendable { var name: String }
    typealias Context = BasicSessionRequestContext<Login, User>

    /// An application like a user's: the provider and the driver beside the HTTP server,
    /// `PUT /login/:user` starting a session that lives `sessionTTL`, `GET /me` reading it.
    static func app(url: String, sessionTTL: Duration = .seconds(3600)) throws -> some ApplicationProtocol {
        let redis = try RedisProvider(url: url)
        let persist = RedisPersistDriver(redis: redis, keyPrefix: "app:")
        let router = Router(context: Context.self)
        router.addMiddleware { SessionMiddleware(storage: persist, defaultSessionExpiration: sessionTTL) }
        router.put("/login/:user") { _, context -> HTTPResponse.Status in
            context.sessions.createSession(Login(user: try context.parameters.require("user")))
            return .ok
        }
        router.get("/me") { _, context -> String in
            guard let login = context.sessions.session else { throw HTTPError(.unauthorized) }
            return login.user
        }
        return Application(router: router, services: [redis, persist])
    }

    @Test(arguments: Backend.allCases) func loginSurvivesARestartAndExpires(backend: Backend) async throws {
        try await withServers(backend) { servers in
            let cookie = try await Self.app(url: servers.url).test(.live) { client in
                let cookie = try await client.execute(uri: "/login/alice", method: .put) { response in
                    #expect(response.status == .ok)
                    return try #require(response.headers[.setCookie])
                }
                try await client.execute(uri: "/me", method: .get, headers: [.cookie: cookie]) { response in
                    #expect(String(buffer: response.body) == "alice")
                }
                try await client.execute(uri: "/me", method: .get) { #expect($0.status == .unauthorized) }
                return cookie
            }
            // A new process: new provider, new driver, the same cookie.
            try await Self.app(url: servers.url).test(.live) { client in
                try await client.execute(uri: "/me", method: .get, headers: [.cookie: cookie]) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body) == "alice")
                }
            }
            // A session that lives a few seconds is gone after them (long enough that a loaded
            // machine still finds it right after the login).
            try await Self.app(url: servers.url, sessionTTL: .seconds(4)).test(.live) { client in
                let short = try await client.execute(uri: "/login/bob", method: .put) { try #require($0.headers[.setCookie]) }
                try await client.execute(uri: "/me", method: .get, headers: [.cookie: short]) { #expect(String(buffer: $0.body) == "bob") }
                let expired = try await eventually(.seconds(20)) {
                    try await client.execute(uri: "/me", method: .get, headers: [.cookie: short]) { $0.status == .unauthorized }
                }
                #expect(expired)
            }
        }
    }

    @Test func rateLimitMiddlewareCountsPerKeyAndAnswers429() async throws {
        try await withServers(.standalone) { servers in
            try await withProvider(servers.url) { redis in
                let router = Router()
                router.add(
                    middleware: RedisRateLimitMiddleware(RedisRateLimiter(limit: 3, per: .seconds(60)), redis: redis) { request, _ in
                        request.headers[.authorization]
                    })
                router.get("/hello") { _, _ in "hello" }
                try await Application(router: router).test(.router) { client in
                    var remaining: [String] = []
                    for _ in 0..<3 {
                        try await client.execute(uri: "/hello", method: .get, headers: [.authorization: "alice"]) { response in
                            #expect(response.status == .ok)
                            #expect(response.headers[HTTPField.Name("RateLimit-Limit")!] == "3")
                            remaining.append(response.headers[HTTPField.Name("RateLimit-Remaining")!] ?? "")
                        }
                    }
                    #expect(remaining == ["2", "1", "0"])
                    try await client.execute(uri: "/hello", method: .get, headers: [.authorization: "alice"]) { response in
                        #expect(response.status == .tooManyRequests)
                        #expect(Int(response.headers[.retryAfter] ?? "").map { (1...20).contains($0) } == true)
                    }
                    // Another key has its own allowance; no key is not limited.
                    try await client.execute(uri: "/hello", method: .get, headers: [.authorization: "bob"]) { #expect($0.status == .ok) }
                    for _ in 0..<5 { try await client.execute(uri: "/hello", method: .get) { #expect($0.status == .ok) } }
                }
            }
        }
    }

    @Test func persistDriverFollowsCacheProvider() async throws {
        let memory = try await RedisProviderSettings.load(arguments: ["app"], environment: [:])
        #expect(try memory.makePersistDriver(redis: nil) is MemoryPersistDriver<ContinuousClock>)
        // Settings asking for Redis without a URL fail as they load, naming both settings.
        let noURL = try await #require(throws: RedisError.self) {
            try await RedisProviderSettings.load(arguments: ["app"], environment: ["CACHE_PROVIDER": "redis"])
        }
        #expect(noURL.message.contains("is redis (from environment (CACHE_PROVIDER)) but redis.url is not set"), "\(noURL.message)")
        // A driver for Redis needs the provider.
        let redis = try await RedisProviderSettings.load(
            arguments: ["app"], environment: ["CACHE_PROVIDER": "redis", "REDIS_URL": "redis://127.0.0.1:1"])
        let error = try #require(throws: RedisError.self) { try redis.makePersistDriver(redis: nil) }
        #expect(error.kind == .invalidConfiguration)
        #expect(error.message.contains("is redis (from environment (CACHE_PROVIDER)) but no RedisProvider was given"), "\(error.message)")
    }
}
