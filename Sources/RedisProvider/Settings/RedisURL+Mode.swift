/// Whether a URL names one server, a Redis Cluster or a primary watched by Sentinels, and why.
public struct RedisModeDecision: Sendable, Hashable, CustomStringConvertible {
    /// The three shapes of a deployment.
    public enum Kind: String, Sendable, Hashable {
        case standalone, cluster, sentinel
    }

    /// Which shape.
    public var kind: Kind
    /// Why, in words: which rule decided.
    public var reason: String

    /// `true` for cluster mode.
    public var isCluster: Bool { kind == .cluster }

    /// A decision for cluster (`true`) or standalone mode.
    public init(isCluster: Bool, reason: String) {
        self.init(kind: isCluster ? .cluster : .standalone, reason: reason)
    }

    /// A decision of `kind`.
    public init(kind: Kind, reason: String) {
        self.kind = kind
        self.reason = reason
    }

    public var description: String { "\(kind.rawValue) mode: \(reason)" }
}

extension RedisURL {
    /// Sentinel for a `redis+sentinel://` URL; else cluster or standalone, by the rules teams
    /// deploying Redis in Kubernetes use, in order: an explicit `?cluster=true|false`; several
    /// comma-separated nodes; a host name that contains "cluster" (such as
    /// `redis-cluster.redis.svc.cluster.local`'s service part).
    public var mode: RedisModeDecision { mode(override: nil) }

    /// The mode, where a configured `override` (the `redis.cluster` setting, say) wins over
    /// every rule the URL itself could trigger; `source` names where the override came from.
    public func mode(override: Bool?, source: String = "the configuration") -> RedisModeDecision {
        if let sentinelMasterName {
            return RedisModeDecision(
                kind: .sentinel, reason: "the URL is redis+sentinel:// (\(endpoints.count) Sentinels watching '\(sentinelMasterName)')")
        }
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
