import Foundation
import RESP
import RedisProviderTestSupport
import Testing

@testable import RedisProviderOperations
@testable import RedisProvider

/// `redis-provider doctor` and `doctor --probe`, run as an operator would, against real
/// servers and clusters on loopback (a fake server only for a server that never answers).
@Suite(.serialized) struct DoctorTests {
    /// Runs the CLI; a run still going after `limit` (far beyond any timeout given to it) is
    /// terminated and recorded as an issue, so a hang fails the test instead of stalling it.
    static func doctor(_ arguments: [String], limit: TimeInterval = 60, sourceLocation: SourceLocation = #_sourceLocation) async throws -> CLITests.Run {
        try await CLITests.run(CLITests.executable, ["doctor"] + arguments, limit: limit, sourceLocation: sourceLocation)
    }

    /// The line of the text report for the step called `name` (`✓ name …`).
    static func line(_ run: CLITests.Run, _ name: String) -> String? {
        run.text.split(separator: "\n").first { $0.dropFirst(4).hasPrefix(name + " ") }.map(String.init)
    }

    static func json(_ run: CLITests.Run) throws -> DiagnosisReport {
        try JSONDecoder().decode(DiagnosisReport.self, from: run.stdout)
    }

    // MARK: - Standalone

    @Test func healthyStandaloneServer() async throws {
        var options = RedisServer.Options()
        options.password = "s3cret-pw"
        try await withServer(options) { server in
            let run = try await Self.doctor(["--url", server.url])
            #expect(run.status == 0, "\(run.text)\(run.stderr)")
            for name in ["URL", "Mode", "DNS 127.0.0.1", "TCP 127.0.0.1:\(server.port)", "AUTH", "PING", "Server"] {
                #expect(Self.line(run, name)?.hasPrefix("  ✓") == true, "\(name): \(run.text)")
            }
            #expect(Self.line(run, "Mode")?.contains("standalone") == true)
            #expect(Self.line(run, "AUTH")?.contains("authenticated as default") == true)
            #expect(run.text.contains("Healthy: "))
            #expect(!run.text.contains("\u{1B}["))  // not a terminal: no colour
            #expect(!run.text.contains("s3cret-pw") && !run.stderr.contains("s3cret-pw"))

            let json = try await Self.doctorJSON(server.url)
            #expect(json.isHealthy)
            #expect(json.url == "redis://:***@127.0.0.1:\(server.port)")
            #expect(json.steps.first { $0.name == "PING" }?.status == .ok)

            let viaEnvironment = try await CLITests.cli(["doctor"], environment: ["REDIS_URL": server.url])
            #expect(viaEnvironment.status == 0)
        }
    }

    static func doctorJSON(_ url: String) async throws -> DiagnosisReport {
        let run = try await doctor(["--url", url, "--json"])
        #expect(!run.text.contains("s3cret"))
        return try json(run)
    }

    @Test func wrongOrMissingPassword() async throws {
        var options = RedisServer.Options()
        options.password = "right-pw"
        try await withServer(options) { server in
            let wrong = try await Self.doctor(["--url", "redis://:wrong-pw@127.0.0.1:\(server.port)"])
            #expect(wrong.status == 1)
            #expect(Self.line(wrong, "AUTH")?.hasPrefix("  ✗") == true, "\(wrong.text)")
            #expect(Self.line(wrong, "AUTH")?.contains("WRONGPASS") == true)
            #expect(wrong.text.contains("fix: The server rejected the user 'default'"))
            #expect(Self.line(wrong, "PING")?.hasPrefix("  - PING") == true)
            #expect(Self.line(wrong, "PING")?.contains("skipped: the connection could not be set up") == true)
            #expect(!wrong.text.contains("wrong-pw") && !wrong.stderr.contains("wrong-pw"))
            #expect(wrong.text.contains("Start with: AUTH."))

            let missing = try await Self.doctor(["--url", "redis://127.0.0.1:\(server.port)"])
            #expect(missing.status == 1)
            #expect(Self.line(missing, "Handshake")?.hasPrefix("  ✗") == true, "\(missing.text)")
            #expect(missing.text.contains("redis://:PASSWORD@host"))
        }
    }

    @Test func nothingListening() async throws {
        let port = freeLoopbackPort()
        let run = try await Self.doctor(["--url", "redis://127.0.0.1:\(port)"])
        #expect(run.status == 1)
        #expect(Self.line(run, "TCP 127.0.0.1:\(port)")?.hasPrefix("  ✗") == true, "\(run.text)")
        #expect(run.text.contains("fix: Nothing accepts connections at 127.0.0.1:\(port)"))
        for name in ["Handshake", "PING", "Server"] {
            #expect(Self.line(run, name)?.contains("skipped: no address accepts connections") == true, "\(name)")
        }
    }

