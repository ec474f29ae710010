import Foundation
import Testing

@testable import RedisProviderOperations
@testable import RedisProvider

/// The `CLUSTER NODES` parser and the problem rules, on hand-written replies.
@Suite struct ClusterInspectionTests {
    static let a = String(repeating: "a", count: 40)
    static let b = String(repeating: "b", count: 40)
    static let c = String(repeating: "c", count: 40)
    static let ra = String(repeating: "1", count: 40)
    static let rb = String(repeating: "2", count: 40)
    static let rc = String(repeating: "3", count: 40)

    /// A healthy 3+3 cluster as node `me` prints it.
    static func healthy(me: String = a, extra: [String: String] = [:]) -> String {
        let lines: [(String, String)] = [
            (a, "\(a) 127.0.0.1:7000@17000 master - 0 0 1 connected 0-5460"),
            (b, "\(b) 127.0.0.1:7001@17001 master - 0 0 2 connected 5461-10922"),
            (c, "\(c) 127.0.0.1:7002@17002 master - 0 0 3 connected 10923-16383"),
            (ra, "\(ra) 127.0.0.1:7003@17003 slave \(a) 0 0 1 connected"),
            (rb, "\(rb) 127.0.0.1:7004@17004 slave \(b) 0 0 2 connected"),
            (rc, "\(rc) 127.0.0.1:7005@17005 slave \(c) 0 0 3 connected"),
        ]
        return lines.map { id, line in
            var line = extra[id] ?? line
            if id == me { line = line.replacingOccurrences(of: " master ", with: " myself,master ").replacingOccurrences(of: " slave ", with: " myself,slave ") }
            return line
        }.joined(separator: "\n") + "\n"
    }

    static func view(_ text: String, at port: Int, state: String = "ok", offset: Int? = 100) throws -> ClusterNodeView {
        ClusterNodeView(
            askedAddress: "127.0.0.1:\(port)", nodes: try ClusterNodesLine.parseAll(text), info: ["cluster_state": state],
            replicationOffset: offset)
    }

    static var ids: [String] { [a, b, c, ra, rb, rc] }

    /// Every node asked and answering with `text(id)`.
    static func report(_ text: (String) -> String, offsets: [String: Int] = [:], state: String = "ok") throws -> ClusterReport {
        var views: [ClusterNodeView] = []
        var viewOfNode: [String: Int] = [:]
        for (i, id) in ids.enumerated() {
            viewOfNode[id] = views.count
            views.append(try view(text(id), at: 7000 + i, state: state, offset: offsets[id] ?? 100))
        }
        return ClusterDiagnosis.report(views: views, viewOfNode: viewOfNode)
    }

    @Test func parsesEveryPartOfALine() throws {
        let line = try ClusterNodesLine(parsing: "\(Self.a) 10.42.9.221:6379@16379,redis-0.redis.svc,shard-id=abc myself,master - 0 1700000000000 7 connected 0-100 200 [300->-\(Self.b)] [301-<-\(Self.c)]")
        #expect(line.id == Self.a)
        #expect(line.host == "10.42.9.221" && line.port == 6379 && line.busPort == 16379)
        #expect(line.hostname == "redis-0.redis.svc")
        #expect(line.flags == ["myself", "master"] && line.isMyself && line.isPrimary && !line.isFailing)
        #expect(line.primaryID == nil && line.configEpoch == 7 && line.linkState == "connected")
        #expect(line.slots == [0...100, 200...200])
        #expect(line.migrating == [300: Self.b] && line.importing == [301: Self.c])
        #expect(line.address == "10.42.9.221:6379")
    }

    @Test func parsesIPv6ReplicasFailingAndAddresslessNodes() throws {
        let v6 = try ClusterNodesLine(parsing: "\(Self.ra) ::1:7003@17003 slave,fail? \(Self.a) 0 0 1 disconnected")
        #expect(v6.host == "::1" && v6.port == 7003 && v6.address == "[::1]:7003")
        #expect(!v6.isPrimary && v6.isFailing && v6.primaryID == Self.a && v6.linkState == "disconnected")
        let noHostname = try ClusterNodesLine(parsing: "\(Self.a) 127.0.0.1:7000@17000,,shard-id=x master,fail - 0 0 1 connected")
        #expect(noHostname.hostname == nil && noHostname.flags == ["master", "fail"])
        let noaddr = try ClusterNodesLine(parsing: "\(Self.b) :0@0 master,noaddr - 0 0 0 disconnected")
        #expect(noaddr.host.isEmpty && noaddr.address.isEmpty)
        let noflags = try ClusterNodesLine(parsing: "\(Self.b) 127.0.0.1:1@2 noflags - 0 0 0 connected")
        #expect(noflags.flags.isEmpty)
    }

