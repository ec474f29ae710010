import Foundation
import RESP
import RedisProvider
import RedisProviderTestSupport
import Testing
@testable import RedisProviderOperations

/// `redis-provider cluster nodes|slots|info|check` and `scan`, run as a user would, against
/// a real standalone server and real clusters.
@Suite(.serialized) struct ClusterCLITests {
    static func cli(_ arguments: [String]) async throws -> CLITests.Run { try await CLITests.cli(arguments) }

    /// Runs `check` until `done` accepts its result (at most `attempts` times, 200 ms apart):
    /// the cluster's gossip takes a moment to spread a change.
    static func check(
        _ url: String, _ extra: [String] = [], attempts: Int = 100, until done: (CLITests.Run) -> Bool
    ) async throws -> CLITests.Run {
        var run = try await cli(["cluster", "check", "--url", url, "--timeout", "2"] + extra)
        for _ in 1..<attempts where !done(run) {
            try await Task.sleep(for: .milliseconds(200))
            run = try await cli(["cluster", "check", "--url", url, "--timeout", "2"] + extra)
        }
        return run
    }

    @Test func standaloneServerIsNotACluster() async throws {
        try await withServer { server in
            for sub in ["nodes", "slots", "info", "check"] {
                let run = try await Self.cli(["cluster", sub, "--url", server.url])
                #expect(run.status == 1, "\(sub): \(run.stderr)")
                #expect((run.text + run.stderr).contains("is not a cluster node"), "\(sub): \(run.text) \(run.stderr)")
            }
            let json = try await Self.cli(["cluster", "check", "--json", "--url", server.url])
            let report = try JSONDecoder().decode(ClusterReport.self, from: json.stdout)
            #expect(json.status == 1 && report.problems.map(\.kind) == [.notACluster])
            let nothing = try await Self.cli(["cluster", "check", "--url", "redis://127.0.0.1:1", "--timeout", "1"])
            #expect(nothing.status == 3 && nothing.text.contains("noClusterNode"), "\(nothing.text)")
        }
    }

    @Test func scanStandaloneByPatternAndType() async throws {
        try await withClient { client, server in
            for i in 0..<30 { try await client.set("scan:s:\(i)", "v") }
            for i in 0..<5 { try await client.hset("scan:h:\(i)", field: "f", value: "v") }
            try await client.set("other", "v")
            let all = try await Self.cli(["scan", "--url", server.url, "--match", "scan:*", "--count", "7"])
            #expect(all.status == 0)
            #expect(Set(all.text.split(separator: "\n").map(String.init)) == Set((0..<30).map { "scan:s:\($0)" } + (0..<5).map { "scan:h:\($0)" }))
            let hashes = try await Self.cli(["scan", "--url", server.url, "--type", "hash"])
            #expect(hashes.text.split(separator: "\n").sorted() == (0..<5).map { "scan:h:\($0)" })
            let bad = try await Self.cli(["scan", "--url", server.url, "--count", "0"])
            #expect(bad.status == 2 && bad.stderr.contains("--count"))
        }
    }

