import Foundation
import RESP
import RedisProvider
import Synchronization

/// A primary, its replicas and the Sentinels that watch them, as real processes on free
/// loopback ports, for tests: what the common Helm charts deploy.
///
/// ```swift
/// let deployment = try await RedisSentinelDeployment.start()
/// let client = try RedisProvider(url: deployment.url)       // redis+sentinel://…/mymaster
/// deployment.kill(try await deployment.primary())           // kill -9; the Sentinels fail over
/// ```
public final class RedisSentinelDeployment: Sendable {
    public struct Options: Sendable {
        /// The name the Sentinels know the primary by.
        public var masterName = "mymaster"
        /// Replicas of the primary.
        public var replicas = 2
        /// Sentinels watching it.
        public var sentinels = 3
        /// How many Sentinels must agree that the primary is down.
        public var quorum = 2
        /// How long the primary may stay silent before a Sentinel thinks it down.
        public var downAfter: Duration = .milliseconds(1000)
        /// How long a failover may take before another Sentinel tries.
        public var failoverTimeout: Duration = .seconds(5)
        /// The server binary (default `redis-server`).
        public var binary: String?
        /// The password of the data nodes (`requirepass`, and `masterauth` for the replicas).
        public var password: String?

        public init() {}
    }

    public let options: Options
    private let state: Mutex<(servers: [RedisServer], sentinels: [RedisServer])>

    /// The data nodes (primary and replicas), in start order.
    public var servers: [RedisServer] { state.withLock { $0.servers } }
    /// The Sentinels.
    public var sentinels: [RedisServer] { state.withLock { $0.sentinels } }

    /// `redis+sentinel://host:port,…/masterName`, with the password of the data nodes.
    public var url: String {
        let auth = options.password.map { ":\($0)@" } ?? ""
        return "redis+sentinel://\(auth)" + sentinels.map { "\($0.host):\($0.port)" }.joined(separator: ",") + "/\(options.masterName)"
    }

    private init(options: Options, servers: [RedisServer], sentinels: [RedisServer]) {
        self.options = options
        self.state = Mutex((servers, sentinels))
    }

    /// Starts the primary, its replicas and the Sentinels; returns once every Sentinel sees
    /// every replica.
    public static func start(_ options: Options = .init(), timeout: Duration = .seconds(30)) async throws -> RedisSentinelDeployment {
        var servers: [RedisServer] = []
        var sentinels: [RedisServer] = []
        do {
            let primary = try await RedisServer.start(dataOptions(options, replicaOf: nil))
            servers.append(primary)
            for _ in 0..<options.replicas {
                servers.append(try await RedisServer.start(dataOptions(options, replicaOf: primary.port)))
            }
            for _ in 0..<options.sentinels {
                var o = RedisServer.Options()
                o.binary = options.binary
                var lines = [
                    "sentinel monitor \(options.masterName) 127.0.0.1 \(primary.port) \(options.quorum)",
                    "sentinel down-after-milliseconds \(options.masterName) \(options.downAfter.wholeMilliseconds)",
                    "sentinel failover-timeout \(options.masterName) \(options.failoverTimeout.wholeMilliseconds)",
                    "sentinel parallel-syncs \(options.masterName) 1",
                ]
                if let password = options.password { lines.append("sentinel auth-pass \(options.masterName) \(password)") }
                o.sentinelConfiguration = lines
                sentinels.append(try await RedisServer.start(o))
            }
        } catch {
            for s in sentinels + servers { s.stop() }
            throw error
        }
        let deployment = RedisSentinelDeployment(options: options, servers: servers, sentinels: sentinels)
        do {
            try await deployment.waitUntilSentinelsSee(replicas: options.replicas, sentinels: options.sentinels, timeout: timeout)
        } catch {
            deployment.stop()
            throw error
        }
        return deployment
    }