    @Test func badURLAndUnresolvableHost() async throws {
        let bad = try await Self.doctor(["--url", "http://user:hunter2@host"])
        #expect(bad.status == 1)
        #expect(Self.line(bad, "URL")?.hasPrefix("  ✗") == true)
        #expect(Self.line(bad, "Mode")?.contains("skipped: the URL does not parse") == true)
        #expect(!bad.text.contains("hunter2"))

        let unknown = try await Self.doctor(["--url", "redis://no-such-host.invalid:6379"])
        #expect(unknown.status == 1)
        #expect(Self.line(unknown, "DNS no-such-host.invalid")?.hasPrefix("  ✗") == true, "\(unknown.text)")
        #expect(Self.line(unknown, "TCP")?.contains("skipped: no seed host resolves") == true)

        let usage = try await Self.doctor(["--timeout", "0"])
        #expect(usage.status == 2)
        let badMap = try await Self.doctor(["--address-map", "just-a-host"])
        #expect(badMap.status == 2)
    }

    @Test func tlsWithAndWithoutTheRightCA() async throws {
        let certificates = try TLSTests.certificates.get()
        var options = RedisServer.Options()
        options.tls = certificates
        try await withServer(options) { server in
            let good = try await Self.doctor(["--url", "rediss://127.0.0.1:\(server.port)?tls_ca_file=\(certificates.caCertificate)"])
            #expect(good.status == 0, "\(good.text)")
            #expect(Self.line(good, "TLS")?.hasPrefix("  ✓") == true)
            #expect(Self.line(good, "TLS")?.contains(certificates.caCertificate) == true)

            let systemTrust = try await Self.doctor(["--url", "rediss://127.0.0.1:\(server.port)"])
            #expect(systemTrust.status == 1)
            #expect(Self.line(systemTrust, "TLS")?.hasPrefix("  ✗") == true, "\(systemTrust.text)")
            #expect(systemTrust.text.contains("tls_ca_file=PATH"))
            #expect(Self.line(systemTrust, "Handshake")?.contains("skipped: TLS failed") == true)

            let insecure = try await Self.doctor(["--url", "rediss://127.0.0.1:\(server.port)?tls_insecure=true"])
            #expect(insecure.status == 0)
            #expect(Self.line(insecure, "TLS")?.hasPrefix("  !") == true)
        }
    }

    // MARK: - Probe

    @Test func probeExitCodes() async throws {
        try await withServer { server in
            let healthy = try await Self.doctor(["--probe", "--timeout", "20", "--url", server.url])
            #expect(healthy.status == 0)
            #expect(healthy.stdout.isEmpty)
            #expect(healthy.stderr.isEmpty)
        }
        let port = freeLoopbackPort()
        let down = try await Self.doctor(["--probe", "--url", "redis://127.0.0.1:\(port)"])
        #expect(down.status == 1)
        #expect(down.stdout.isEmpty)
        #expect(down.stderr.split(separator: "\n").count == 1)
        #expect(down.stderr.hasPrefix("unhealthy: "))
        #expect(down.stderr.contains("refused"))
    }

    @Test func probeOfAStalledServerEndsAtItsTimeout() async throws {
        let stalled = try await FakeRedisServer.start { _ in .silence }
        // The URL's own timeouts are long, so only the probe's time limit can end the check.
        let run = try await Self.doctor(
            ["--probe", "--timeout", "1", "--url", "redis://127.0.0.1:\(stalled.port)?connect_timeout=120s&timeout=120s"], limit: 30)
        await stalled.stop()
        #expect(run.status == 1)
        #expect(run.stdout.isEmpty)
        // The time limit ended it (or the handshake wait, cut from 120 s to the time left).
        #expect(run.stderr.contains("time limit of 1s") || run.stderr.contains("did not finish the handshake within"), "\(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 1)
    }

    // MARK: - Cluster

