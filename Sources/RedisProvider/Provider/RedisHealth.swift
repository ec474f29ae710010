/// What a readiness probe needs to know: can the provider serve commands now, and if not,
/// which node or slots are the trouble.
public struct RedisHealth: Sendable, Codable, Hashable {
    /// The verdict.
    public enum Status: String, Sendable, Codable, Hashable {
        /// Every node answers and (in a cluster) every slot has a reachable primary.
        case healthy
        /// Commands can be served, but something is missing: a replica is down.
        case degraded
        /// Some or all commands would fail: a primary is unreachable, slots are uncovered,
        /// or the cluster reports `cluster_state:fail`.
        case unhealthy
    }

    /// One node as seen by the probe.
    public struct Node: Sendable, Codable, Hashable {
        /// `host:port` as the client reaches it.
        public var address: String
        /// `primary`, `replica` or `standalone`.
        public var role: String
        /// Whether it answered `PING` within the timeout.
        public var reachable: Bool
        /// The `PING` round trip, in milliseconds.
        public var latencyMilliseconds: Double?
        /// Slots it serves as primary (cluster only).
        public var slots: Int
        /// Why it is unreachable.
        public var error: String?
    }

    public var status: Status
    /// `cluster` or `standalone`.
    public var mode: String
    /// Why that mode was chosen.
    public var modeReason: String
    /// `CLUSTER INFO`'s `cluster_state` (`ok` or `fail`); `nil` standalone or unknown.
    public var clusterState: String?
    /// Slots whose primary answered (16384 on a healthy cluster); `nil` standalone.
    public var coveredSlots: Int?
    public var nodes: [Node]
    /// Problems in words, each with what to check.
    public var problems: [String]

    /// `true` unless ``status`` is `.unhealthy`: what a readiness endpoint answers.
    public var isReady: Bool { status != .unhealthy }

    /// The verdict for a cluster from what the probe saw (pure; the probe is I/O only).
    static func cluster(
        modeReason: String, clusterState: String?, nodes: [Node], unmappedSlots: Int
    ) -> RedisHealth {
        var problems: [String] = []
        let covered = nodes.filter { $0.role == "primary" && $0.reachable }.reduce(0) { $0 + $1.slots }
        for node in nodes where !node.reachable {
            problems.append("\(node.role) \(node.address) does not answer: \(node.error ?? "no reply")")
        }
        if unmappedSlots > 0 {
            problems.append("\(unmappedSlots) slots have no primary; check `redis-provider cluster check` and assign them")
        }
        let uncovered = HashSlot.count - covered
        if uncovered > 0, uncovered != unmappedSlots {
            problems.append("\(uncovered) slots have no reachable primary; commands for them fail until a replica is promoted")
        }
        if let state = clusterState, state != "ok" {
            problems.append("the cluster reports cluster_state:\(state); check that a majority of primaries is up")
        }
        let status: Status
        if covered < HashSlot.count || (clusterState.map { $0 != "ok" } ?? true) {
            status = .unhealthy
        } else if nodes.contains(where: { !$0.reachable }) {
            status = .degraded
        } else {
            status = .healthy
        }
        return RedisHealth(
            status: status, mode: "cluster", modeReason: modeReason, clusterState: clusterState, coveredSlots: covered,
            nodes: nodes, problems: problems)
    }
}
