/// How hard one cluster command tries before giving up: how many MOVED/ASK redirections
/// it follows, and for how long it backs off and retries while the cluster is failing over,
/// resharding or loading (`TRYAGAIN`, `CLUSTERDOWN`, `LOADING`, `MASTERDOWN`, lost
/// connections). The cluster client applies it to each command.
public struct ClusterRetryPolicy: Sendable, Hashable {
    /// The most MOVED/ASK redirections one command follows before failing with
    /// `.redirectLimit`.
    public var maxRedirects: Int
    /// How long a command may keep retrying, from its first attempt. It should cover one
    /// failover: about 3 × `cluster-node-timeout` + 4 s (see ``sized(forNodeTimeout:)``);
    /// 15 s when the node timeout is unknown (Redis' default node timeout is 15 s, most
    /// deployments use less).
    public var budget: Duration
    /// The first backoff delay; each further retry doubles it up to ``maxDelay``.
    public var baseDelay: Duration
    /// The longest backoff delay.
    public var maxDelay: Duration
    /// The fraction of each delay that is random, 0…1: a delay `d` becomes a value in
    /// `d × (1 − jitter) … d`, so clients retrying after the same event spread out.
    /// 0 makes delays exact.
    public var jitter: Double

    public init(
        maxRedirects: Int = 16, budget: Duration = .seconds(15),
        baseDelay: Duration = .milliseconds(10), maxDelay: Duration = .milliseconds(100),
        jitter: Double = 0.5
    ) {
        self.maxRedirects = maxRedirects
        self.budget = budget
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.jitter = min(max(jitter, 0), 1)
    }

    /// The default policy with a budget that covers one failover of a cluster whose
    /// `cluster-node-timeout` is `nodeTimeout`: 3 × `nodeTimeout` + 4 s (failure detection,
    /// the replica election delay, and a loaded machine).
    public static func sized(forNodeTimeout nodeTimeout: Duration) -> ClusterRetryPolicy {
        ClusterRetryPolicy(budget: nodeTimeout * 3 + .seconds(4))
    }

    /// The delay before retry number `retry` (1 = the first), before jitter:
    /// `baseDelay × 2^(retry − 1)`, at most `maxDelay`.
    public func delay(forRetry retry: Int) -> Duration {
        let exponent = min(max(retry - 1, 0), 30)
        return min(baseDelay * (1 << exponent), maxDelay)
    }
}
