import HTTPTypes
import Hummingbird
import Logging
import RedisProvider

/// Limits requests per client with a ``RedisRateLimiter``, shared by every instance of the
/// application that uses the same Redis: a request over the limit gets `429 Too Many
/// Requests` with `Retry-After`; every answered request carries `RateLimit-Limit`,
/// `RateLimit-Remaining` and `RateLimit-Reset` (seconds).
///
/// ```swift
/// router.add(middleware: RedisRateLimitMiddleware(
///     RedisRateLimiter(limit: 100, per: .seconds(60)), redis: redis
/// ) { request, _ in request.headers[.authorization] })   // nil: not limited
/// ```
///
/// When Redis cannot answer, the request goes through (`failOpen`, the default) with a
/// warning in the request's log, or is refused with `503 Service Unavailable`.
public struct RedisRateLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The limit applied to each key.
    public let limiter: RedisRateLimiter
    /// Where the counts are kept.
    public let redis: any RedisCommandExecutor
    /// Put before every key, to keep the limiter's keys apart from other data.
    public let keyPrefix: String
    /// Whether a request goes through when Redis cannot be asked.
    public let failOpen: Bool
    private let key: @Sendable (Request, Context) -> String?

    /// A middleware limiting each `key` (`nil`: the request is not limited) to `limiter`.
    public init(
        _ limiter: RedisRateLimiter, redis: any RedisCommandExecutor, keyPrefix: String = "rate-limit:", failOpen: Bool = true,
        key: @escaping @Sendable (Request, Context) -> String?
    ) {
        self.limiter = limiter
        self.redis = redis
        self.keyPrefix = keyPrefix
        self.failOpen = failOpen
        self.key = key
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let key = key(request, context) else { return try await next(request, context) }
        let decision: RedisRateLimit
        do {
            decision = try await limiter.check(keyPrefix + key, on: redis)
        } catch {
            context.logger.warning("rate limit not checked: \(error)", metadata: ["rate-limit.key": "\(key)"])
            guard failOpen else { throw HTTPError(.serviceUnavailable, message: "The rate limit cannot be checked") }
            return try await next(request, context)
        }
        guard decision.allowed else {
            throw HTTPError(.tooManyRequests, headers: HTTPFields(decision), message: "Too many requests")
        }
        var response = try await next(request, context)
        response.headers.append(contentsOf: HTTPFields(decision))
        return response
    }
}

extension HTTPFields {
    /// The rate-limit headers of `decision`.
    init(_ decision: RedisRateLimit) {
        self.init()
        for (name, value) in decision.httpHeaders {
            if let name = HTTPField.Name(name) { self.append(HTTPField(name: name, value: value)) }
        }
    }
}
