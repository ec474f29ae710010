/// Delays between connection attempts: exponential from a base to a cap, with "full jitter"
/// (a random delay between zero and the exponential step), so that many clients
/// reconnecting after one server restart do not arrive in lockstep.
struct ReconnectBackoff: Sendable {
    var base: Duration
    var cap: Duration

    /// The delay before attempt `attempt` (1 = the first retry after a failure).
    func delay<G: RandomNumberGenerator>(attempt: Int, using generator: inout G) -> Duration {
        let exponent = min(max(attempt - 1, 0), 20)
        let step = min(base * (1 << exponent), cap)
        let nanos = max(step.nanoseconds, 1)
        return .nanoseconds(Int64.random(in: 0...nanos, using: &generator))
    }

    func delay(attempt: Int) -> Duration {
        var g = SystemRandomNumberGenerator()
        return delay(attempt: attempt, using: &g)
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (s, a) = components
        return s * 1_000_000_000 + a / 1_000_000_000
    }
}
