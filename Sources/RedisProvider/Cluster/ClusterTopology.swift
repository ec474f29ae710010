/// One view of a Redis Cluster: its shards, which slots each serves, and the nodes in each,
/// as one node described it in `CLUSTER SHARDS` (or `CLUSTER SLOTS`).
///
/// A topology is plain data: parse it from a reply with ``parse(clusterShards:connectedTo:tls:preferring:)``
/// or ``parse(clusterSlots:connectedTo:tls:preferring:)``, pick the view most nodes agree on
/// with ``majority(_:)``, then build a ``SlotMap`` from it for routing.
public struct ClusterTopology: Sendable, Hashable {
    /// One node of the cluster.
    public struct Node: Sendable, Hashable {
        /// The 40-character node id, when the reply carried it.
        public var id: String?
        /// Where to connect: the address the server prefers clients to use (its
        /// `cluster-preferred-endpoint-type`: announced hostname or IP), with the TCP port, or
        /// the TLS port when the topology was parsed with `tls: true`.
        public var endpoint: RedisEndpoint
        /// The node's IP address, when known (`nil` when the node does not know it yet).
        public var ip: String?
        /// The announced hostname (`cluster-announce-hostname`), when set.
        public var hostname: String?
        /// `true` for the shard's primary, `false` for a replica.
        public var isPrimary: Bool
        /// Whether the node can serve traffic, as the node asked sees it.
        public var health: Health
        /// How much of the replication stream the node has processed, when reported.
        public var replicationOffset: Int?

        /// Whether a node can serve traffic.
        public enum Health: Sendable, Hashable {
            /// Serving.
            case online
            /// Marked failed by the cluster; it will not serve until it recovers.
            case failed
            /// Loading its data set (or still syncing as a new replica); it may serve soon.
            case loading
            /// Not reported (`CLUSTER SLOTS` carries no health) or a value this client does
            /// not know. Routing treats it as able to serve.
            case unknown
        }

        public init(
            id: String? = nil, endpoint: RedisEndpoint, ip: String? = nil, hostname: String? = nil,
            isPrimary: Bool, health: Health = .unknown, replicationOffset: Int? = nil
        ) {
            self.id = id
            self.endpoint = endpoint
            self.ip = ip
            self.hostname = hostname
            self.isPrimary = isPrimary
            self.health = health
            self.replicationOffset = replicationOffset
        }

        /// `true` unless the node is known to be failed or loading.
        public var canServe: Bool { health == .online || health == .unknown }
    }

    /// A primary with its replicas and the slot ranges they serve.
    public struct Shard: Sendable, Hashable {
        /// The inclusive slot ranges the shard serves, ascending. Empty for a shard that
        /// serves no slots (a spare, or a failed former primary).
        public var slots: [ClosedRange<Int>]
        /// The primary; `nil` while the shard has none (the reply listed only replicas).
        public var primary: Node?
        /// The replicas, in the order the server listed them.
        public var replicas: [Node]

        public init(slots: [ClosedRange<Int>], primary: Node?, replicas: [Node]) {
            self.slots = slots
            self.primary = primary
            self.replicas = replicas
        }

        /// The number of slots the shard serves.
        public var slotCount: Int { slots.reduce(0) { $0 + $1.count } }
    }

    /// Which address of a node to connect to.
    public enum EndpointPreference: Sendable, Hashable {
        /// The endpoint the server names (its `cluster-preferred-endpoint-type`). The default.
        case server
        /// The announced hostname whenever a node has one, else as the server names it.
        case hostname
        /// The IP address whenever the reply carries it, else as the server names it.
        case ip
    }

    /// The shards, in the order the server listed them.
    public var shards: [Shard]

    public init(shards: [Shard]) {
        self.shards = shards
    }

    /// The slot ranges (ascending, merged) that no shard serves with a primary able to serve:
    /// unassigned slots, slots of a shard without a primary, and slots whose primary is
    /// reported failed or loading. Empty when the whole key space is covered.
    public var uncoveredSlots: [ClosedRange<Int>] {
        var covered = [Bool](repeating: false, count: HashSlot.count)
        for shard in shards where shard.primary?.canServe == true {
            for range in shard.slots { for slot in range.clamped(to: 0...(HashSlot.count - 1)) { covered[slot] = true } }
        }
        return Self.ranges(where: { !covered[$0] })
    }

    /// The number of slots served by a primary able to serve.
    public var coveredSlotCount: Int {
        HashSlot.count - uncoveredSlots.reduce(0) { $0 + $1.count }
    }

    /// Every shard's primary, in shard order (shards without a primary are skipped).
    public var primaries: [Node] { shards.compactMap(\.primary) }

    /// Every node: each shard's primary followed by its replicas.
    public var allNodes: [Node] {
        shards.flatMap { shard in (shard.primary.map { [$0] } ?? []) + shard.replicas }
    }

    /// The same topology with every node's endpoint passed through `transform`: the hook
    /// for address mapping (NAT, port forwarding) between what nodes announce and what
    /// this client can reach.
    public func mappingEndpoints(_ transform: (RedisEndpoint) -> RedisEndpoint) -> ClusterTopology {
        ClusterTopology(
            shards: shards.map { shard in
                var shard = shard
                if let primary = shard.primary { shard.primary?.endpoint = transform(primary.endpoint) }
                for r in shard.replicas.indices {
                    shard.replicas[r].endpoint = transform(shard.replicas[r].endpoint)
                }
                return shard
            })
    }

    /// Contiguous runs of slots for which `predicate` holds.
    static func ranges(where predicate: (Int) -> Bool) -> [ClosedRange<Int>] {
        var result: [ClosedRange<Int>] = []
        var start: Int?
        for slot in 0..<HashSlot.count {
            if predicate(slot) {
                if start == nil { start = slot }
            } else if let s = start {
                result.append(s...(slot - 1))
                start = nil
            }
        }
        if let s = start { result.append(s...(HashSlot.count - 1)) }
        return result
    }
}
