import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#endif
import RedisProvider
import RedisProviderOperations

/// `redis-provider cluster nodes|slots|info|check`.
struct Cluster: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect a Redis Cluster: nodes, slots, state, and a health check.",
        discussion: """
            Every node the seeds know is asked directly (CLUSTER NODES, CLUSTER INFO, INFO
            replication), each bounded by --timeout. Announced addresses that cannot be
            reached from here (NAT, Kubernetes) can be rewritten with --address-map.

            Examples:
              redis-provider cluster nodes --url redis://127.0.0.1:7000
              redis-provider cluster slots --json
              redis-provider cluster check --url redis://redis-cluster.redis.svc.cluster.local:6379
              redis-provider cluster check --address-map node-0.redis:6379=127.0.0.1:7000,node-1.redis:6379=127.0.0.1:7001
            """,
        subcommands: [ClusterNodes.self, ClusterSlots.self, ClusterInfo.self, ClusterCheck.self]
    )
}

/// Options every `cluster` subcommand shares.
struct ClusterInspectOptions: ParsableArguments {
    @OptionGroup var connection: ConnectionOptions

    @Option(name: .customLong("address-map"), help: "Rewrite announced addresses: ANNOUNCED=REACHABLE[,…], each host:port.")
    var addressMap: String?

    @Option(help: "Seconds to wait for each node to connect and to answer each command.")
    var timeout: Double = 3

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func validate() throws {
        guard timeout > 0, timeout <= 600 else { throw ValidationError("--timeout must be between 0 and 600 seconds") }
    }

    /// Inspects the cluster the URL's hosts belong to (whatever its detected mode).
    func inspect() async throws -> ClusterReport {
        let settings = try await connection.settings()
        let url = settings.url!
        var map = settings.addressMap
        for (announced, reachable) in try DoctorOptions.addressMap(parsing: addressMap ?? "") { map[announced] = reachable }
        if isatty(STDERR_FILENO) == 1 {
            ClusterOutput.progress("inspecting the cluster at \(url.endpoints.map(\.description).joined(separator: ","))…")
        }
        return await ClusterInspector.inspect(
            seeds: url.endpoints, configuration: settings.clientConfiguration(), addressMap: map,
            timeout: .milliseconds(Int(timeout * 1000)))
    }

    /// For nodes/slots/info: stops with a message when there is nothing to show.
    func requireCluster(_ report: ClusterReport) throws {
        if let p = report.problems.first(where: { $0.kind == .notACluster }) {
            ClusterOutput.progress("error: \(p.message)")
            throw CLIExit(status: 1)
        }
        if let p = report.problems.first(where: { $0.kind == .noClusterNode }) {
            ClusterOutput.progress("error: \(p.message)")
            throw CLIExit(status: 3)
        }
    }
}

struct ClusterNodes: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nodes",
        abstract: "Every node: role, address, announced host name, slots, link state, replication lag.",
        discussion: """
            LAG is the primary's replication offset minus the replica's, in bytes.

            Examples:
              redis-provider cluster nodes --url redis://127.0.0.1:7000
              redis-provider cluster nodes --json | jq '.[] | select(.role == "replica") | .lag'
            """)

    @OptionGroup var options: ClusterInspectOptions

    func run() async throws {
        let report = try await options.inspect()
        try options.requireCluster(report)
        if options.json { return ClusterOutput.write(try ClusterOutput.json(report.nodes)) }
        let out = ClusterOutput()
        let table = ClusterReportText.nodesTable(report)
        ClusterOutput.write(table.render { row, column, text in
            let node = report.nodes[row]
            if column == 0 { return node.isPrimary ? out.bold(text) : text }
            if column == 7, !node.reachable || node.flags.contains(where: { $0.hasPrefix("fail") }) { return out.red(text) }
            return text
        })
        ClusterOutput.write(ClusterReportText.summary(report) + "\n")
    }
}