    /// One cluster: healthy, then a slot left uncovered, then a replica killed.
    @Test(arguments: ClusterServer.available) func healthyUncoveredSlotAndKilledNode(server: ClusterServer) async throws {
        try await withCluster(server) { client, cluster in
            let url = cluster.seedURL
            for i in 0..<100 { try await client.set("cli:\(i)", "v") }

            // Healthy: every subcommand.
            let check = try await Self.check(url) { $0.status == 0 }
            #expect(check.status == 0 && check.text.contains("healthy") && check.text.contains("16384/16384"), "\(check.text)")
            let nodes = try await Self.cli(["cluster", "nodes", "--url", url])
            #expect(nodes.status == 0)
            let lines = nodes.text.split(separator: "\n")
            #expect(lines.first?.hasPrefix("ROLE") == true && lines.filter { $0.hasPrefix("primary") }.count == 3 && lines.filter { $0.hasPrefix("replica") }.count == 3, "\(nodes.text)")
            for node in cluster.nodes { #expect(nodes.text.contains(node.endpoint.description)) }
            // Columns line up: every row starts its ADDRESS where the header does.
            let column = lines[0].range(of: "ADDRESS")!.lowerBound.utf16Offset(in: lines[0])
            for line in lines.dropFirst().prefix(6) { #expect(line.dropFirst(column).hasPrefix("127.0.0.1:"), "\(line)") }
            let nodesJSON = try JSONDecoder().decode([ClusterNodeReport].self, from: try await Self.cli(["cluster", "nodes", "--json", "--url", url]).stdout)
            #expect(nodesJSON.count == 6 && nodesJSON.filter(\.isPrimary).map(\.slotCount).reduce(0, +) == 16384)
            #expect(nodesJSON.filter { !$0.isPrimary }.allSatisfy { $0.lag != nil && $0.primaryID != nil })
            let slots = try await Self.cli(["cluster", "slots", "--url", url])
            #expect(slots.status == 0 && slots.text.contains("0-5460") && slots.text.contains("10923-16383") && !slots.text.contains("(none)"), "\(slots.text)")
            let info = try await Self.cli(["cluster", "info", "--url", url])
            #expect(info.status == 0 && info.text.contains("cluster_state") && info.text.contains("3 primaries, 3 replicas"), "\(info.text)")
            let scan = try await Self.cli(["scan", "--url", url, "--match", "cli:*"])
            #expect(scan.status == 0 && Set(scan.text.split(separator: "\n").map(String.init)) == Set((0..<100).map { "cli:\($0)" }))
            // A single node's URL is recognised as a cluster and scanned cluster-wide.
            let single = try await Self.cli(["scan", "--url", cluster.nodes[0].url, "--match", "cli:*"])
            #expect(single.text.split(separator: "\n").count == 100 && single.stderr.contains("cluster node"))

            // A slot left uncovered: its owner deletes it, then every node (gossip spreads
            // claims, not their absence).
            let owner = try await cluster.node(owningSlot: 100)
            let ownerIndex = try #require(cluster.index(of: owner))
            try await cluster.call(ownerIndex, RESPCommand("CLUSTER", "DELSLOTS", 100))
            let ownerOnly = try await Self.cli(["cluster", "check", "--url", url])
            #expect(ownerOnly.status == 1 && ownerOnly.text.contains("\(owner.endpoint) sees no node for slots 100"), "\(ownerOnly.text)")
            for i in cluster.nodes.indices where i != ownerIndex {
                try await cluster.call(i, RESPCommand("CLUSTER", "DELSLOTS", 100))
            }
            let uncovered = try await Self.check(url) { $0.text.contains("uncoveredSlots") && !$0.text.contains("disagreement") }
            #expect(uncovered.status == 1)
            #expect(uncovered.text.contains("uncoveredSlots") && uncovered.text.contains("(100)") && uncovered.text.contains("ADDSLOTS"), "\(uncovered.text)")
            let gap = try await Self.cli(["cluster", "slots", "--url", url])
            #expect(gap.text.contains("100-100") && gap.text.contains("(none)"), "\(gap.text)")
            let json = try JSONDecoder().decode(ClusterReport.self, from: try await Self.cli(["cluster", "check", "--json", "--url", url]).stdout)
            #expect(!json.isHealthy && json.coveredSlots == 16383)
            try await cluster.call(ownerIndex, RESPCommand("CLUSTER", "ADDSLOTS", 100))
            let healed = try await Self.check(url) { $0.status == 0 }
            #expect(healed.status == 0, "\(healed.text)")

            // A replica killed: unreachable at once, then failing, and its primary has no replica.
            let replica = try #require(try await cluster.replicas().first)
            cluster.kill(replica)
            let killed = try await Self.check(url) { $0.text.contains("nodeFailing") && $0.text.contains("primaryWithoutReplica") }
            #expect(killed.status == 1)
            #expect(killed.text.contains("nodeUnreachable") && killed.text.contains(replica.endpoint.description), "\(killed.text)")
            #expect(killed.text.contains("nodeFailing") && killed.text.contains("primaryWithoutReplica"), "\(killed.text)")
            let table = try await Self.cli(["cluster", "nodes", "--url", url])
            let row = table.text.split(separator: "\n").first { $0.contains(replica.endpoint.description) }
            #expect(row?.contains("unreachable") == true && row?.contains("fail") == true, "\(table.text)")
        }
    }

    /// Announced host names that do not resolve here: the check says so and suggests the
    /// address map; with the map it is healthy.
    @Test(arguments: ClusterServer.available) func announcedHostnamesNeedTheAddressMap(server: ClusterServer) async throws {
        var options = RedisCluster.Options()
        options.binary = server.binary
        options.announceHostnames = true
        let cluster = try await RedisCluster.start(options)
        defer { cluster.stop() }
        let url = cluster.nodes[0].url
        let unmapped = try await Self.cli(["cluster", "check", "--url", url, "--timeout", "2"])
        #expect(unmapped.status == 1)
        #expect(unmapped.text.contains("nodeUnreachable") && unmapped.text.contains("node-0.cluster.invalid") && unmapped.text.contains("--address-map"), "\(unmapped.text)")
        let nodes = try await Self.cli(["cluster", "nodes", "--url", url, "--timeout", "2"])
        #expect(nodes.text.contains("node-5.cluster.invalid") && nodes.text.contains("unreachable"), "\(nodes.text)")

        let map = cluster.nodes.map { "\(cluster.announcedEndpoint(of: $0))=\($0.endpoint)" }.joined(separator: ",")
        let mapped = try await Self.check(url, ["--address-map", map]) { $0.status == 0 }
        #expect(mapped.status == 0 && mapped.text.contains("healthy"), "\(mapped.text)")
        let bad = try await Self.cli(["cluster", "check", "--url", url, "--address-map", "nonsense"])
        #expect(bad.status == 2 && bad.stderr.contains("--address-map"), "\(bad.stderr)")
    }
}
