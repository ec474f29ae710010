import RedisProvider

/// Something wrong with a cluster, found by `ClusterInspector`, with a message that says what
/// to do about it.
public struct ClusterProblem: Sendable, Codable, Hashable, CustomStringConvertible {
    /// What kind of problem.
    public enum Kind: String, Sendable, Codable, Hashable, CaseIterable {
        /// Some of the 16384 hash slots have no node.
        case uncoveredSlots
        /// Reachable nodes describe different topologies (slots, roles or membership).
        case disagreement
        /// A primary that serves slots has no replica to fail over to.
        case primaryWithoutReplica
        /// A slot is being moved away from a node (`[slot->-id]`).
        case migratingSlot
        /// A slot is being moved onto a node (`[slot-<-id]`).
        case importingSlot
        /// A node the cluster announces could not be reached from here.
        case nodeUnreachable
        /// The cluster flags a node `fail` or `fail?`.
        case nodeFailing
        /// `CLUSTER INFO` says `cluster_state:fail`.
        case clusterStateFail
        /// No seed answered.
        case noClusterNode
        /// The server answered but runs without cluster support (a standalone server).
        case notACluster
    }

    public var kind: Kind
    /// What is wrong and what to do, in a sentence or two.
    public var message: String
    /// The node concerned (`host:port` or ID), when there is one.
    public var node: String?

    public init(_ kind: Kind, _ message: String, node: String? = nil) {
        self.kind = kind
        self.message = message
        self.node = node
    }

    public var description: String { message }
}