    @Test(arguments: [
        "abc 127.0.0.1:7000@17000 master - 0 0",
        "abc nohostport master - 0 0 1 connected",
        "abc 127.0.0.1:x@17000 master - 0 0 1 connected",
        "abc 127.0.0.1:7000@17000 master - 0 0 x connected",
        "abc 127.0.0.1:7000@17000 master - 0 0 1 connected 10-5",
        "abc 127.0.0.1:7000@17000 master - 0 0 1 connected 16384",
        "abc 127.0.0.1:7000@17000 master - 0 0 1 connected [300=>-x]",
        "abc 127.0.0.1:7000@17000 master - 0 0 1 connected [300->-x",
    ])
    func rejectsMalformedLinesWithATypedError(line: String) {
        #expect {
            _ = try ClusterNodesLine(parsing: Substring(line))
        } throws: { ($0 as? RedisError)?.kind == .protocolViolation && "\($0)".contains("CLUSTER NODES") }
    }

    @Test func infoFieldsAndOffsets() {
        let info = InfoFields.parse("# Replication\r\nrole:slave\r\nmaster_repl_offset:120\r\nslave_repl_offset:110\r\n\r\n")
        #expect(info["role"] == "slave")
        #expect(InfoFields.replicationOffset(info) == 110)
        #expect(InfoFields.replicationOffset(["role": "master", "master_repl_offset": "120"]) == 120)
        #expect(InfoFields.parse("cluster_state:ok\ncluster_slots_assigned:16384")["cluster_slots_assigned"] == "16384")
    }

    @Test func aHealthyClusterHasNoProblems() throws {
        let report = try Self.report({ Self.healthy(me: $0) }, offsets: [Self.a: 500, Self.ra: 480])
        #expect(report.problems == [], "\(report.problems)")
        #expect(report.isHealthy && report.coveredSlots == 16384 && report.clusterState == "ok")
        #expect(report.nodes.map(\.id) == [Self.a, Self.ra, Self.b, Self.rb, Self.c, Self.rc])
        #expect(report.nodes[0].role == "primary" && report.nodes[0].slots == [[0, 5460]])
        #expect(report.nodes[1].role == "replica" && report.nodes[1].primaryID == Self.a && report.nodes[1].lag == 20)
        #expect(report.nodes.allSatisfy { $0.reachable && !$0.flags.contains("myself") })
        let json = try JSONEncoder().encode(report)
        let decoded = try JSONDecoder().decode(ClusterReport.self, from: json)
        #expect(decoded == report)
        #expect(String(decoding: json, as: UTF8.self).contains("\"healthy\":true"))
    }

    @Test func uncoveredSlotsAndClusterStateFail() throws {
        let extra = [Self.b: "\(Self.b) 127.0.0.1:7001@17001 master - 0 0 2 connected 5461-6000 6002-10922"]
        let report = try Self.report({ Self.healthy(me: $0, extra: extra) }, state: "fail")
        #expect(!report.isHealthy && report.coveredSlots == 16383)
        let uncovered = report.problems(.uncoveredSlots)
        #expect(uncovered.count == 1 && uncovered[0].message.contains("(6001)") && uncovered[0].message.contains("ADDSLOTS"))
        #expect(report.problems(.clusterStateFail).count == 6)
        #expect(ClusterDiagnosis.format(ClusterDiagnosis.ranges(of: [1, 2, 3, 7, 9, 10])) == "1-3,7,9-10")
    }

    @Test func aSlotOneNodeThinksUnownedIsReportedForThatNode() throws {
        // DELSLOTS on the owner only: it forgets slot 6001; the others still assign it.
        let extra = [Self.b: "\(Self.b) 127.0.0.1:7001@17001 master - 0 0 2 connected 5461-6000 6002-10922"]
        let report = try Self.report { id in Self.healthy(me: id, extra: id == Self.b ? extra : [:]) }
        #expect(report.coveredSlots == 16384)
        let uncovered = report.problems(.uncoveredSlots)
        #expect(uncovered.map(\.node) == ["127.0.0.1:7001"] && uncovered[0].message.contains("slots 6001"), "\(uncovered)")
        #expect(report.problems(.disagreement).map(\.node) == ["127.0.0.1:7001"])
        #expect(!report.isHealthy)
    }

    @Test func aKilledPrimaryIsFailingUnreachableAndLeavesItsReplicaPromoted() throws {
        // b was killed; rb took over. The others say so; b itself does not answer.
        let extra = [
            Self.b: "\(Self.b) 127.0.0.1:7001@17001 master,fail - 0 0 2 disconnected",
            Self.rb: "\(Self.rb) 127.0.0.1:7004@17004 master - 0 0 4 connected 5461-10922",
        ]
        var views: [ClusterNodeView] = []
        var viewOfNode: [String: Int] = [:]
        for (i, id) in Self.ids.enumerated() {
            viewOfNode[id] = views.count
            if id == Self.b {
                views.append(ClusterNodeView(askedAddress: "127.0.0.1:7001", nodes: nil, error: "Connection refused"))
            } else {
                views.append(try Self.view(Self.healthy(me: id, extra: extra), at: 7000 + i))
            }
        }
        let report = ClusterDiagnosis.report(views: views, viewOfNode: viewOfNode)
        #expect(report.coveredSlots == 16384)
        #expect(report.problems(.nodeFailing).map(\.node) == ["127.0.0.1:7001"])
        let unreachable = report.problems(.nodeUnreachable)
        #expect(unreachable.count == 1 && unreachable[0].message.contains("Connection refused") && unreachable[0].message.contains("address map"))
        #expect(report.problems(.primaryWithoutReplica).map(\.node) == ["127.0.0.1:7004"])
        #expect(report.problems(.disagreement).isEmpty)
        #expect(report.nodes.first { $0.id == Self.b }?.reachable == false)
    }

    @Test func aNodeWithAnotherViewDisagrees() throws {
        let stale = [Self.rc: "\(Self.rc) 127.0.0.1:7005@17005 master - 0 0 3 connected"]
        let report = try Self.report { id in
            Self.healthy(me: id, extra: id == Self.a ? stale : [:])
        }
        let disagreement = report.problems(.disagreement)
        #expect(disagreement.count == 1 && disagreement[0].node == "127.0.0.1:7000")
        #expect(disagreement[0].message.contains("5 of 6"))
        // The majority's view is the one reported.
        #expect(report.nodes.first { $0.id == Self.rc }?.role == "replica")
    }

    @Test func migratingAndImportingSlotsAreReportedOnce() throws {
        let extra = [
            Self.a: "\(Self.a) 127.0.0.1:7000@17000 master - 0 0 1 connected 0-5460 [42->-\(Self.b)]",
            Self.b: "\(Self.b) 127.0.0.1:7001@17001 master - 0 0 2 connected 5461-10922 [42-<-\(Self.a)]",
        ]
        let report = try Self.report { id in
            // Only the node itself prints its markers.
            Self.healthy(me: id, extra: extra.filter { $0.key == id })
        }
        #expect(report.problems(.migratingSlot).map(\.message).first?.contains("Slot 42 is migrating from 127.0.0.1:7000 to 127.0.0.1:7001") == true)
        #expect(report.problems(.importingSlot).count == 1)
        #expect(report.problems(.disagreement).isEmpty)
    }

    @Test func unmappedAnnouncedHostnamesSuggestTheAddressMap() throws {
        let text = Self.healthy(me: Self.a).replacingOccurrences(of: "@17000", with: "@17000,node-0.cluster.invalid")
        let seed = try Self.view(text, at: 7000)
        let line = try #require(seed.nodes?.first { $0.id == Self.a })
        let seedEndpoint = RedisEndpoint(host: "127.0.0.1", port: 7000)
        #expect(ClusterInspector.address(of: line, seed: seedEndpoint, addressMap: [:]).0 == RedisEndpoint(host: "node-0.cluster.invalid", port: 7000))
        let mapped = ClusterInspector.address(
            of: line, seed: seedEndpoint, addressMap: [RedisEndpoint(host: "node-0.cluster.invalid", port: 7000): RedisEndpoint(host: "127.0.0.1", port: 9000)])
        #expect(mapped.0 == RedisEndpoint(host: "127.0.0.1", port: 9000) && mapped.mapped)
        var views = [seed]
        views.append(ClusterNodeView(askedAddress: "node-0.cluster.invalid:7000", nodes: nil, error: "DNS lookup failed"))
        let report = ClusterDiagnosis.report(views: views, viewOfNode: [Self.a: 1])
        let problem = try #require(report.problems(.nodeUnreachable).first { $0.node == "127.0.0.1:7000" })
        #expect(problem.message.contains("node-0.cluster.invalid") && problem.message.contains("address map"))
        #expect(report.nodes.first { $0.id == Self.a }?.announcedHostname == "node-0.cluster.invalid")
    }

    @Test func noAnswerAtAllIsOneProblem() {
        let report = ClusterDiagnosis.report(
            views: [ClusterNodeView(askedAddress: "127.0.0.1:1", nodes: nil, error: "Connection refused")], viewOfNode: [:])
        #expect(!report.isHealthy && report.nodes.isEmpty && report.problems.map(\.kind) == [.noClusterNode])
    }
}
