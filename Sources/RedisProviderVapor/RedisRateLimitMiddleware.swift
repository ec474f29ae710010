import RedisProvider
import Vapor

/// Limits requests per client with a ``RedisRateLimiter``, shared by every instance of the
/// application that uses the same Redis: a request over the limit gets `429 Too Many
/// Requests` with `Retry-After`; every answered request carries `RateLimit-Limit`,
/// `RateLimit-Remaining` and `RateLimit-Reset` (seconds).
///
/// ```swift
/// app.middleware.use(RedisRateLimitMiddleware(RedisRateLimiter(limit: 100, per: .seconds(60))) { request in
///     request.headers.bearerAuthorization?.token ?? request.remoteAddress?.ipAddress
/// })
/// ```
///
/// It uses ``Vapor/Application/redisProvider`` unless given another. When Redis cannot
/// answer, the request goes through (`failOpen`, the default) with a warning in the
/// request's log, or is refused with `503 Service Unavailable`.
public struct RedisRateLimitMiddleware: AsyncMiddleware {
    /// The limit applied to each key.
    public let limiter: RedisRateLimiter
    /// Put before every key, to keep the limiter's keys apart from other data.
    public let keyPrefix: String
    /// Whether a request goes through when Redis cannot be asked.
    public let failOpen: Bool
    private let redis: (any RedisCommandExecutor)?
    private let key: @Sendable (Request) -> String?

    /// A middleware limiting each `key` (`nil`: the request is not limited) to `limiter`.
    public init(
        _ limiter: RedisRateLimiter, redis: (any RedisCommandExecutor)? = nil, keyPrefix: String = "rate-limit:", failOpen: Bool = true,
        key: @escaping @Sendable (Request) -> String?
    ) {
        self.limiter = limiter
        self.redis = redis
        self.keyPrefix = keyPrefix
        self.failOpen = failOpen
        self.key = key
    }

    public func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let key = key(request) else { return try await next.respond(to: request) }
        let decision: RedisRateLimit
        do {
            let redis: any RedisCommandExecutor = self.redis ?? request.redisProvider
            decision = try await limiter.check(keyPrefix + key, on: redis)
        } catch {
            request.logger.warning("rate limit not checked: \(error)", metadata: ["rate-limit.key": "\(key)"])
            guard failOpen else { throw Abort(.serviceUnavailable, reason: "The rate limit cannot be checked") }
            return try await next.respond(to: request)
        }
        let headers = HTTPHeaders(decision.httpHeaders)
        guard decision.allowed else { throw Abort(.tooManyRequests, headers: headers, reason: "Too many requests") }
        let response = try await next.respond(to: request)
        response.headers.add(contentsOf: headers)
        return response
    }
}
