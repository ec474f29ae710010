/// Whether a URL names a Redis Cluster, and why.
public struct RedisModeDecision: Sendable, Hashable, CustomStringConvertible {
    /// `true` for cluster mode.
    public var isCluster: Bool
    /// Why, in words: which rule decided.
    public var reason: String

    public var description: String { "\(isCluster ? "cluster" : "standalone") mode: \(reason)" }
}

extension RedisURL {
    /// Cluster or standalone, by the rules teams deploying Redis in Kubernetes use, in order:
    /// an explicit `?cluster=true|false`; several comma-separated nodes; a host name that
    /// contains "cluster" (such as `redis-cluster.redis.svc.cluster.local`'s service part).
    public var mode: RedisModeDecision { mode(override: nil) }

    /// The mode, where a configured `override` (the `redis.cluster` setting, say) wins over
    /// every rule the URL itself could trigger; `source` names where the override came from.
    public func mode(override: Bool?, source: String = "the configuration") -> RedisModeDecision {
        if let override {
            return RedisModeDecision(isCluster: override, reason: "\(source) sets cluster=\(override)")
        }
        if let explicit = options.cluster {
            return RedisModeDecision(isCluster: explicit, reason: "the URL says cluster=\(explicit)")
        }
        if endpoints.count > 1 {
            return RedisModeDecision(isCluster: true, reason: "the URL names \(endpoints.count) nodes")
        }
        let host = endpoints[0].host.lowercased()
        // "svc.cluster.local" is Kubernetes' DNS suffix, not a sign of Redis Cluster.
        let name = host.hasSuffix(".cluster.local") ? String(host.dropLast(".cluster.local".count)) : host
        if name.contains("cluster") {
            return RedisModeDecision(isCluster: true, reason: "the host name '\(endpoints[0].host)' contains \"cluster\"")
        }
        return RedisModeDecision(isCluster: false, reason: "one node, no cluster=true, and no \"cluster\" in the host name")
    }
}
