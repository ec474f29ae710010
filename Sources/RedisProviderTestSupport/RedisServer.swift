import Foundation
import RedisProvider

/// A real `redis-server` (or `valkey-server`) process on a free loopback port in a temporary
/// folder, for tests. Stopped by its pid with `stop()`; pids are also recorded in
/// `RedisServer.pidDirectory` so a CI script can stop leftovers of a crashed test run.
public final class RedisServer: Sendable {
    /// Options for one server.
    public struct Options: Sendable {
        /// `requirepass`: the default user's password.
        public var password: String?
        /// Extra ACL users as (name, password); each gets `on >password ~* &* +@all`.
        public var users: [(name: String, password: String)] = []
        /// Serve TLS (only) with these files.
        public var tls: TestCertificates?
        /// Require client certificates (mutual TLS).
        public var tlsRequireClientCertificate = false
        /// More `--name value` arguments, e.g. `["--cluster-enabled", "yes"]`.
        public var extraArguments: [String] = []
        /// The server binary; default `$REDIS_SERVER_BIN`, else `redis-server` on PATH.
        public var binary: String?
        /// The data folder (`--dir`, also holding `server.log`); default a new temporary one.
        /// Set it to start a server again on the files of an earlier one (e.g. a cluster
        /// node's `nodes.conf`). `stop()` removes it either way.
        public var directory: URL?
        /// Run as a Sentinel (`redis-server sentinel.conf --sentinel`) with these lines as its
        /// configuration file (`sentinel monitor …`), written into the data folder; the
        /// Sentinel rewrites it as it learns the deployment.
        public var sentinelConfiguration: [String]?

        public init() {}
    }

    public let host = "127.0.0.1"
    public let port: Int
    public let directory: URL
    public let options: Options
    private let process: ChildProcess

    /// The URL to reach this server (with the default user's password, if any).
    public var url: String {
        let scheme = options.tls != nil ? "rediss" : "redis"
        let auth = options.password.map { ":\($0)@" } ?? ""
        return "\(scheme)://\(auth)\(host):\(port)"
    }

    public var endpoint: RedisEndpoint { RedisEndpoint(host: host, port: port) }

    /// The process id, while it runs.
    public var pid: Int32 { process.pid }

    /// Folder where every started server leaves a file named by its pid.
    public static let pidDirectory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("redis-provider-test-pids")

    private init(port: Int, directory: URL, options: Options, process: ChildProcess) {
        self.port = port
        self.directory = directory
        self.options = options
        self.process = process
    }

    /// Starts a server and waits until it answers PING (at most `timeout`).
    public static func start(_ options: Options = Options(), port: Int? = nil, timeout: Duration = .seconds(15)) async throws -> RedisServer {
        var lastError: any Error = RedisServerError("no attempt was made")
        for _ in 0..<5 {
            let chosen = port ?? freeLoopbackPort()
            do {
                return try await launch(options, port: chosen, timeout: timeout)
            } catch let error as RedisServerError where error.description.contains("Address already in use") && port == nil {
                lastError = error  // another process took the port: try another
            }
        }
        throw lastError
    }

    private static func launch(_ options: Options, port: Int, timeout: Duration) async throws -> RedisServer {
        let dir = options.directory ?? URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("redis-provider-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var args = [
            "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.path,
            "--logfile", dir.appendingPathComponent("server.log").path, "--daemonize", "no",
        ]
        if let lines = options.sentinelConfiguration {
            let file = dir.appendingPathComponent("sentinel.conf")
            try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
            args = [
                file.path, "--sentinel", "--bind", "127.0.0.1", "--dir", dir.path,
                "--logfile", dir.appendingPathComponent("server.log").path, "--daemonize", "no",
            ]
        }
        if let tls = options.tls {
            args += [
                "--port", "0", "--tls-port", String(port), "--tls-cert-file", tls.serverCertificate,
                "--tls-key-file", tls.serverKey, "--tls-ca-cert-file", tls.caCertificate,
                "--tls-auth-clients", options.tlsRequireClientCertificate ? "yes" : "no",
            ]
        } else {
            args += ["--port", String(port)]
        }
        if let password = options.password { args += ["--requirepass", password] }
        for user in options.users {
            args += ["--user", user.name, "on", ">\(user.password)", "~*", "&*", "+@all"]
        }
        args += options.extraArguments
        let process = try ChildProcess(path: try binaryPath(options.binary), arguments: args)
        let server = RedisServer(port: port, directory: dir, options: options, process: process)
        try? FileManager.default.createDirectory(at: pidDirectory, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: pidDirectory.appendingPathComponent(String(process.pid)).path, contents: nil)
        do {
            try await server.waitUntilReady(timeout: timeout)
        } catch {
            server.stop()
            throw error
        }
        return server
    }

    /// Polls with PING until the server answers.
    public func waitUntilReady(timeout: Duration = .seconds(15)) async throws {
        let deadline = ContinuousClock.now + timeout
        var configuration = RedisClientConfiguration(password: options.password)
        configuration.connectTimeout = .seconds(1)
        if let tls = options.tls {
            configuration.tls = RedisTLSConfiguration(
                certificateFile: options.tlsRequireClientCertificate ? tls.clientCertificate : nil,
                keyFile: options.tlsRequireClientCertificate ? tls.clientKey : nil, insecure: true)
        }
        while true {
            guard process.isRunning else {
                throw RedisServerError("the server exited at start; its log: \(log.suffix(2000))")
            }
            if let c = try? await RedisConnection.connect(to: endpoint, configuration: configuration) {
                let replies = try? await c.send(pipeline: [.init("PING"), .init("INFO", "server")])
                await c.close(graceful: false)
                // Another test's server may answer on the port this one failed to bind.
                let ours = replies?[1].string.flatMap(ServerIdentity.processID(inInfo:)).map { $0 == process.pid } ?? true
                if ours, case .simpleString? = replies?[0] { return }
                if ours, case .error(let e)? = replies?[0], !e.message.hasPrefix("LOADING") { return }
            }
            guard ContinuousClock.now < deadline else { throw RedisServerError("the server did not answer PING in time; its log: \(log.suffix(2000))") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// The server's log so far.
    public var log: String {
        (try? String(contentsOf: directory.appendingPathComponent("server.log"), encoding: .utf8)) ?? ""
    }

    /// Sends `signal` (default SIGKILL) to the process: a crash, as tests need.
    /// Sends `signal` without waiting (SIGSTOP / SIGCONT to freeze and thaw the server).
    public func signal(_ signal: Int32) {
        process.signal(signal)
    }

    public func kill(signal: Int32 = SIGKILL) {
        process.signal(signal)
        process.wait(seconds: 10)
        try? FileManager.default.removeItem(at: Self.pidDirectory.appendingPathComponent(String(pid)))
    }

    /// Stops the server (SIGTERM, then SIGKILL after five seconds) and removes its folder.
    public func stop() {
        process.terminate()
        try? FileManager.default.removeItem(at: Self.pidDirectory.appendingPathComponent(String(pid)))
        try? FileManager.default.removeItem(at: directory)
    }

    /// Starts the same server again on the same port (after `kill` or `stop`).
    public func restarted() async throws -> RedisServer {
        try await RedisServer.start(options, port: port)
    }

    deinit {
        if process.isRunning { stop() }
    }

    static func binaryPath(_ explicit: String?) throws -> String {
        if let explicit { return explicit }
        if let env = ProcessInfo.processInfo.environment["REDIS_SERVER_BIN"], !env.isEmpty { return env }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/redis-server"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw RedisServerError("redis-server is not installed; run: apt-get install -y redis-server redis-tools")
    }
}
