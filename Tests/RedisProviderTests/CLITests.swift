import Foundation
import RedisProviderTestSupport
import Testing

/// The `redis-provider` executable, run as a user would, against a real server.
@Suite struct CLITests {
    /// The built executable sits beside the test bundle.
    static let executable: URL = {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return bundle.appendingPathComponent("redis-provider")
    }()

    struct Run: Sendable {
        var status: Int32
        var stdout: Data
        var stderr: String
        var endedByItself = true
        var text: String { String(decoding: stdout, as: UTF8.self) }
    }

    /// Runs `path` and collects its output. A run still going after `limit` seconds is
    /// terminated and recorded as an issue, so a hang fails the test instead of stalling it.
    ///
    /// The waiting happens on a thread of its own: blocked on `waitpid`, a thread of Swift's
    /// small cooperative pool would stall every other test running beside this one (on 2
    /// cores, two CLI tests were enough to starve cluster tests of replies). The child is a
    /// `ChildProcess` writing to files, not Foundation's `Process` with pipes: on Linux, a
    /// `Process` started beside others may never learn that its child exited, and a daemon the
    /// child starts (the sandbox) would hold a pipe open.
    static func run(
        _ path: URL, _ arguments: [String], environment: [String: String] = [:], limit: TimeInterval = 120,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> Run {
        let run = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Run, any Error>) in
            Thread.detachNewThread {
                continuation.resume(with: Result { try runBlocking(path, arguments, environment: environment, limit: limit) })
            }
        }
        if !run.endedByItself {
            Issue.record("\(path.lastPathComponent) \(arguments) did not end by itself within \(limit) s", sourceLocation: sourceLocation)
        }
        return run
    }

    private static func runBlocking(_ path: URL, _ arguments: [String], environment: [String: String], limit: TimeInterval) throws -> Run {
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "REDIS_URL")
        for (k, v) in environment { env[k] = v }
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)")
        let (out, err) = (output.path + ".out", output.path + ".err")
        defer {
            try? FileManager.default.removeItem(atPath: out)
            try? FileManager.default.removeItem(atPath: err)
        }
        let child = try ChildProcess(
            path: path.path, arguments: arguments, environment: env, standardOutput: out, standardError: err)
        let endedByItself = child.wait(seconds: limit)
        if !endedByItself { child.terminate() }
        return Run(
            status: child.exitStatus ?? -1, stdout: FileManager.default.contents(atPath: out) ?? Data(),
            stderr: String(decoding: FileManager.default.contents(atPath: err) ?? Data(), as: UTF8.self),
            endedByItself: endedByItself)
    }

    static func cli(_ arguments: [String], environment: [String: String] = [:]) async throws -> Run {
        try await run(executable, arguments, environment: environment)
    }

    static func redisCLI(_ port: Int, _ arguments: [String]) async throws -> Run {
        try await run(URL(fileURLWithPath: "/usr/bin/redis-cli"), ["-p", String(port)] + arguments)
    }

    /// In a pod the URL is a file of the mounted Secret; ping and doctor --probe find it there.
    @Test func urlFromTheMountedFolder() async throws {
        try await withServer { server in
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rp-config-\(server.port)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            try Data((server.url + "\n").utf8).write(to: folder.appendingPathComponent("redis-url"))
            let environment = ["REDIS_PROVIDER_CONFIG_DIR": folder.path]
            let ping = try await Self.cli(["ping"], environment: environment)
            #expect(ping.status == 0, "\(ping.stderr)")
            #expect(ping.text.contains("PONG from 127.0.0.1:\(server.port)"))
            #expect(try await Self.cli(["doctor", "--probe", "--timeout", "20"], environment: environment).status == 0)
            // --url still wins over the folder.
            let other = try await Self.cli(["ping", "--url", "redis://127.0.0.1:\(freeLoopbackPort())"], environment: environment)
            #expect(other.status == 3)
        }
    }

    @Test func callOutputEqualsRedisCLI() async throws {
        try await withServer { server in
            let setup: [[String]] = [
                ["SET", "plain", "hello"], ["SET", "binary", "a\u{1}b\"c\\\n"], ["RPUSH", "list"] + (1...12).map(String.init),
                ["HSET", "hash", "f1", "v1", "f2", "v2"], ["SADD", "set", "x"], ["ZADD", "z", "1.5", "m"],
            ]
            for command in setup { _ = try await Self.redisCLI(server.port, command) }
            let commands: [[String]] = [
                ["GET", "plain"], ["GET", "binary"], ["GET", "missing"], ["LRANGE", "list", "0", "-1"], ["HGETALL", "hash"],
                ["SMEMBERS", "set"], ["ZRANGE", "z", "0", "-1", "WITHSCORES"], ["DBSIZE"], ["TYPE", "hash"], ["HGET", "plain", "x"],
                ["NOSUCHCOMMAND"], ["PING"], ["COMMAND", "INFO", "GET"], ["LRANGE", "nothing", "0", "-1"], ["EXISTS", "plain", "missing"],
            ]
            for command in commands {
                for mode in [["--no-raw"], ["--raw"], ["-3", "--no-raw"], ["-3", "--raw"]] {
                    let theirs = try await Self.redisCLI(server.port, mode + command)
                    let ours = try await Self.cli(["call", "--url", server.url] + mode + command)
                    #expect(ours.stdout == theirs.stdout, "\(mode) \(command): ours \(ours.text.debugDescription) theirs \(theirs.text.debugDescription)")
                    let isError = theirs.text.contains("ERR") || theirs.text.contains("WRONGTYPE")
                    #expect(ours.status == (isError ? 1 : 0), "\(command)")
                }
            }
        }
    }

    @Test func exitStatusAndErrors() async throws {
        try await withServer { server in
            let ok = try await Self.cli(["ping"], environment: ["REDIS_URL": server.url])
            #expect(ok.status == 0)
            #expect(ok.text.hasPrefix("PONG"))

            let badURL = try await Self.cli(["ping", "--url", "http://user:hunter2@host"])
            #expect(badURL.status == 2)
            #expect(badURL.stderr.contains("redis://"))
            #expect(!badURL.stderr.contains("hunter2"))

            let usage = try await Self.cli(["call"])
            #expect(usage.status == 2)

            let refused = try await Self.cli(["ping", "--url", "redis://127.0.0.1:\(freeLoopbackPort())"])
            #expect(refused.status == 3)
            #expect(refused.stderr.contains("refused"))

            let serverError = try await Self.cli(["call", "--url", server.url, "NOSUCHCOMMAND"])
            #expect(serverError.status == 1)
        }
    }

    @Test(arguments: [[], ["--threads", "2"], ["--shared-loops"]]) func benchJSON(mode: [String]) async throws {
        try await withServer { server in
            let run = try await Self.cli(["bench", "--url", server.url, "-c", "5", "-n", "2000", "-t", "set,get", "-r", "100", "--json"] + mode)
            #expect(run.status == 0, "\(run.stderr)")
            let report = try JSONSerialization.jsonObject(with: run.stdout) as? [String: Any]
            let results = report?["results"] as? [[String: Any]]
            #expect(results?.count == 2)
            #expect(results?.first?["name"] as? String == "SET")
            #expect(results?.first?["requests"] as? Int == 2000)
            #expect((results?.last?["requestsPerSecond"] as? Double ?? 0) > 0)
            #expect((results?.last?["errors"] as? [String: Int])?.isEmpty == true)
            #expect((report?["residentBytes"] as? Int ?? 0) > 0)
        }
        if mode.first == "--threads" {
            #expect(try await Self.cli(["bench", "--url", "redis://127.0.0.1:1", "--threads", "0"]).status == 2)
        }
    }
}
