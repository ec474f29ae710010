extension ClusterTopology {
    /// The view most of `views` agree on, for when several nodes were asked and may disagree
    /// (a failover or reshard still propagating, a partitioned node).
    ///
    /// Views agree when they assign every slot to the same primary and list the same
    /// replicas for it (nodes compared by id and endpoint). Health and replication offsets
    /// are noise and ignored (they change from one moment to the next, and a new replica
    /// reports `loading` to one node while another already sees it `online`), as are shards
    /// serving no slots. Among equally common views the one covering the most slots with a
    /// primary able to serve wins, then the earliest in `views`. The winner returned is the
    /// first view of its group.
    ///
    /// - Returns: `nil` when `views` is empty.
    public static func majority(_ views: [ClusterTopology]) -> ClusterTopology? {
        guard !views.isEmpty else { return nil }
        var groups: [Agreement: (count: Int, first: Int)] = [:]
        var order: [Agreement] = []
        for (index, view) in views.enumerated() {
            let key = Agreement(view)
            if let group = groups[key] {
                groups[key] = (group.count + 1, group.first)
            } else {
                groups[key] = (1, index)
                order.append(key)
            }
        }
        var best: (count: Int, covered: Int, first: Int)?
        for key in order {
            let group = groups[key]!
            let candidate = (count: group.count, covered: views[group.first].coveredSlotCount, first: group.first)
            if let b = best {
                if candidate.count > b.count || (candidate.count == b.count && candidate.covered > b.covered) {
                    best = candidate
                }
            } else {
                best = candidate
            }
        }
        return best.map { views[$0.first] }
    }

    /// What two views must share to count as the same view.
    private struct Agreement: Hashable {
        struct NodeKey: Hashable, Comparable {
            var id: String
            var host: String
            var port: Int
            init(_ node: Node) {
                id = node.id ?? ""
                host = node.endpoint.host
                port = node.endpoint.port
            }
            static func < (a: Self, b: Self) -> Bool {
                (a.id, a.host, a.port) < (b.id, b.host, b.port)
            }
        }
        struct ShardKey: Hashable {
            var slots: [ClosedRange<Int>]
            var primary: NodeKey?
            var replicas: [NodeKey]
        }
        var shards: [ShardKey]

        init(_ view: ClusterTopology) {
            shards = view.shards
                .filter { !$0.slots.isEmpty }
                .map { shard in
                    ShardKey(
                        slots: ClusterTopology.mergeRanges(shard.slots),
                        primary: shard.primary.map(NodeKey.init),
                        replicas: shard.replicas.map(NodeKey.init).sorted())
                }
                .sorted { $0.slots[0].lowerBound < $1.slots[0].lowerBound }
        }
    }
}