struct ClusterSlots: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slots",
        abstract: "Which primary and replicas serve each slot range; uncovered ranges show as (none).",
        discussion: """
            Examples:
              redis-provider cluster slots --url redis://127.0.0.1:7000
              redis-provider cluster slots --json
            """)

    @OptionGroup var options: ClusterInspectOptions

    func run() async throws {
        let report = try await options.inspect()
        try options.requireCluster(report)
        if options.json { return ClusterOutput.write(try ClusterOutput.json(ClusterReportText.slotRanges(report))) }
        let out = ClusterOutput()
        let ranges = ClusterReportText.slotRanges(report)
        ClusterOutput.write(ClusterReportText.slotsTable(report).render { row, column, text in
            column == 2 && ranges[row].primary == nil ? out.red(text) : text
        })
        ClusterOutput.write("\(report.coveredSlots)/\(HashSlot.count) slots covered\n")
    }
}

struct ClusterInfo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "The cluster's state (CLUSTER INFO) and a summary of its nodes.",
        discussion: """
            Examples:
              redis-provider cluster info --url redis://127.0.0.1:7000
              redis-provider cluster info --json
            """)

    @OptionGroup var options: ClusterInspectOptions

    struct JSONInfo: Encodable {
        var clusterState: String?
        var coveredSlots: Int
        var primaries: Int
        var replicas: Int
        var unreachable: Int
        var info: [String: String]
    }

    func run() async throws {
        let report = try await options.inspect()
        try options.requireCluster(report)
        let primaries = report.nodes.filter(\.isPrimary).count
        if options.json {
            return ClusterOutput.write(try ClusterOutput.json(JSONInfo(
                clusterState: report.clusterState, coveredSlots: report.coveredSlots, primaries: primaries,
                replicas: report.nodes.count - primaries, unreachable: report.nodes.filter { !$0.reachable }.count,
                info: report.info)))
        }
        let out = ClusterOutput()
        let table = TextTable(header: ["FIELD", "VALUE"], rows: report.info.sorted { $0.key < $1.key }.map { [$0.key, $0.value] })
        ClusterOutput.write(table.render { _, column, text in
            column == 1 && text == "fail" ? out.red(text) : text
        })
        ClusterOutput.write(ClusterReportText.summary(report) + "\n")
    }
}

struct ClusterCheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check the cluster's health; exit 0 only when healthy.",
        discussion: """
            Checks: all 16384 slots covered, cluster_state:ok, all nodes agree on the
            topology, every primary has a replica, no slot migrating or importing, no node
            failing, every announced address reachable from here. Each problem is printed
            with what to do about it.

            Exit status: 0 healthy, 1 problems found (or not a cluster), 2 usage error,
            3 no node answered.

            Examples:
              redis-provider cluster check --url redis://127.0.0.1:7000
              redis-provider cluster check --json
            """)

    @OptionGroup var options: ClusterInspectOptions

    func run() async throws {
        let report = try await options.inspect()
        if options.json {
            ClusterOutput.write(try ClusterOutput.json(report))
        } else {
            let out = ClusterOutput()
            if report.isHealthy {
                ClusterOutput.write(out.green("✓") + " healthy: " + ClusterReportText.summary(report) + "\n")
            } else {
                if !report.nodes.isEmpty { ClusterOutput.write(ClusterReportText.summary(report) + "\n") }
                ClusterOutput.write(out.red("✗") + " \(report.problems.count) problem\(report.problems.count == 1 ? "" : "s"):\n")
                for p in report.problems {
                    ClusterOutput.write("  " + out.red("✗") + " " + out.bold(p.kind.rawValue) + ": " + p.message + "\n")
                }
            }
        }
        if report.problems.contains(where: { $0.kind == .noClusterNode }) { throw CLIExit(status: 3) }
        if !report.isHealthy { throw CLIExit(status: 1) }
    }
}
