import NIOCore
import RESP
import RedisProviderTestSupport
import Testing

@testable import RedisProvider

/// The limiter decided on the server: exactly its quota under concurrency, refilled one
/// interval at a time, and a refused request counts for nothing.
@Suite struct RateLimiterTests {
    /// 50 callers at once against a limit of 20 per minute (no refill during the test): exactly
    /// 20 admitted, each told a different remaining count, the others told when to retry.
    static func admitsExactlyItsQuota(on redis: some RedisCommandExecutor, key: String) async throws {
        let limiter = RedisRateLimiter(limit: 20, per: .seconds(60))
        let decisions = try await withThrowingTaskGroup(of: RedisRateLimit.self) { group in
            for _ in 0..<50 { group.addTask { try await limiter.check(key, on: redis) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let admitted = decisions.filter(\.allowed)
        #expect(admitted.count == 20, "\(key)")
        #expect(Set(admitted.map(\.remaining)) == Set(0..<20))
        for refused in decisions where !refused.allowed {
            #expect(refused.remaining == 0)
            #expect(refused.retryAfter > .zero && refused.retryAfter <= .seconds(3), "one interval (60 s / 20) at most")
            #expect(refused.resetAfter > .seconds(57) && refused.resetAfter <= .seconds(60))
        }
    }

    @Test func admitsExactlyItsQuotaUnderConcurrency() async throws {
        try await withClient { client, _ in
            try await Self.admitsExactlyItsQuota(on: client, key: "rate:a")
            #expect(try await client.send("PTTL", "rate:a", as: Int.self) > 57_000, "the key lives until the allowance is full again")
        }
    }

    @Test(arguments: ClusterServer.available) func admitsExactlyItsQuotaInACluster(server: ClusterServer) async throws {
        try await withCluster(server) { client, _ in
            // Keys on different primaries keep separate counts.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for user in 0..<3 { group.addTask { try await Self.admitsExactlyItsQuota(on: client, key: "rate:user:\(user)") } }
                try await group.waitForAll()
            }
        }
    }

    @Test func refillsOneIntervalAtATimeAndRefusalsCostNothing() async throws {
        try await withClient { client, _ in
            // One per 20 s: a test machine busy with every other suite never refills it
            // between two of these checks.
            let limiter = RedisRateLimiter(limit: 5, per: .seconds(100))
            for expected in (0..<5).reversed() {
                let decision = try await limiter.check("rate:r", on: client)
                #expect(decision.allowed && decision.remaining == expected && decision.retryAfter == .zero)
            }
            let refused = try await limiter.check("rate:r", on: client)
            #expect(!refused.allowed && refused.retryAfter > .zero && refused.retryAfter <= .seconds(20))

            // A refused request costs nothing: waiting its retryAfter is enough.
            let short = RedisRateLimiter(limit: 1, per: .seconds(4))
            #expect(try await short.check("rate:s", on: client).allowed)
            let wait = try await short.check("rate:s", on: client)
            #expect(!wait.allowed && wait.retryAfter <= .seconds(4))
            try await Task.sleep(for: wait.retryAfter + .milliseconds(20))
            #expect(try await short.check("rate:s", on: client).allowed, "admitted once the interval passed")

            // A cost larger than what is left is refused whole; a cost of one still fits.
            let costly = RedisRateLimiter(limit: 10, per: .seconds(600), burst: 4)
            #expect(try await costly.check("rate:c", cost: 3, on: client).remaining == 1)
            let tooMuch = try await costly.check("rate:c", cost: 2, on: client)
            #expect(!tooMuch.allowed && tooMuch.remaining == 1)
            #expect(tooMuch.retryAfter > .seconds(50) && tooMuch.retryAfter <= .seconds(60))
            #expect(try await costly.check("rate:c", on: client).allowed)
            #expect(try await costly.check("rate:c", on: client).allowed == false, "the burst of 4 is used")
        }
    }

    @Test func impossibleLimitsAndCostsAreConfigurationErrors() async throws {
        try await withClient { client, _ in
            let zero = await redisError { _ = try await RedisRateLimiter(limit: 0, per: .seconds(1)).check("k", on: client) }
            #expect(zero?.kind == .invalidConfiguration)
            let tooCostly = await redisError { _ = try await RedisRateLimiter(limit: 5, per: .seconds(1)).check("k", cost: 6, on: client) }
            #expect(tooCostly?.kind == .invalidConfiguration)
            #expect(tooCostly?.message.contains("from 1 to 5") == true)
            let written = try await client.exists(["k"])
            #expect(written == 0, "nothing counted")
        }
    }

    @Test func intervalRoundsUpSoAPeriodNeverAdmitsMore() {
        #expect(RedisRateLimiter(limit: 3, per: .seconds(1)).interval == 333_334)
        #expect(RedisRateLimiter(limit: 1000, per: .seconds(1)).interval == 1000)
        #expect(RedisRateLimiter(limit: 10, per: .nanoseconds(5)).interval == 1)
    }
}
