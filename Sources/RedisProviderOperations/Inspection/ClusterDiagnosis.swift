import RedisProvider

/// The pure half of `ClusterInspector`: from what each node answered, the node reports and
/// the problems. No I/O, so every rule is unit-tested with hand-written `CLUSTER NODES` text.
public enum ClusterDiagnosis {
    /// Builds the report from the views of every node asked.
    ///
    /// - Parameters:
    ///   - views: one per address asked; the topology is the view most reachable nodes share.
    ///   - mappedAddresses: announced addresses the address map rewrote (an unreachable one
    ///     of these is not blamed on a missing map).
    ///   - viewOfNode: for each node ID, the index in `views` of the view asked at that node's
    ///     (mapped) announced address; nodes without one are reported unreachable.
    public static func report(
        views: [ClusterNodeView], viewOfNode: [String: Int], mappedAddresses: Set<String> = []
    ) -> ClusterReport {
        let answered = views.filter { $0.nodes != nil }
        guard !answered.isEmpty else {
            let reasons = views.map { "\($0.askedAddress): \($0.error ?? "no answer")" }.joined(separator: "; ")
            return ClusterReport(
                nodes: [], problems: [ClusterProblem(.noClusterNode, "No cluster node answered (\(reasons)). Check the URL, that the servers run, and that this machine can reach them.")],
                clusterState: nil, coveredSlots: 0)
        }
        var problems: [ClusterProblem] = []

        // The topology most nodes agree on; the others disagree.
        var bySignature: [[String]: [ClusterNodeView]] = [:]
        for view in answered { bySignature[signature(view.nodes!), default: []].append(view) }
        let majority = bySignature.max { a, b in
            a.value.count != b.value.count ? a.value.count < b.value.count : a.key.count > b.key.count
        }!
        let reference = majority.value[0].nodes!
        if bySignature.count > 1 {
            for (sig, group) in bySignature where sig != majority.key {
                let differences = describeDifference(Set(sig), from: Set(majority.key))
                for view in group {
                    problems.append(ClusterProblem(
                        .disagreement,
                        "\(view.askedAddress) sees a different topology than \(majority.value.count) of \(answered.count) nodes (\(differences)). Usually this settles within seconds after a failover or resharding; if it persists, run CLUSTER NODES on each node and fix the odd one out (redis-cli --cluster fix).",
                        node: view.askedAddress))
                }
            }
        }

        // Replication offsets and reachability per node.
        let primaryOffsets: [String: Int] = Dictionary(
            reference.compactMap { line in
                guard line.isPrimary, let i = viewOfNode[line.id], let o = views[i].replicationOffset else { return nil }
                return (line.id, o)
            }, uniquingKeysWith: { a, _ in a })
        var reports: [ClusterNodeReport] = []
        for line in reference {
            let view = viewOfNode[line.id].map { views[$0] }
            let reachable = view?.nodes != nil
            let offset = reachable ? view?.replicationOffset : nil
            var lag: Int?
            if !line.isPrimary, let offset, let p = line.primaryID, let po = primaryOffsets[p] { lag = max(0, po - offset) }
            reports.append(ClusterNodeReport(
                id: line.id, address: line.address, announcedHostname: line.hostname,
                role: line.isPrimary ? "primary" : "replica", primaryID: line.primaryID,
                slots: line.slots.map { [$0.lowerBound, $0.upperBound] }, linkState: line.linkState,
                flags: line.flags.filter { $0 != "myself" }, replicationOffset: offset, lag: lag,
                reachable: reachable, error: reachable ? nil : (view?.error ?? "not asked: the node has no address")))
        }
        reports = ordered(reports)

        // Slot coverage: in the common view, and in each node's own (a node that thinks a
        // slot has no owner answers CLUSTERDOWN for it, whatever the others think).
        let covered = coverage(reference)
        let coveredCount = covered.lazy.filter { $0 }.count
        if coveredCount < HashSlot.count {
            let missing = ranges(of: covered.indices.filter { !covered[$0] })
            problems.append(ClusterProblem(
                .uncoveredSlots,
                "\(HashSlot.count - coveredCount) of \(HashSlot.count) slots have no node (\(format(missing))): keys in them fail with CLUSTERDOWN. Assign them to a primary with CLUSTER ADDSLOTSRANGE, or run redis-cli --cluster fix."))
        }
        for view in answered {
            let own = coverage(view.nodes!)
            let missing = ranges(of: own.indices.filter { !own[$0] && covered[$0] })
            if !missing.isEmpty {
                problems.append(ClusterProblem(
                    .uncoveredSlots,
                    "\(view.askedAddress) sees no node for slots \(format(missing)), which the others assign: it answers CLUSTERDOWN for them. Assign them on that node (CLUSTER ADDSLOTS / CLUSTER SETSLOT … NODE), or run redis-cli --cluster fix.",
                    node: view.askedAddress))
            }
        }

        // Cluster state.
        let states = answered.compactMap { v in v.info["cluster_state"].map { (v.askedAddress, $0) } }
        let state = states.first { $0.1 != "ok" }?.1 ?? states.first?.1
        for (address, s) in states where s != "ok" {
            problems.append(ClusterProblem(
                .clusterStateFail,
                "\(address) reports cluster_state:\(s): it refuses commands. Usually slots are uncovered or a primary is down without a replica to take over; see the other problems.",
                node: address))
        }

        // Failing and unreachable nodes.
        for node in reports {
            let name = node.address.isEmpty ? node.id : node.address
            if node.flags.contains("fail") || node.flags.contains("fail?") {
                let flag = node.flags.contains("fail") ? "fail" : "fail? (suspected)"
                problems.append(ClusterProblem(
                    .nodeFailing,
                    "The cluster marks \(node.role) \(name) as \(flag). Check that its process (or pod) runs and can reach the others on the cluster bus port; if it is gone for good, remove it with CLUSTER FORGET \(node.id) on every node.",
                    node: name))
            }
            if !node.reachable {
                let announced = node.announcedHostname.map { "\($0) (\(name))" } ?? name
                let hint = mappedAddresses.contains(name) || node.announcedHostname.map { mappedAddresses.contains($0) } == true
                    ? "Check the address map entry for it and that the node runs."
                    : "If the cluster announces addresses only valid inside its own network (NAT, Docker, Kubernetes), give an address map from announced to reachable addresses (RedisClusterOptions.addressMap, --address-map ANNOUNCED=REACHABLE); otherwise check that the node runs."
                problems.append(ClusterProblem(
                    .nodeUnreachable,
                    "The announced address of \(node.role) \(announced) cannot be reached from here (\(node.error ?? "no answer")). \(hint)",
                    node: name))
            }
        }

        // Replicas.
        for node in reports where node.isPrimary && !node.slots.isEmpty && !node.flags.contains("fail") {
            let replicas = reports.filter { $0.primaryID == node.id && !$0.flags.contains("fail") && !$0.flags.contains("fail?") }
            if replicas.isEmpty {
                problems.append(ClusterProblem(
                    .primaryWithoutReplica,
                    "Primary \(node.address) (slots \(format(node.slots.map { $0[0]...$0[1] }))) has no working replica: if it fails, its slots are lost. Add one with redis-cli --cluster add-node NEW \(node.address) --cluster-slave --cluster-master-id \(node.id), or CLUSTER REPLICATE \(node.id) on a spare node.",
                    node: node.address))
            }
        }

        // Slots in motion, as each node says about itself.
        let addressOfID = Dictionary(reference.map { ($0.id, $0.address) }, uniquingKeysWith: { a, _ in a })
        func name(_ id: String) -> String { addressOfID[id].map { $0.isEmpty ? id : $0 } ?? id }
        var seen = Set<String>()
        for view in answered {
            guard let me = view.myself, seen.insert(me.id).inserted else { continue }
            for (slot, target) in me.migrating.sorted(by: { $0.key < $1.key }) {
                problems.append(ClusterProblem(
                    .migratingSlot,
                    "Slot \(slot) is migrating from \(name(me.id)) to \(name(target)). If no resharding is running, finish it: MIGRATE the remaining keys, then CLUSTER SETSLOT \(slot) NODE \(target) on both nodes (or redis-cli --cluster fix).",
                    node: name(me.id)))
            }
            for (slot, source) in me.importing.sorted(by: { $0.key < $1.key }) {
                problems.append(ClusterProblem(
                    .importingSlot,
                    "Slot \(slot) is importing into \(name(me.id)) from \(name(source)). If no resharding is running, finish it with CLUSTER SETSLOT \(slot) NODE \(me.id) on both nodes (or redis-cli --cluster fix).",
                    node: name(me.id)))
            }
        }

        return ClusterReport(
            nodes: reports, problems: problems, clusterState: state, coveredSlots: coveredCount,
            info: answered.first { !$0.info.isEmpty }?.info ?? [:])
    }

