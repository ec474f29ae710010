import Foundation
import NIOCore
import RESP
import Testing

@testable import RedisProviderOperations
@testable import RedisProvider

/// The pure decisions of `redis-provider doctor`: statuses, hints, skipping, rendering.
@Suite struct DiagnosisRulesTests {
    @Test func kubernetesServiceNames() {
        #expect(DiagnosisHints.kubernetesService(of: "redis-cluster.redis.svc.cluster.local")! == ("redis-cluster", "redis"))
        #expect(DiagnosisHints.kubernetesService(of: "redis-cluster.redis.svc")! == ("redis-cluster", "redis"))
        #expect(
            DiagnosisHints.kubernetesService(of: "redis-cluster-ceph-0.redis-cluster.redis.svc.cluster.local")! == ("redis-cluster", "redis"))
        #expect(DiagnosisHints.kubernetesService(of: "cache.example.com") == nil)
        #expect(DiagnosisHints.kubernetesService(of: "svc.cluster.local") == nil)
        let hint = DiagnosisHints.dnsFailure(host: "redis-cluster.redis.svc.cluster.local")
        #expect(hint.contains("kubectl get svc redis-cluster -n redis"))
        #expect(hint.contains("kubectl get endpoints redis-cluster -n redis"))
        #expect(DiagnosisHints.dnsFailure(host: "cahce.example.com").contains("getent hosts cahce.example.com"))
    }

    @Test func urlAndModeSteps() throws {
        let bad = DiagnosisRules.urlStep(.failure(RedisError(.invalidConfiguration, "Invalid Redis URL: unsupported scheme 'http://'")))
        #expect(bad.status == .failed)
        #expect(bad.detail.contains("http://"))
        #expect(bad.fix?.contains("REDIS_URL") == true)
        let url = try RedisURL("redis://:hunter2@redis-cluster.redis.svc.cluster.local:6379")
        let ok = DiagnosisRules.urlStep(.success(url))
        #expect(ok.status == .ok)
        #expect(!ok.detail.contains("hunter2"))
        let mode = DiagnosisRules.modeStep(url)
        #expect(mode.detail.hasPrefix("cluster: "))
        #expect(mode.detail.contains("contains \"cluster\""))
    }

    @Test func partialDNSAndTCPFailuresAreWarnings() {
        let one = DiagnosisRules.dnsSteps([
            (host: "a.example", addresses: ["10.0.0.1", "10.0.0.2"], duration: .zero),
            (host: "b.example", addresses: [], duration: .zero),
            (host: "127.0.0.1", addresses: ["127.0.0.1"], duration: .zero),
        ])
        #expect(one.map(\.status) == [.ok, .warning, .ok])
        #expect(one[0].detail == "2 addresses: 10.0.0.1, 10.0.0.2")
        #expect(one[2].detail.contains("IP address"))
        let none = DiagnosisRules.dnsSteps([(host: "b.example", addresses: [], duration: .zero)])
        #expect(none.map(\.status) == [.failed])

        let refused = RedisError(.connectionRefused, "Connection refused by 10.0.0.2:6379")
        let timeout = RedisError(.connectTimeout, "Connecting took longer than 2s")
        let mixed = DiagnosisRules.tcpSteps([
            (address: RedisEndpoint(host: "10.0.0.1"), host: "redis.redis.svc.cluster.local", error: nil, duration: .milliseconds(1)),
            (address: RedisEndpoint(host: "10.0.0.2"), host: "redis.redis.svc.cluster.local", error: refused, duration: .zero),
        ])
        #expect(mixed.map(\.status) == [.ok, .warning])
        #expect(mixed[0].name == "TCP 10.0.0.1:6379")
        #expect(mixed[1].fix?.contains("kubectl get pods -n redis") == true)
        let down = DiagnosisRules.tcpSteps([(address: RedisEndpoint(host: "10.0.0.2"), host: "10.0.0.2", error: timeout, duration: .zero)])
        #expect(down.map(\.status) == [.failed])
        #expect(down[0].fix?.contains("firewall") == true)
    }

    @Test func handshakeOutcomes() throws {
        let tls = try RedisURL("rediss://:pw@cache.example.com:6380?tls_ca_file=/etc/ca.pem")
        let endpoint = tls.endpoints[0]
        let ok = DiagnosisRules.handshakeSteps(tls, endpoint: endpoint, result: .success(3), duration: .zero)
        #expect(ok.map(\.name) == ["TLS", "AUTH"])
        #expect(ok.map(\.status) == [.ok, .ok])
        #expect(ok[0].detail.contains("/etc/ca.pem"))
        #expect(ok[1].detail.contains("authenticated as default, RESP3"))

        let badCA = DiagnosisRules.handshakeSteps(
            tls, endpoint: endpoint, result: .failure(RedisError(.tls, "TLS failed: certificate verify failed")), duration: .zero)
        #expect(badCA.map(\.status) == [.failed, .skipped])
        #expect(badCA[0].fix?.contains("tls_ca_file") == true)

        let wrongPass = DiagnosisRules.handshakeSteps(
            tls, endpoint: endpoint,
            result: .failure(RedisError(.authentication, "rejected", serverError: RESPError(message: "WRONGPASS invalid username-password pair"))),
            duration: .zero)
        #expect(wrongPass.map(\.status) == [.ok, .failed])
        #expect(wrongPass[1].detail.hasPrefix("WRONGPASS"))
        #expect(wrongPass[1].fix?.contains("credentials") == true)

        let insecure = try RedisURL("rediss://127.0.0.1:6380?tls_insecure=true")
        let warned = DiagnosisRules.handshakeSteps(insecure, endpoint: insecure.endpoints[0], result: .success(3), duration: .zero)
        #expect(warned.map(\.status) == [.warning, .ok])
        #expect(warned[1].name == "Handshake")
        #expect(warned[1].detail.hasPrefix("no password needed"))

        let plain = try RedisURL("redis://127.0.0.1:6380")
        let stalled = DiagnosisRules.handshakeSteps(
            plain, endpoint: plain.endpoints[0], result: .failure(RedisError(.connectTimeout, "did not finish the handshake")), duration: .zero)
        #expect(stalled.map(\.status) == [.failed])
        #expect(stalled[0].fix?.contains("rediss://") == true)
        let noAuth = DiagnosisHints.authentication(code: "NOAUTH", user: nil)
        #expect(noAuth.contains("redis://:PASSWORD@host"))
    }

    @Test func standaloneServerRoles() {
        #expect(DiagnosisRules.standaloneServerStep(info: ["redis_version": "7.0.15", "role": "master", "connected_slaves": "1"]).status == .ok)
        let replica = DiagnosisRules.standaloneServerStep(info: ["role": "slave", "master_host": "10.0.0.1", "master_port": "6379"])
        #expect(replica.status == .warning)
        #expect(replica.detail.contains("10.0.0.1:6379"))
        let clusterNode = DiagnosisRules.standaloneServerStep(info: ["role": "master", "cluster_enabled": "1"])
        #expect(clusterNode.status == .warning)
        #expect(clusterNode.fix?.contains("cluster=true") == true)
    }

    // MARK: - Cluster

    static let ids = (0..<4).map { String(repeating: String($0), count: 40) }

    static func node(
        _ i: Int, primary: Bool, slots: [[Int]] = [], of p: Int? = nil, flags: [String]? = nil, reachable: Bool = true,
        hostname: String? = nil
    ) -> ClusterNodeReport {
        ClusterNodeReport(
            id: ids[i], address: "127.0.0.1:\(7000 + i)", announcedHostname: hostname, role: primary ? "primary" : "replica",
            primaryID: p.map { ids[$0] }, slots: slots, flags: flags ?? [primary ? "master" : "slave"], reachable: reachable,
            error: reachable ? nil : "Connection refused")
    }

    static var healthy: ClusterReport {
        ClusterReport(
            nodes: [node(0, primary: true, slots: [[0, 8191]]), node(2, primary: false, of: 0), node(1, primary: true, slots: [[8192, 16383]]), node(3, primary: false, of: 1)],
            problems: [], clusterState: "ok", coveredSlots: 16384, info: ["cluster_known_nodes": "4", "cluster_size": "2"])
    }

    @Test func healthyClusterSteps() {
        let report = Self.healthy
        let rtts: DiagnosisRules.RoundTrips = Dictionary(uniqueKeysWithValues: Self.ids.map { ($0, .success(.microseconds(300))) })
        #expect(DiagnosisRules.clusterStateStep(report).status == .ok)
        #expect(DiagnosisRules.slotCoverageSteps(report).map(\.status) == [.ok])
        let nodes = DiagnosisRules.nodeSteps(report, roundTrips: rtts, addressMap: [:])
        #expect(nodes.map(\.status) == [.ok, .ok, .ok, .ok])
        #expect(nodes[0].name == "Node 127.0.0.1:7000")
        #expect(nodes[0].detail == "primary, slots 0-8191, round trip 0.30 ms")
        #expect(DiagnosisRules.rolesStep(report).status == .ok)
        let latency = DiagnosisRules.latencyStep(report, roundTrips: rtts, slow: .milliseconds(100))
        #expect(latency.status == .ok)
        #expect(latency.detail.hasPrefix("4 nodes: fastest 0.30 ms"))
        let slow = DiagnosisRules.latencyStep(
            report, roundTrips: rtts.merging([Self.ids[3]: .success(.milliseconds(250))]) { $1 }, slow: .milliseconds(100))
        #expect(slow.status == .warning)
        #expect(slow.fix?.contains("127.0.0.1:7003") == true)
    }

    @Test func unhealthyClusterSteps() {
        var report = Self.healthy
        report.clusterState = "fail"
        report.coveredSlots = 16383
        report.nodes[1] = Self.node(2, primary: false, of: 0, flags: ["slave", "fail"], reachable: false)
        report.nodes[2] = Self.node(1, primary: true, slots: [[8192, 16382]], reachable: false)
        report.problems = [
            ClusterProblem(.uncoveredSlots, "1 of 16384 slots have no node (16383)"),
            ClusterProblem(.clusterStateFail, "x", node: "127.0.0.1:7000"),
            ClusterProblem(.primaryWithoutReplica, "y", node: "127.0.0.1:7000"),
        ]
        let state = DiagnosisRules.clusterStateStep(report)
        #expect(state.status == .failed)
        #expect(state.detail.hasPrefix("cluster_state:fail at 127.0.0.1:7000"))
        #expect(DiagnosisRules.slotCoverageSteps(report).map(\.status) == [.failed])
        let rtts: DiagnosisRules.RoundTrips = [Self.ids[0]: .success(.milliseconds(1)), Self.ids[3]: .success(.milliseconds(1))]
        let nodes = DiagnosisRules.nodeSteps(report, roundTrips: rtts, addressMap: [:])
        #expect(nodes.map(\.status) == [.ok, .warning, .failed, .ok])
        #expect(nodes[1].fix?.contains("CLUSTER FORGET") == true)
        #expect(nodes[2].fix?.contains("addressMap") == true)
        let roles = DiagnosisRules.rolesStep(report)
        #expect(roles.status == .warning)
        #expect(roles.detail.contains("127.0.0.1:7000"))
    }

    @Test func announcedHostnamesAndTheAddressMap() throws {
        var report = Self.healthy
        report.nodes = [Self.node(0, primary: true, slots: [[0, 16383]], reachable: false, hostname: "node-0.cluster.invalid")]
        let dns = RedisError(.dnsFailure, "Cannot resolve the host name 'node-0.cluster.invalid'")
        let unmapped = DiagnosisRules.nodeSteps(report, roundTrips: [Self.ids[0]: .failure(dns)], addressMap: [:])
        #expect(unmapped[0].name == "Node node-0.cluster.invalid:7000")
        #expect(unmapped[0].status == .failed)
        #expect(unmapped[0].fix?.contains("does not resolve") == true)
        #expect(unmapped[0].fix?.contains("redis.address-map") == true)
        #expect(unmapped[0].fix?.contains("--address-map node-0.cluster.invalid:7000=HOST:PORT") == true)

        let map = try DoctorOptions.addressMap(parsing: "node-0.cluster.invalid:7000=127.0.0.1:7000")
        #expect(DiagnosisRules.endpoint(of: report.nodes[0], addressMap: map) == RedisEndpoint(host: "127.0.0.1", port: 7000))
        #expect(DiagnosisRules.endpoint(of: report.nodes[0], addressMap: [:]) == RedisEndpoint(host: "node-0.cluster.invalid", port: 7000))
        report.nodes[0].reachable = true
        let mapped = DiagnosisRules.nodeSteps(report, roundTrips: [Self.ids[0]: .success(.milliseconds(1))], addressMap: map)
        #expect(mapped[0].status == .ok)
        #expect(mapped[0].detail.contains("reached at 127.0.0.1:7000"))
        #expect(throws: RedisError.self) { try DoctorOptions.addressMap(parsing: "node-0:7000") }
    }

    @Test func notAClusterAndQuickClusterInfo() {
        let endpoint = RedisEndpoint(host: "127.0.0.1", port: 6379)
        let disabled = DiagnosisRules.clusterInfoReport(.failure(RedisError(.server, "ERR This instance has cluster support disabled")), node: endpoint)
        #expect(DiagnosisRules.clusterUnavailable(disabled))
        let step = DiagnosisRules.clusterStateStep(disabled)
        #expect(step.status == .failed)
        #expect(step.fix?.contains("cluster=false") == true)
        let ok = DiagnosisRules.clusterInfoReport(.success(["cluster_state": "ok", "cluster_slots_ok": "16384"]), node: endpoint)
        #expect(DiagnosisRules.clusterStateStep(ok).status == .ok)
        let fail = DiagnosisRules.clusterInfoReport(.success(["cluster_state": "fail"]), node: endpoint)
        #expect(DiagnosisRules.clusterStateStep(fail).status == .failed)
    }

    // MARK: - Plan, report, text

    @Test func laterStepsAreSkippedWithTheReason() throws {
        let url = try RedisURL("rediss://:pw@a:6379,b:6379")
        let plan = DiagnosisPlan.steps(for: url, quick: false)
        #expect(plan == ["URL", "Mode", "DNS", "TCP", "TLS", "AUTH", "PING", "Cluster state", "Slot coverage", "Node", "Roles and replicas", "Latency"])
        #expect(DiagnosisPlan.steps(for: url, quick: true) == ["URL", "Mode", "TLS", "AUTH", "PING", "Cluster state"])
        #expect(DiagnosisPlan.steps(for: try RedisURL("redis://h"), quick: false).last == "Server")
        let done = [DiagnosisStep("URL", .ok, ""), DiagnosisStep("Mode", .ok, ""), DiagnosisStep("DNS a", .failed, "")]
        let skipped = DiagnosisPlan.skippedSteps(after: done, plan: plan, reason: "no seed host resolves")
        #expect(skipped.first?.name == "TCP")
        #expect(skipped.count == plan.count - 3)
        #expect(skipped.allSatisfy { $0.status == .skipped && $0.detail == "skipped: no seed host resolves" })
        #expect(skipped.map(\.name).contains("Nodes"))
    }

    @Test func reportJSONRoundTripsAndKeepsNoPassword() throws {
        let report = DiagnosisReport(
            url: try RedisURL("redis://:hunter2@h:1").description, mode: "standalone",
            steps: [DiagnosisStep("PING", .ok, "PONG", duration: .microseconds(1500)), DiagnosisStep("Server", .warning, "replica", fix: "primary")])
        let data = try JSONEncoder().encode(report)
        let text = String(decoding: data, as: UTF8.self)
        #expect(!text.contains("hunter2"))
        #expect(text.contains("\"healthy\":true"))
        #expect(text.contains("\"durationMilliseconds\":1.5"))
        let decoded = try JSONDecoder().decode(DiagnosisReport.self, from: data)
        #expect(decoded == report)
        #expect(report.summary.hasPrefix("healthy (1 warning: Server"))
    }

    @Test func renderedTextIsAlignedAndColouredOnlyWhenAsked() {
        let report = DiagnosisReport(steps: [
            DiagnosisStep("URL", .ok, "redis://h:1"),
            DiagnosisStep("TCP 10.0.0.1:6379", .failed, "refused", fix: "start it"),
            DiagnosisStep.skipped("PING", because: "no address accepts connections"),
        ])
        let plain = report.rendered(color: false)
        let lines = plain.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[0] == "  ✓ URL                redis://h:1")
        #expect(lines[1] == "  ✗ TCP 10.0.0.1:6379  refused")
        #expect(lines[2] == String(repeating: " ", count: 23) + "fix: start it")  // under the details
        #expect(lines[3] == "  - PING               skipped: no address accepts connections")
        #expect(lines[5] == "Unhealthy: 1 passed, 1 failed, 1 skipped. Start with: TCP 10.0.0.1:6379.")
        #expect(!plain.contains("\u{1B}["))
        #expect(report.rendered(color: true).contains("\u{1B}[31m✗\u{1B}[0m"))
        #expect(DiagnosisReport.shouldUseColor(isTerminal: true, environment: [:]))
        #expect(!DiagnosisReport.shouldUseColor(isTerminal: false, environment: [:]))
        #expect(!DiagnosisReport.shouldUseColor(isTerminal: true, environment: ["NO_COLOR": "1"]))
        #expect(DiagnosisReport.shouldUseColor(isTerminal: true, environment: ["NO_COLOR": ""]))
        #expect(!DiagnosisReport.shouldUseColor(isTerminal: true, environment: ["TERM": "dumb"]))
    }

    @Test func durationsFormat() {
        #expect(DiagnosisRules.format(.microseconds(420)) == "0.42 ms")
        #expect(DiagnosisRules.format(.microseconds(12_345)) == "12.3 ms")
        #expect(DiagnosisRules.format(.milliseconds(1200)) == "1.20 s")
        #expect(DiagnosisRules.format(.zero) == "0.00 ms")
    }

    @Test func sentinelSteps() {
        let s1 = RedisEndpoint(host: "10.0.0.1", port: 26379), s2 = RedisEndpoint(host: "10.0.0.2", port: 26379)
        let p1 = RedisEndpoint(host: "10.0.1.1", port: 6379), p2 = RedisEndpoint(host: "10.0.1.2", port: 6379)
        let agree = DiagnosisRules.sentinelsStep([(s1, .success(p1)), (s2, .success(p1))], masterName: "mymaster")
        #expect(agree.step.status == .ok && agree.primary == p1)
        let split = DiagnosisRules.sentinelsStep([(s1, .success(p1)), (s2, .success(p2))], masterName: "mymaster")
        #expect(split.step.status == .failed && split.primary == nil && split.step.detail.contains("disagree"))
        let oneDown = DiagnosisRules.sentinelsStep(
            [(s1, .success(p1)), (s2, .failure(RedisError(.connectionRefused, "refused")))], masterName: "mymaster")
        #expect(oneDown.step.status == .warning && oneDown.primary == p1 && oneDown.step.detail.contains("unreachable: 10.0.0.2:26379"))
        let noneKnow = DiagnosisRules.sentinelsStep([(s1, .success(nil))], masterName: "cache")
        #expect(noneKnow.step.status == .failed && noneKnow.step.fix?.contains("SENTINEL MASTERS") == true)

        let unreachable = DiagnosisRules.primaryStep(p1, role: .failure(RedisError(.connectTimeout, "timed out")))
        #expect(unreachable.status == .failed && unreachable.fix?.contains("announce-ip") == true, "the NAT hint")
        let stale = DiagnosisRules.primaryStep(p1, role: .success("slave"))
        #expect(stale.status == .failed)
        let wrongPassword = DiagnosisRules.primaryStep(p1, role: .failure(RedisError(.authentication, "WRONGPASS")))
        #expect(wrongPassword.fix?.contains("sentinel_password") == true)
        #expect(DiagnosisRules.primaryStep(p1, role: .success("master")).status == .ok)

        let noReplicas = DiagnosisRules.replicasStep(.success(.array([])), masterName: "mymaster")
        #expect(noReplicas.status == .warning && noReplicas.detail.contains("nothing to promote"))
        let lagging = DiagnosisRules.replicasStep(
            .success(.array([.array(["ip", "10.0.1.2", "port", "6379", "flags", "slave", "master-link-status", "err"].map { .bulkString(ByteBuffer(string: $0)) })])),
            masterName: "mymaster")
        #expect(lagging.status == .warning && lagging.detail.contains("link to the primary is err"))
        #expect(DiagnosisRules.quorumStep(.failure(RedisError(.server, "NOQUORUM 1 usable Sentinels")), masterName: "m").status == .failed)
    }
}