    @Test(arguments: ClusterServer.available) func clusterHealthyThenPrimaryKilledThenFailedOverThenSlotUncovered(
        server: ClusterServer
    ) async throws {
        var options = RedisCluster.Options()
        options.binary = server.binary
        let cluster = try await RedisCluster.start(options)
        defer { cluster.stop() }
        let url = cluster.seedURL

        let healthy = try await Self.doctor(["--url", url])
        #expect(healthy.status == 0, "\(healthy.text)")
        for name in ["Mode", "Handshake", "PING", "Cluster state", "Slot coverage", "Roles and replicas", "Latency"] {
            #expect(Self.line(healthy, name)?.hasPrefix("  ✓") == true, "\(name): \(healthy.text)")
        }
        for node in cluster.nodes {
            #expect(Self.line(healthy, "Node 127.0.0.1:\(node.port)")?.hasPrefix("  ✓") == true, "\(healthy.text)")
        }
        #expect(Self.line(healthy, "Slot coverage")?.contains("all 16384 slots served by 3 primaries") == true)
        let report = try Self.json(try await Self.doctor(["--url", url, "--json"]))
        #expect(report.isHealthy && report.warnings.isEmpty)
        #expect(report.steps.filter { $0.name.hasPrefix("Node ") }.count == 6)
        #expect(try await Self.doctor(["--probe", "--timeout", "20", "--url", url]).status == 0)

        // A primary dies: reported at once, before the cluster has failed it over.
        let victim = try await cluster.node(owningSlot: 0)
        cluster.kill(victim)
        let killed = try await Self.doctor(["--url", url])
        #expect(killed.status == 1)
        let victimLine = Self.line(killed, "Node 127.0.0.1:\(victim.port)")
        #expect(victimLine?.hasPrefix("  ✗") == true || victimLine?.hasPrefix("  !") == true, "\(killed.text)")

        // After the failover the cluster serves every slot again: healthy, with warnings for
        // the dead node and the promoted primary that has no replica left.
        _ = try await cluster.waitForFailover(of: victim)
        let failedOver = try await Self.doctor(["--url", url])
        #expect(failedOver.status == 0, "\(failedOver.text)")
        #expect(Self.line(failedOver, "Node 127.0.0.1:\(victim.port)")?.hasPrefix("  !") == true, "\(failedOver.text)")
        #expect(Self.line(failedOver, "Roles and replicas")?.hasPrefix("  !") == true)
        #expect(Self.line(failedOver, "Cluster state")?.hasPrefix("  ✓") == true)

        // Back as a replica: no warnings left.
        _ = try await cluster.restart(victim)
        try await cluster.waitUntilHealthy()
        let restored = try Self.json(try await Self.doctor(["--url", url, "--json"]))
        #expect(restored.isHealthy && restored.warnings.isEmpty, "\(restored.warnings)")

        // A slot nobody serves.
        let owner = try await cluster.node(owningSlot: 16383)
        let order = [cluster.index(of: owner)!] + cluster.nodes.indices.filter { $0 != cluster.index(of: owner)! }
        for i in order { _ = try await cluster.send(i, RESPCommand("CLUSTER", "DELSLOTS", 16383)) }
        let uncovered = try await Self.doctor(["--url", url])
        #expect(uncovered.status == 1)
        #expect(Self.line(uncovered, "Slot coverage")?.hasPrefix("  ✗") == true, "\(uncovered.text)")
        #expect(Self.line(uncovered, "Slot coverage")?.contains("16383") == true)
        #expect(uncovered.text.contains("CLUSTER ADDSLOTSRANGE"))
    }

    @Test(arguments: ClusterServer.available) func announcedHostnamesWithoutAndWithTheAddressMap(server: ClusterServer) async throws {
        var options = RedisCluster.Options()
        options.binary = server.binary
        options.announceHostnames = true
        let cluster = try await RedisCluster.start(options)
        defer { cluster.stop() }

        let unmapped = try await Self.doctor(["--url", cluster.seedURL])
        #expect(unmapped.status == 1)
        let announced = cluster.announcedEndpoint(of: cluster.nodes[0])
        let line = Self.line(unmapped, "Node \(announced)")
        #expect(line?.hasPrefix("  ✗") == true, "\(unmapped.text)")
        #expect(unmapped.text.contains("does not resolve here"))
        #expect(unmapped.text.contains("--address-map \(announced)=HOST:PORT"))

        let map = cluster.nodes.map { "\(cluster.announcedEndpoint(of: $0))=\($0.endpoint)" }.joined(separator: ",")
        let mapped = try await Self.doctor(["--url", cluster.seedURL, "--address-map", map])
        #expect(mapped.status == 0, "\(mapped.text)")
        for node in cluster.nodes {
            let nodeLine = Self.line(mapped, "Node \(cluster.announcedEndpoint(of: node))")
            #expect(nodeLine?.hasPrefix("  ✓") == true)
            #expect(nodeLine?.contains("reached at \(node.endpoint)") == true)
        }
    }
}