    /// Which slots a view assigns to a primary.
    static func coverage(_ lines: [ClusterNodesLine]) -> [Bool] {
        var covered = [Bool](repeating: false, count: HashSlot.count)
        for line in lines where line.isPrimary { for r in line.slots { for s in r { covered[s] = true } } }
        return covered
    }

    /// What two nodes must agree on: IDs, roles, replication and slots (not flags such as
    /// `fail?`, epochs or link states, which legitimately differ for a while).
    static func signature(_ lines: [ClusterNodesLine]) -> [String] {
        lines.map { line in
            let slots = line.slots.sorted { $0.lowerBound < $1.lowerBound }.map { "\($0.lowerBound)-\($0.upperBound)" }
            return "\(line.id) \(line.isPrimary ? "primary" : "replica-of-\(line.primaryID ?? "?")") \(slots.joined(separator: ","))"
        }.sorted()
    }

    static func describeDifference(_ other: Set<String>, from majority: Set<String>) -> String {
        func short(_ entry: String) -> String {
            let parts = entry.split(separator: " ", maxSplits: 2)
            let id = parts.first.map { String($0.prefix(8)) } ?? "?"
            let role = parts.count > 1 ? parts[1].replacingPrefix("replica-of-", "replica of ").prefix(19) : ""
            let slots = parts.count > 2 ? " slots \(parts[2])" : ""
            return "\(id) \(role)\(slots)"
        }
        let extra = other.subtracting(majority).sorted().map(short)
        let missing = majority.subtracting(other).sorted().map(short)
        var parts: [String] = []
        if !extra.isEmpty { parts.append("it has: " + extra.joined(separator: "; ")) }
        if !missing.isEmpty { parts.append("the others have: " + missing.joined(separator: "; ")) }
        return parts.joined(separator: "; ")
    }

