import RedisProvider

extension DiagnosisRules {
    /// A node's round trip as measured by the doctor: the median of a few `PING`s, or why
    /// it could not be measured.
    public typealias RoundTrips = [String: Result<Duration, RedisError>]

    /// Where the doctor reaches a node of a report: its announced host name, else its
    /// address, rewritten by the address map (`nil` for a node without an address).
    public static func endpoint(of node: ClusterNodeReport, addressMap: [RedisEndpoint: RedisEndpoint]) -> RedisEndpoint? {
        guard !node.address.isEmpty, let ip = try? RedisURL.parseHostPort(Substring(node.address)) else { return nil }
        let named = node.announcedHostname.map { RedisEndpoint(host: $0, port: ip.port) }
        if let named, let mapped = addressMap[named] { return mapped }
        if let mapped = addressMap[ip] { return mapped }
        return named ?? ip
    }

    /// `true` when the inspection could not find a cluster at all (no node answered, or the
    /// server runs without cluster support): the node checks have nothing to work on.
    public static func clusterUnavailable(_ report: ClusterReport) -> Bool {
        report.clusterState == nil || !report.problems(.notACluster).isEmpty
    }

    /// The cluster's own verdict (`cluster_state` of every node asked).
    public static func clusterStateStep(_ report: ClusterReport) -> DiagnosisStep {
        if let notCluster = report.problems(.notACluster).first {
            return DiagnosisStep(
                "Cluster state", .failed, notCluster.message,
                fix: "Remove cluster=true from the URL (or set ?cluster=false) to use this server as a standalone one, or point the URL at a Redis Cluster node.")
        }
        guard let state = report.clusterState else {
            let why = report.problems(.noClusterNode).first?.message ?? "no cluster node answered CLUSTER NODES"
            return DiagnosisStep("Cluster state", .failed, why, fix: DiagnosisHints.clusterNotReady)
        }
        let nodes = report.info["cluster_known_nodes"].map { ", \($0) known nodes" } ?? ""
        let size = report.info["cluster_size"].map { ", \($0) shards serving slots" } ?? ""
        if state == "ok", report.problems(.clusterStateFail).isEmpty {
            return DiagnosisStep("Cluster state", .ok, "cluster_state:ok\(nodes)\(size)")
        }
        let who = report.problems(.clusterStateFail).compactMap(\.node)
        let detail = "cluster_state:\(state == "ok" ? "fail" : state)" + (who.isEmpty ? "" : " at \(who.joined(separator: ", "))")
        return DiagnosisStep("Cluster state", .failed, detail + nodes, fix: DiagnosisHints.clusterNotReady)
    }

    /// Whether a primary serves every slot; slots in migration are a warning.
    public static func slotCoverageSteps(_ report: ClusterReport) -> [DiagnosisStep] {
        var steps: [DiagnosisStep] = []
        let primaries = report.nodes.filter { $0.isPrimary && $0.slotCount > 0 }.count
        if let uncovered = report.problems(.uncoveredSlots).first {
            steps.append(DiagnosisStep("Slot coverage", .failed, uncovered.message, fix: DiagnosisHints.uncoveredSlots))
        } else if report.coveredSlots < HashSlot.count {
            steps.append(
                DiagnosisStep(
                    "Slot coverage", .failed, "\(report.coveredSlots) of \(HashSlot.count) slots have a node",
                    fix: DiagnosisHints.uncoveredSlots))
        } else {
            steps.append(DiagnosisStep("Slot coverage", .ok, "all \(HashSlot.count) slots served by \(primaries) primar\(primaries == 1 ? "y" : "ies")"))
        }
        let moving = report.problems(.migratingSlot) + report.problems(.importingSlot)
        if !moving.isEmpty {
            steps.append(
                DiagnosisStep(
                    "Slot migrations", .warning, moving.map(\.message).joined(separator: " "),
                    fix: "Wait for a running resharding to finish; else finish or roll back the migration (redis-cli --cluster fix)."))
        }
        let disagreements = report.problems(.disagreement)
        if !disagreements.isEmpty {
            steps.append(
                DiagnosisStep(
                    "Topology agreement", .warning, disagreements.map(\.message).joined(separator: " "),
                    fix: "Wait a few seconds and check again; if it persists, compare CLUSTER NODES on each node."))
        }
        return steps
    }

