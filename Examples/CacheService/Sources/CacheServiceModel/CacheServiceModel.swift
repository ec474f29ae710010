import Foundation
import RedisProvider
import Synchronization

// What both services share: the cached value, the login a session holds, the readiness
// report, and the slow computation they cache.

/// The cached value: the number and when it was computed.
public struct Fibonacci: Codable, Sendable {
    public var n: Int
    public var value: UInt64
    public var computedAt: Date
}

/// Who is logged in, as the session holds it.
public struct Login: Codable, Sendable {
    public var user: String
    public init(user: String) { self.user = user }
}

/// What `GET /ready` answers.
public struct Readiness: Codable, Sendable {
    public var ready: Bool
    public var cache: String
    public var health: RedisHealth?
    public init(ready: Bool, cache: String, health: RedisHealth?) {
        self.ready = ready
        self.cache = cache
        self.health = health
    }
}

/// The expensive part, with a count of how often it ran (the cache's effect, visible).
public final class Computations: Sendable {
    private let counter = Mutex(0)

    public init() {}

    public var count: Int { counter.withLock { $0 } }

    public func fibonacci(_ n: Int) async throws -> Fibonacci {
        counter.withLock { $0 += 1 }
        try await Task.sleep(for: .milliseconds(200))  // stands for a slow database or API call
        var (a, b): (UInt64, UInt64) = (0, 1)
        for _ in 0..<n { (a, b) = (b, a &+ b) }
        return Fibonacci(n: n, value: a, computedAt: Date())
    }
}
