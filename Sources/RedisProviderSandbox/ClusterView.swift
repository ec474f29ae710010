/// One node's view of the cluster, parsed from `CLUSTER NODES` (for forming and watching
/// test and sandbox clusters; the operator's full parser is `ClusterNodesLine`).
package struct ClusterView: Sendable {
    package struct Line: Sendable {
        package var id: String
        /// `ip:port@busport[,hostname]`, as announced.
        package var address: String
        package var isPrimary: Bool
        package var masterID: String?
        /// `fail` or `fail?`.
        package var failed: Bool
        package var handshake: Bool
        package var slots: [ClosedRange<Int>]
    }

    package var lines: [Line]

    package init(parsing text: String) {
        lines = text.split(whereSeparator: \.isNewline).compactMap { raw in
            let f = raw.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard f.count >= 8 else { return nil }
            let flags = Set(f[2].split(separator: ",").map(String.init))
            var slots: [ClosedRange<Int>] = []
            for s in f.dropFirst(8) where !s.hasPrefix("[") {  // [slot->-id] / [slot-<-id] are local
                let parts = s.split(separator: "-")
                if parts.count == 1, let a = Int(parts[0]) { slots.append(a...a) }
                if parts.count == 2, let a = Int(parts[0]), let b = Int(parts[1]) { slots.append(a...b) }
            }
            return Line(
                id: f[0], address: f[1], isPrimary: flags.contains("master"),
                masterID: f[3] == "-" ? nil : f[3], failed: flags.contains("fail") || flags.contains("fail?"),
                handshake: flags.contains("handshake"), slots: slots)
        }
    }

    package func line(id: String) -> Line? { lines.first { $0.id == id } }

    package func owner(ofSlot slot: Int) -> Line? {
        lines.first { $0.isPrimary && $0.slots.contains { $0.contains(slot) } }
    }

    /// What every node must agree on: ids, announced addresses, roles, replication, failure
    /// flags and slots (the `myself` flag, timings and local migration marks left out).
    package var normalized: [String] {
        lines.filter { !$0.handshake }.map { l in
            let slots = l.slots.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
            return "\(l.id) \(l.address) \(l.isPrimary ? "primary" : "replica") \(l.masterID ?? "-") \(l.failed ? "failed" : "ok") \(slots.joined(separator: " "))"
        }.sorted()
    }

    package var summary: String {
        lines.filter { !$0.handshake }.map { l in
            let slots = l.slots.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
            let role = l.isPrimary ? "primary" : "replica of \(l.masterID?.prefix(8) ?? "?")"
            return "\(l.id.prefix(8))@\(l.address) \(role)\(l.failed ? " failed" : "") [\(slots.joined(separator: ","))]"
        }.sorted().joined(separator: "; ")
    }
}
