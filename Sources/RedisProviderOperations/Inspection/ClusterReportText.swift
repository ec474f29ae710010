import RedisProvider

/// `ClusterReport` as text for people: the tables and lists `redis-provider cluster` prints.
public enum ClusterReportText {
    /// One row per node: role, address, announced host name, slots, link, lag, flags, ID.
    public static func nodesTable(_ report: ClusterReport) -> TextTable {
        TextTable(
            header: ["ROLE", "ADDRESS", "HOSTNAME", "SLOTS", "LINK", "OFFSET", "LAG", "FLAGS", "ID"],
            rows: report.nodes.map { node in
                [
                    node.role, node.address.isEmpty ? "-" : node.address, node.announcedHostname ?? "-",
                    node.slots.isEmpty ? "-" : "\(slotText(node.slots)) (\(node.slotCount))", node.linkState,
                    node.replicationOffset.map(String.init) ?? "-",
                    node.lag.map(String.init) ?? "-",
                    ([node.flags.filter { $0 != "master" && $0 != "slave" }.joined(separator: ",")]
                        + (node.reachable ? [] : ["unreachable"])).filter { !$0.isEmpty }.joined(separator: ",").ifEmpty("-"),
                    String(node.id.prefix(8)),
                ]
            })
    }

    /// One row per slot range: its primary and replicas; gaps show as `(none)`.
    public static func slotsTable(_ report: ClusterReport) -> TextTable {
        TextTable(header: ["SLOTS", "COUNT", "PRIMARY", "REPLICAS"], rows: slotRanges(report).map { range in
            ["\(range.start)-\(range.end)", String(range.end - range.start + 1), range.primary ?? "(none)",
             range.replicas.isEmpty ? "-" : range.replicas.joined(separator: ",")]
        })
    }

    /// A slot range and who serves it, as `cluster slots --json` prints it.
    public struct SlotRange: Sendable, Codable, Hashable {
        public var start: Int
        public var end: Int
        /// The primary's address, `nil` when no node serves the range.
        public var primary: String?
        public var replicas: [String]
    }

    /// Every slot range in order, gaps included (with no primary).
    public static func slotRanges(_ report: ClusterReport) -> [SlotRange] {
        var ranges: [SlotRange] = []
        for node in report.nodes where node.isPrimary {
            let replicas = report.nodes.filter { $0.primaryID == node.id }.map(\.address)
            for r in node.slots where r.count == 2 {
                ranges.append(SlotRange(start: r[0], end: r[1], primary: node.address, replicas: replicas))
            }
        }
        ranges.sort { $0.start < $1.start }
        var result: [SlotRange] = []
        var next = 0
        for r in ranges {
            if r.start > next { result.append(SlotRange(start: next, end: r.start - 1, primary: nil, replicas: [])) }
            result.append(r)
            next = max(next, r.end + 1)
        }
        if next < HashSlot.count { result.append(SlotRange(start: next, end: HashSlot.count - 1, primary: nil, replicas: [])) }
        return result
    }

    /// A one-line summary: state, coverage, nodes.
    public static func summary(_ report: ClusterReport) -> String {
        let primaries = report.nodes.filter(\.isPrimary).count
        let replicas = report.nodes.count - primaries
        let unreachable = report.nodes.filter { !$0.reachable }.count
        return "cluster_state:\(report.clusterState ?? "unknown"), \(report.coveredSlots)/\(HashSlot.count) slots covered, "
            + "\(primaries) primaries, \(replicas) replicas" + (unreachable > 0 ? ", \(unreachable) unreachable" : "")
    }

    static func slotText(_ slots: [[Int]]) -> String {
        ClusterDiagnosis.format(slots.filter { $0.count == 2 }.map { $0[0]...$0[1] })
    }
}

extension String {
    fileprivate func ifEmpty(_ replacement: String) -> String { isEmpty ? replacement : self }
}