    static func dataOptions(_ options: Options, replicaOf port: Int?) -> RedisServer.Options {
        var o = RedisServer.Options()
        o.binary = options.binary
        o.password = options.password
        if let port { o.extraArguments += ["--replicaof", "127.0.0.1", String(port)] }
        if let password = options.password { o.extraArguments += ["--masterauth", password] }
        return o
    }

    /// Asks `sentinel` a command.
    public func ask(_ sentinel: RedisServer, _ command: RESPCommand) async throws -> RESPValue {
        var configuration = RedisClientConfiguration()
        configuration.connectTimeout = .seconds(1)
        configuration.commandTimeout = .seconds(2)
        let c = try await RedisConnection.connect(to: sentinel.endpoint, configuration: configuration)
        do {
            let reply = try await c.send(command)
            await c.close(graceful: false)
            return reply
        } catch {
            await c.close(graceful: false)
            throw error
        }
    }

    /// The primary as the Sentinels announce it (the first that answers).
    public func announcedPrimary() async throws -> RedisEndpoint {
        var lastError: any Error = RedisServerError("no Sentinel answered")
        for sentinel in sentinels {
            do {
                let reply = try await ask(sentinel, RESPCommand("SENTINEL", "GET-MASTER-ADDR-BY-NAME", options.masterName))
                if let primary = reply.sentinelAddress { return primary }
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    /// The data node the Sentinels announce as primary.
    public func primary() async throws -> RedisServer {
        let endpoint = try await announcedPrimary()
        guard let server = servers.first(where: { $0.port == endpoint.port }) else {
            throw RedisServerError("the Sentinels announce \(endpoint), which is no node of this deployment")
        }
        return server
    }

    /// Kills `server` with SIGKILL (a data node or a Sentinel).
    public func kill(_ server: RedisServer) {
        server.kill()
    }

    /// Starts a killed `server` again on its port (a data node comes back as it was started:
    /// the Sentinels turn a former primary into a replica of the new one).
    @discardableResult
    public func restart(_ server: RedisServer) async throws -> RedisServer {
        var o = server.options
        o.directory = server.directory
        if o.sentinelConfiguration != nil {
            // The Sentinel's own rewritten file holds what it learnt; start from it.
            o.sentinelConfiguration = try String(contentsOf: server.directory.appendingPathComponent("sentinel.conf"), encoding: .utf8)
                .split(separator: "\n").map(String.init)
        }
        let started = try await RedisServer.start(o, port: server.port)
        state.withLock { s in
            if let i = s.servers.firstIndex(where: { $0.port == server.port }) { s.servers[i] = started }
            if let i = s.sentinels.firstIndex(where: { $0.port == server.port }) { s.sentinels[i] = started }
        }
        return started
    }

    /// Waits until the Sentinels announce a primary other than `old`; returns it.
    public func waitForFailover(from old: RedisServer, timeout: Duration = .seconds(30)) async throws -> RedisServer {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let endpoint = try? await announcedPrimary(), endpoint.port != old.port,
                let server = servers.first(where: { $0.port == endpoint.port })
            {
                return server
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw RedisServerError("the Sentinels did not fail over from port \(old.port) within \(timeout)")
    }

    /// Waits until every Sentinel knows `replicas` replicas and `sentinels - 1` other Sentinels.
    func waitUntilSentinelsSee(replicas: Int, sentinels count: Int, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            var ready = true
            for sentinel in sentinels {
                let master = try? await ask(sentinel, RESPCommand("SENTINEL", "MASTER", options.masterName))
                let fields = master?.sentinelRecord ?? [:]
                if Int(fields["num-slaves"] ?? "") != replicas || Int(fields["num-other-sentinels"] ?? "") != count - 1 {
                    ready = false
                    break
                }
            }
            if ready { return }
            guard ContinuousClock.now < deadline else {
                throw RedisServerError("the Sentinels did not see \(replicas) replicas and each other within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Stops every process of the deployment.
    public func stop() {
        for s in sentinels + servers { s.stop() }
    }
}

extension Duration {
    var wholeMilliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
