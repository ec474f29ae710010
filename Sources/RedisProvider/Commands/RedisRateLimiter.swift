import RESP

/// A rate limit per key, decided in one atomic script on the server (the generic cell rate
/// algorithm, GCRA), so every pod that shares the server shares the limit.
///
/// A limiter admits `limit` requests per `period`, spread evenly: one every `period / limit`,
/// with up to `burst` (by default `limit`) at once after a quiet spell. The key holds one
/// number, the time at which its allowance is full again, and expires then; the server's clock
/// is the only one used, so pods whose clocks disagree still agree on the limit.
///
/// ```swift
/// let perUser = RedisRateLimiter(limit: 100, per: .seconds(60))
/// let decision = try await perUser.check("rate:user:42", on: redis)
/// if !decision.allowed {
///     print("retry in \(decision.retryAfter)")   // e.g. a 429 with Retry-After
/// }
/// ```
public struct RedisRateLimiter: Sendable, Hashable {
    /// How many requests a period admits.
    public let limit: Int
    /// The period `limit` applies to.
    public let period: Duration
    /// How many requests may come at once after a quiet spell.
    public let burst: Int

    /// A limiter of `limit` requests per `period`, `burst` of them at once (`limit` when nil).
    public init(limit: Int, per period: Duration, burst: Int? = nil) {
        self.limit = limit
        self.period = period
        self.burst = burst ?? limit
    }

    // KEYS[1]: the key; ARGV: emission interval µs, tolerance µs (burst × interval), cost.
    // Replies {admitted 1|0, remaining, retry after µs, reset after µs}.
    static let script = RedisScript(
        """
        if redis.replicate_commands then redis.replicate_commands() end
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local interval = tonumber(ARGV[1])
        local tolerance = tonumber(ARGV[2])
        local cost = tonumber(ARGV[3])
        local tat = tonumber(redis.call('GET', KEYS[1]) or now)
        if tat < now then tat = now end
        local new_tat = tat + interval * cost
        local allow_at = new_tat - tolerance
        if now < allow_at then
          return {0, math.max(0, math.floor((tolerance - (tat - now)) / interval)), allow_at - now, tat - now}
        end
        redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.max(1, math.ceil((new_tat - now) / 1000)))
        return {1, math.floor((now - allow_at) / interval), 0, new_tat - now}
        """)

    /// Counts `cost` requests against `key` if they fit in its allowance, and says whether
    /// they did, how many more would fit now, and when to retry.
    ///
    /// A refused request changes nothing. In a cluster the key decides the node, like any
    /// other; keys of separate limits need nothing in common.
    public func check(_ key: String, cost: Int = 1, on redis: some RedisCommandExecutor) async throws(RedisError) -> RedisRateLimit {
        guard limit > 0, burst > 0, period > .zero else {
            throw RedisError(
                .invalidConfiguration,
                "A rate limiter needs a positive limit, burst and period (it has limit \(limit), burst \(burst), period \(RedisURL.format(period)))")
        }
        guard (1...burst).contains(cost) else {
            throw RedisError(
                .invalidConfiguration,
                "A request costing \(cost) can never be admitted by a limiter with a burst of \(burst): pass a cost from 1 to \(burst)")
        }
        let reply = try await Self.script.run(
            on: redis, keys: [key], arguments: [interval, interval * burst, cost], as: [Int].self)
        guard reply.count == 4 else {
            throw RedisError(.protocolViolation, "The rate limit script answered \(reply.count) numbers instead of 4")
        }
        return RedisRateLimit(
            allowed: reply[0] == 1, remaining: reply[1], limit: limit,
            retryAfter: .microseconds(reply[2]), resetAfter: .microseconds(reply[3]))
    }

    /// The time between two admitted requests in whole microseconds, rounded up so that a
    /// period never admits more than `limit`.
    var interval: Int {
        let micros = period.nanoseconds / 1000
        return Int(max(1, (micros + Int64(limit) - 1) / Int64(limit)))
    }
}

/// What a ``RedisRateLimiter`` decided about a request.
public struct RedisRateLimit: Sendable, Hashable {
    /// Whether the request was admitted (and counted).
    public var allowed: Bool
    /// How many more requests of cost 1 would be admitted right now.
    public var remaining: Int
    /// The limiter's limit per period, for headers such as `RateLimit-Limit`.
    public var limit: Int
    /// When a refused request would be admitted; zero when it was.
    public var retryAfter: Duration
    /// When the whole burst is available again.
    public var resetAfter: Duration
}

extension RedisRateLimit {
    /// The HTTP response headers that describe this decision, for a framework's middleware:
    /// `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (seconds until the whole
    /// burst is back) and, when refused, `Retry-After`; seconds are rounded up.
    public var httpHeaders: [(name: String, value: String)] {
        var headers = [
            ("RateLimit-Limit", "\(limit)"), ("RateLimit-Remaining", "\(remaining)"), ("RateLimit-Reset", "\(Self.seconds(resetAfter))"),
        ]
        if !allowed { headers.append(("Retry-After", "\(max(1, Self.seconds(retryAfter)))")) }
        return headers
    }

    /// Whole seconds, rounded up.
    private static func seconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) + (attoseconds > 0 ? 1 : 0)
    }
}
