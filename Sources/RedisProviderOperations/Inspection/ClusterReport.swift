import RedisProvider

/// What `ClusterInspector.inspect` found: every node, the problems, and the cluster's own
/// view of its state.
public struct ClusterReport: Sendable, Codable, Hashable {
    /// Every node any reachable node knows, primaries first, by their first slot.
    public var nodes: [ClusterNodeReport]
    /// What is wrong; empty when healthy.
    public var problems: [ClusterProblem]
    /// `cluster_state` from `CLUSTER INFO` (`ok` or `fail`), `nil` when no node answered.
    public var clusterState: String?
    /// How many of the 16384 slots have a node.
    public var coveredSlots: Int
    /// The fields of `CLUSTER INFO` from the first node that answered.
    public var info: [String: String]

    public init(
        nodes: [ClusterNodeReport], problems: [ClusterProblem], clusterState: String?, coveredSlots: Int,
        info: [String: String] = [:]
    ) {
        self.nodes = nodes
        self.problems = problems
        self.clusterState = clusterState
        self.coveredSlots = coveredSlots
        self.info = info
    }

    /// `true` when nothing is wrong: every slot covered, state ok, no problems.
    public var isHealthy: Bool { problems.isEmpty && clusterState == "ok" && coveredSlots == HashSlot.count }

    /// The problems of one kind.
    public func problems(_ kind: ClusterProblem.Kind) -> [ClusterProblem] { problems.filter { $0.kind == kind } }
}

extension ClusterReport {
    private enum CodingKeys: String, CodingKey {
        case healthy, clusterState, coveredSlots, nodes, problems, info
    }

    /// Encodes `isHealthy` too, as `healthy` (the key `doctor --json` uses), so that JSON
    /// readers need not recompute it.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(isHealthy, forKey: .healthy)
        try c.encodeIfPresent(clusterState, forKey: .clusterState)
        try c.encode(coveredSlots, forKey: .coveredSlots)
        try c.encode(nodes, forKey: .nodes)
        try c.encode(problems, forKey: .problems)
        try c.encode(info, forKey: .info)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            nodes: try c.decode([ClusterNodeReport].self, forKey: .nodes),
            problems: try c.decode([ClusterProblem].self, forKey: .problems),
            clusterState: try c.decodeIfPresent(String.self, forKey: .clusterState),
            coveredSlots: try c.decode(Int.self, forKey: .coveredSlots),
            info: try c.decodeIfPresent([String: String].self, forKey: .info) ?? [:])
    }
}
