import RESP

/// Hooks a cluster client calls when something worth reporting happens. They run inline,
/// so they must be quick (count, log, yield to a stream).
struct ClusterObserver: Sendable {
    /// A command was sent on to another node: MOVED (`asking == false`) or ASK.
    var redirected: @Sendable (_ asking: Bool) -> Void = { _ in }
    /// A command will be retried after a pause; the reason is a lower-case error code
    /// (`tryagain`, `clusterdown` …) or `connection`.
    var retried: @Sendable (_ reason: String) -> Void = { _ in }
    /// A discovery published a slot map (`previous` is `nil` the first time).
    var topologyChanged: @Sendable (_ previous: SlotMap?, _ current: SlotMap) -> Void = { _, _ in }
    /// A discovery failed.
    var refreshFailed: @Sendable (RedisError) -> Void = { _ in }
    /// A replica of `primary`, which could not be reached, said it is a primary now: its
    /// slots route to it before a discovery confirms it.
    var promotionFound: @Sendable (_ primary: RedisEndpoint, _ replica: RedisEndpoint) -> Void = { _, _ in }

    static func reason(_ outcome: CommandRetryState.Outcome) -> String {
        switch outcome {
        case .reply(.error(let e)): return e.code.lowercased()
        case .reply: return "reply"
        case .transportError: return "connection"
        }
    }
}
