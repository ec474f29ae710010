/// Where read-only commands go in a cluster.
public enum RedisReadPolicy: Sendable, Hashable {
    /// Every command to the slot's primary (the default: reads see every write).
    case primary
    /// Reads to a random replica of the slot, the primary when it has none.
    case preferReplica
    /// Reads rotate over the slot's replicas, the primary when it has none.
    case roundRobinReplicas
    /// Reads to the node of the slot's shard (primary or replica) with the lowest measured
    /// round trip.
    case lowestLatency
}

/// How a cluster client finds, routes to and recovers nodes.
public struct RedisClusterOptions: Sendable {
    /// Where read-only commands go.
    public var readPolicy: RedisReadPolicy
    /// Rewrites the addresses the cluster announces (NAT, port-forwarding, Kubernetes
    /// services): `[announced: reachable]`.
    public var addressMap: [RedisEndpoint: RedisEndpoint]
    /// A rewrite for announced addresses not in `addressMap`, e.g. by host-name pattern.
    public var addressMapper: (@Sendable (RedisEndpoint) -> RedisEndpoint)?
    /// How often the topology is refreshed in the background; `nil` refreshes only on
    /// redirects and errors.
    public var refreshInterval: Duration?
    /// Refreshes are at most this frequent, however many redirects arrive.
    public var minimumRefreshInterval: Duration
    /// Redirect limit and the retry budget for TRYAGAIN / CLUSTERDOWN / failover; `nil`
    /// sizes it from the cluster's `cluster-node-timeout` when it can be read.
    public var retryPolicy: ClusterRetryPolicy?
    /// How many nodes are asked for the topology in one refresh (the majority view wins).
    public var topologyQuorum: Int

    public init(
        readPolicy: RedisReadPolicy = .primary,
        addressMap: [RedisEndpoint: RedisEndpoint] = [:],
        addressMapper: (@Sendable (RedisEndpoint) -> RedisEndpoint)? = nil,
        refreshInterval: Duration? = .seconds(30),
        minimumRefreshInterval: Duration = .milliseconds(100),
        retryPolicy: ClusterRetryPolicy? = nil,
        topologyQuorum: Int = 3
    ) {
        self.readPolicy = readPolicy
        self.addressMap = addressMap
        self.addressMapper = addressMapper
        self.refreshInterval = refreshInterval
        self.minimumRefreshInterval = minimumRefreshInterval
        self.retryPolicy = retryPolicy
        self.topologyQuorum = topologyQuorum
    }

    /// The address to connect to for an announced one.
    func reachable(_ announced: RedisEndpoint) -> RedisEndpoint {
        if let mapped = addressMap[announced] { return mapped }
        return addressMapper?(announced) ?? announced
    }

    var mapsAddresses: Bool { !addressMap.isEmpty || addressMapper != nil }
}