    /// Primaries by first slot, each followed by its replicas; then the rest.
    static func ordered(_ nodes: [ClusterNodeReport]) -> [ClusterNodeReport] {
        let primaries = nodes.filter(\.isPrimary).sorted { a, b in
            (a.slots.first?.first ?? Int.max, a.address) < (b.slots.first?.first ?? Int.max, b.address)
        }
        var result: [ClusterNodeReport] = []
        for p in primaries {
            result.append(p)
            result += nodes.filter { !$0.isPrimary && $0.primaryID == p.id }.sorted { $0.address < $1.address }
        }
        let placed = Set(result.map(\.id))
        result += nodes.filter { !placed.contains($0.id) }.sorted { $0.address < $1.address }
        return result
    }

    /// Sorted slots to inclusive ranges.
    static func ranges(of slots: [Int]) -> [ClosedRange<Int>] {
        var result: [ClosedRange<Int>] = []
        for s in slots {
            if let last = result.last, last.upperBound + 1 == s {
                result[result.count - 1] = last.lowerBound...s
            } else {
                result.append(s...s)
            }
        }
        return result
    }

    /// `0-5460,5462`: ranges as `CLUSTER NODES` prints them (at most 10, then `…`).
    public static func format(_ ranges: [ClosedRange<Int>]) -> String {
        let text = ranges.prefix(10).map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
        return text.joined(separator: ",") + (ranges.count > 10 ? ",…" : "")
    }
}

extension Substring {
    fileprivate func replacingPrefix(_ prefix: String, _ replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : String(self)
    }
}
