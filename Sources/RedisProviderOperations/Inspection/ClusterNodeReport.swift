import RedisProvider

/// One node of a cluster as an inspection saw it: what the cluster says about it (from
/// `CLUSTER NODES`) and whether it answered when asked directly.
public struct ClusterNodeReport: Sendable, Codable, Hashable {
    /// The 40-character node ID.
    public var id: String
    /// The announced address, `host:port` (IPv6 in brackets); empty for a node without one.
    public var address: String
    /// The host name the node announces (`cluster-announce-hostname`), if any.
    public var announcedHostname: String?
    /// `"primary"` or `"replica"`.
    public var role: String
    /// For a replica, the ID of its primary.
    public var primaryID: String?
    /// The slot ranges the node serves, each `[start, end]` (inclusive).
    public var slots: [[Int]]
    /// The cluster bus link state: `connected` or `disconnected`.
    public var linkState: String
    /// The flags as `CLUSTER NODES` prints them, `myself` left out (e.g. `master`, `fail?`).
    public var flags: [String]
    /// The replication offset (`INFO replication`), when the node answered.
    public var replicationOffset: Int?
    /// For a replica: its primary's offset minus its own, when both answered.
    public var lag: Int?
    /// Whether the node answered at the address the inspection used.
    public var reachable: Bool
    /// Why it did not answer, when it did not.
    public var error: String?

    public init(
        id: String, address: String, announcedHostname: String? = nil, role: String, primaryID: String? = nil,
        slots: [[Int]] = [], linkState: String = "connected", flags: [String] = [], replicationOffset: Int? = nil,
        lag: Int? = nil, reachable: Bool = true, error: String? = nil
    ) {
        self.id = id
        self.address = address
        self.announcedHostname = announcedHostname
        self.role = role
        self.primaryID = primaryID
        self.slots = slots
        self.linkState = linkState
        self.flags = flags
        self.replicationOffset = replicationOffset
        self.lag = lag
        self.reachable = reachable
        self.error = error
    }

    /// `true` for a primary.
    public var isPrimary: Bool { role == "primary" }

    /// How many slots the node serves.
    public var slotCount: Int { slots.reduce(0) { $0 + ($1.count == 2 ? $1[1] - $1[0] + 1 : 0) } }
}