    /// One step per node: reachable at its (mapped) announced address with its round trip,
    /// or why not. An unreachable node the cluster marks failed is a warning (the cluster
    /// knows and routes around it); one it believes healthy is a failure, with the address
    /// map as the likely fix.
    public static func nodeSteps(
        _ report: ClusterReport, roundTrips: RoundTrips, addressMap: [RedisEndpoint: RedisEndpoint]
    ) -> [DiagnosisStep] {
        report.nodes.map { node in
            let announced = node.announcedHostname.map { h in
                RedisEndpoint(host: h, port: (try? RedisURL.parseHostPort(Substring(node.address)))?.port ?? 0).description
            } ?? (node.address.isEmpty ? node.id : node.address)
            let name = "Node \(announced)"
            let reach = endpoint(of: node, addressMap: addressMap)
            let mapped = reach.map { $0.description != announced } ?? false
            let failing = node.flags.contains("fail") || node.flags.contains("fail?")
            var role = node.isPrimary ? "primary" : "replica"
            if node.slotCount > 0 { role += ", slots " + ClusterDiagnosis.format(node.slots.map { $0[0]...$0[1] }) }
            if let lag = node.lag, lag > 0 { role += ", \(lag) bytes behind its primary" }
            if mapped, let reach { role += ", reached at \(reach)" }
            let measured = roundTrips[node.id]
            if node.reachable, case .success(let rtt)? = measured {
                if failing {
                    return DiagnosisStep(
                        name, .warning, "\(role); answers, but the cluster flags it \(node.flags.joined(separator: ","))",
                        fix: "Check that it reaches the other nodes on the cluster bus port.", duration: rtt)
                }
                return DiagnosisStep(name, .ok, "\(role), round trip \(format(rtt))", duration: rtt)
            }
            let errorKind: RedisError.Kind? = if case .failure(let e)? = measured { e.kind } else { nil }
            let error: String = if !node.reachable { node.error ?? "no answer" } else if case .failure(let e)? = measured { e.message } else { "no answer" }
            if failing {
                return DiagnosisStep(
                    name, .warning, "\(role); down, and the cluster flags it \(node.flags.joined(separator: ",")): \(error)",
                    fix: "Restart the node (its pod), or if it is gone for good remove it with CLUSTER FORGET \(node.id) on every node.")
            }
            return DiagnosisStep(
                name, .failed, "\(role); cannot be reached: \(error)",
                fix: DiagnosisHints.unreachableNode(
                    announced: announced, reachable: reach?.description ?? announced, kind: errorKind, mapped: mapped))
        }
    }

    /// Every primary serving slots has a working replica.
    public static func rolesStep(_ report: ClusterReport) -> DiagnosisStep {
        let primaries = report.nodes.filter { $0.isPrimary && $0.slotCount > 0 }
        let replicas = report.nodes.filter { !$0.isPrimary && !$0.flags.contains("fail") }
        let counts = "\(primaries.count) primar\(primaries.count == 1 ? "y" : "ies") with slots, \(replicas.count) working replica\(replicas.count == 1 ? "" : "s")"
        let lonely = report.problems(.primaryWithoutReplica)
        if lonely.isEmpty {
            return DiagnosisStep("Roles and replicas", .ok, counts + "; every primary has a replica")
        }
        let which = lonely.compactMap(\.node).joined(separator: ", ")
        return DiagnosisStep(
            "Roles and replicas", .warning, "\(counts); no working replica for \(which)", fix: DiagnosisHints.primaryWithoutReplica)
    }

    /// The spread of round trips over the nodes that answered; a slow node is a warning.
    public static func latencyStep(_ report: ClusterReport, roundTrips: RoundTrips, slow: Duration) -> DiagnosisStep {
        let measured = report.nodes.compactMap { node -> (String, Duration)? in
            guard case .success(let d)? = roundTrips[node.id] else { return nil }
            return (node.address, d)
        }.sorted { $0.1 < $1.1 }
        guard let fastest = measured.first, let slowest = measured.last else {
            return DiagnosisStep("Latency", .skipped, "skipped: no node answered PING")
        }
        let median = measured[measured.count / 2].1
        let detail = "\(measured.count) node\(measured.count == 1 ? "" : "s"): fastest \(format(fastest.1)), median \(format(median)), slowest \(format(slowest.1)) (\(slowest.0))"
        if slowest.1 > slow {
            return DiagnosisStep(
                "Latency", .warning, detail,
                fix: "\(slowest.0) answers slower than \(format(slow)): check its load (INFO commandstats, SLOWLOG GET) and the network path to it.")
        }
        return DiagnosisStep("Latency", .ok, detail)
    }
}

extension DiagnosisRules {
    /// A report from one node's `CLUSTER INFO` alone, for the quick check of a probe.
    public static func clusterInfoReport(_ info: Result<[String: String], RedisError>, node: RedisEndpoint) -> ClusterReport {
        switch info {
        case .success(let fields):
            return ClusterReport(
                nodes: [], problems: [], clusterState: fields["cluster_state"],
                coveredSlots: Int(fields["cluster_slots_ok"] ?? "") ?? 0, info: fields)
        case .failure(let error):
            let kind: ClusterProblem.Kind = error.message.lowercased().contains("cluster support disabled") ? .notACluster : .noClusterNode
            let message = kind == .notACluster
                ? "\(node) is not a cluster node: it runs without cluster support (\(error.message))."
                : "CLUSTER INFO failed at \(node): \(error.message)"
            return ClusterReport(
                nodes: [], problems: [ClusterProblem(kind, message, node: node.description)], clusterState: nil, coveredSlots: 0)
        }
    }
}
