import Foundation
import NIOCore
import RESP
import RedisProvider
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A real Redis (or Valkey) Cluster of loopback processes, for tests: by default 3 primaries
/// and 3 replicas with a short `cluster-node-timeout`, formed without `redis-cli` and torn
/// down by pid.
///
/// Every node is a ``RedisServer`` listening on 127.0.0.1 only, with its cluster bus on a
/// second free port (`cluster-port`, so `port + 10000` need not be free) and its data folder
/// (holding `nodes.conf`) kept across ``restart(_:)`` so a node rejoins as itself.
///
/// Tests can kill, restart, fail over and reshard: ``kill(_:)``, ``restart(_:)``,
/// ``waitForFailover(of:timeout:)``, ``migrate(slots:to:)`` and, to hold a slot half-migrated
/// (the ASK window), ``beginMigration(slot:to:)``.
///
/// The helpers talk to the nodes with `RedisConnection` over loopback and poll every 25 ms.
/// Node indexes are stable: `nodes[i]` is node i for the life of the cluster, whatever its
/// current role; nodes 0..<primaries start as primaries, the rest as their replicas (node
/// `primaries + k` replicates node `k % primaries`).
public final class RedisCluster: Sendable {
    /// How to start the cluster.
    public struct Options: Sendable {
        /// How many primaries share the 16384 slots (evenly, as `redis-cli --cluster create`).
        public var primaries = 3
        /// How many replicas each primary gets.
        public var replicasPerPrimary = 1
        /// `cluster-node-timeout`: short, so failures are detected and failed over in seconds.
        public var nodeTimeout: Duration = .milliseconds(1000)
        /// An address the nodes tell clients (in `MOVED`, `ASK`, `CLUSTER SLOTS`/`SHARDS`/`NODES`)
        /// while they listen on 127.0.0.1 only and gossip among themselves over 127.0.0.1.
        ///
        /// Needs Valkey 8 or later (`cluster-announce-client-ipv4`): ``start(_:)`` throws on
        /// Redis, whose `cluster-announce-ip` also redirects the cluster bus to that address,
        /// where nobody listens, so the cluster could never form. On Redis use
        /// ``announceHostnames``.
        public var announceIP: String?
        /// Node i tells clients the host name `node-i.cluster.invalid` (`cluster-announce-hostname`
        /// with `cluster-preferred-endpoint-type hostname`), which never resolves, while the
        /// nodes gossip by IP. Works on Redis 7 and Valkey. See ``announcedEndpoint(of:)``.
        public var announceHostnames = false
        /// The server binary (`redis-server` or `valkey-server`); default as ``RedisServer``
        /// (`$REDIS_SERVER_BIN`, else `redis-server` on PATH). See ``valkeyServerPath``.
        public var binary: String?
        /// More `--name value` arguments for every node (after the cluster's own, so they win).
        public var extraArguments: [String] = []
        /// `requirepass` and `masterauth` on every node; the helpers authenticate with it.
        public var password: String?

        public init() {}
    }

    /// The options the cluster was started with.
    public let options: Options

    struct State {
        var nodes: [RedisServer]
        var ids: [String]
        /// Indexes of nodes killed through `kill(_:)` (or named to `waitForFailover`) and not
        /// restarted since: health checks skip them.
        var dead: Set<Int> = []
        /// The topology at the last successful health check.
        var lastHealthy: ClusterView?
        var stopped = false
    }

    let state: Mutex<State>
    let busPorts: [Int]
    let nodeOptions: [RedisServer.Options]
    let connections = Mutex<[Int: RedisConnection]>([:])
    let connectionConfiguration: RedisClientConfiguration
    static let pollInterval: Duration = .milliseconds(25)

    init(options: Options, nodes: [RedisServer], busPorts: [Int], nodeOptions: [RedisServer.Options]) {
        self.options = options
        self.state = Mutex(State(nodes: nodes, ids: Array(repeating: "", count: nodes.count)))
        self.busPorts = busPorts
        self.nodeOptions = nodeOptions
        self.connectionConfiguration = RedisClientConfiguration(
            password: options.password, clientName: "redis-cluster-test-support",
            connectTimeout: .seconds(2), commandTimeout: .seconds(10))
    }

    deinit { stop() }

    // MARK: - Starting

    /// Starts `primaries * (1 + replicasPerPrimary)` nodes, assigns the slots evenly to the
    /// primaries (0-5460, 5461-10922, 10923-16383 for three), attaches the replicas, and
    /// returns once every node reports `cluster_state:ok`, all nodes agree on the topology
    /// and the slot map, and every replica's link to its primary is up.
    public static func start(_ options: Options = .init(), timeout: Duration = .seconds(30)) async throws -> RedisCluster {
        precondition(options.primaries >= 1 && options.replicasPerPrimary >= 0)
        let count = options.primaries * (1 + options.replicasPerPrimary)
        let started = try await withThrowingTaskGroup(of: (Int, RedisServer, Int, RedisServer.Options).self) { group in
            for i in 0..<count {
                group.addTask { try await startNode(i, options) }
            }
            var results: [(Int, RedisServer, Int, RedisServer.Options)] = []
            do {
                for try await r in group { results.append(r) }
            } catch {
                for r in results { r.1.stop() }
                throw error
            }
            return results.sorted { $0.0 < $1.0 }
        }
        let cluster = RedisCluster(
            options: options, nodes: started.map(\.1), busPorts: started.map(\.2), nodeOptions: started.map(\.3))
        do {
            try await cluster.form(timeout: timeout)
        } catch {
            cluster.stop()
            throw error
        }
        return cluster
    }

    /// Starts node `i` on a free port with a free bus port; retries when either was taken.
    static func startNode(_ i: Int, _ options: Options) async throws -> (Int, RedisServer, Int, RedisServer.Options) {
        var lastError: any Error = RedisServerError("no attempt was made")
        for _ in 0..<5 {
            let port = freeLoopbackPort()
            var busPort = freeLoopbackPort()
            while busPort == port { busPort = freeLoopbackPort() }
            let serverOptions = nodeServerOptions(i, options, busPort: busPort)
            do {
                return (i, try await RedisServer.start(serverOptions, port: port), busPort, serverOptions)
            } catch let error as RedisServerError where error.description.contains("Address already in use") {
                lastError = error
            }
        }
        throw lastError
    }

    static func nodeServerOptions(_ i: Int, _ options: Options, busPort: Int) -> RedisServer.Options {
        var o = RedisServer.Options()
        o.binary = options.binary
        o.password = options.password
        let timeout = options.nodeTimeout.components
        let milliseconds = max(1, timeout.seconds * 1000 + timeout.attoseconds / 1_000_000_000_000_000)
        var args = [
            "--cluster-enabled", "yes",
            "--cluster-config-file", "nodes.conf",
            "--cluster-node-timeout", String(milliseconds),
            "--cluster-port", String(busPort),
            "--cluster-require-full-coverage", "yes",
            // Keep the shape the test asked for, and fail over whatever the replica's lag.
            "--cluster-allow-replica-migration", "no",
            "--cluster-replica-validity-factor", "0",
            // Full syncs start at once (the default waits 5 s for more replicas).
            "--repl-diskless-sync-delay", "0",
        ]
        if let password = options.password { args += ["--masterauth", password] }
        if options.announceHostnames {
            args += [
                "--cluster-announce-hostname", hostname(ofNode: i),
                "--cluster-preferred-endpoint-type", "hostname",
            ]
        }
        o.extraArguments = args + options.extraArguments
        return o
    }

    /// The host name node `index` announces with ``Options/announceHostnames``.
    public static func hostname(ofNode index: Int) -> String { "node-\(index).cluster.invalid" }

    func form(timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        let primaries = options.primaries
        let ids = try await ClusterFormation.form(
            count: nodes.count, primaries: primaries, meetPort: nodes[0].port, meetBusPort: busPorts[0], timeout: timeout,
            call: { i, command in try await call(i, command) }, prepare: { i in try await announceClientIP(i) })
        state.withLock { $0.ids = ids }
        let expectedReplicas = nodes.count - primaries
        try await waitUntilHealthy(until: deadline) { view in
            view.lines.filter { $0.isPrimary && !$0.slots.isEmpty }.count == primaries
                && view.lines.filter { !$0.isPrimary }.count == expectedReplicas
        }
    }

    /// Sets `cluster-announce-client-ipv4` on node `i` when `announceIP` is set.
    func announceClientIP(_ i: Int) async throws {
        guard let ip = options.announceIP else { return }
        let option = ip.contains(":") ? "cluster-announce-client-ipv6" : "cluster-announce-client-ipv4"
        let reply = try await send(i, RESPCommand("CONFIG", "SET", option, ip))
        if case .error(let e) = reply {
            throw RedisServerError(
                "announceIP needs Valkey 8 or later (\(option)); this server answered '\(e.message)'. Redis's cluster-announce-ip also moves the cluster bus to \(ip), where the nodes do not listen, so the cluster cannot form: use announceHostnames instead")
        }
    }

    // MARK: - Nodes

    /// The node processes, by index (`nodes[i]` is node i, whatever its role now; a restarted
    /// node replaces its old entry).
    public var nodes: [RedisServer] { state.withLock { $0.nodes } }

    /// The cluster bus port of each node, by index.
    public var clusterBusPorts: [Int] { busPorts }

    /// The node ids (`CLUSTER MYID`), by index; they survive restarts.
    public var nodeIDs: [String] { state.withLock { $0.ids } }

    /// A cluster URL naming every node, e.g. `redis://127.0.0.1:7000,127.0.0.1:7001?cluster=true`
    /// (with `:password@` when the cluster has a password).
    public var seedURL: String {
        let auth = options.password.map {
            ":\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0)@"
        } ?? ""
        return "redis://\(auth)" + nodes.map { "\($0.host):\($0.port)" }.joined(separator: ",") + "?cluster=true"
    }

    /// The address node `node` tells clients: `node-i.cluster.invalid:port` with
    /// ``Options/announceHostnames``, `announceIP:port` with ``Options/announceIP``, else
    /// `127.0.0.1:port`. Map it to `node.endpoint` to reach the node.
    public func announcedEndpoint(of node: RedisServer) -> RedisEndpoint {
        if options.announceHostnames, let i = index(of: node) {
            return RedisEndpoint(host: Self.hostname(ofNode: i), port: node.port)
        }
        return RedisEndpoint(host: options.announceIP ?? node.host, port: node.port)
    }

    /// The index of `node` in ``nodes`` (matched by port).
    public func index(of node: RedisServer) -> Int? {
        state.withLock { s in s.nodes.firstIndex { $0.port == node.port } }
    }

    /// The live primaries that serve slots, per `CLUSTER NODES` of a live node, ordered by
    /// their lowest slot (so after a fresh start, `primaries()[0]` owns slot 0). Roles change
    /// after a failover.
    public func primaries() async throws -> [RedisServer] {
        let (view, _) = try await anyView()
        let (nodes, ids, dead) = state.withLock { ($0.nodes, $0.ids, $0.dead) }
        return view.lines
            .filter { $0.isPrimary && !$0.failed && !$0.slots.isEmpty }
            .sorted { ($0.slots.first?.lowerBound ?? 0) < ($1.slots.first?.lowerBound ?? 0) }
            .compactMap { line in ids.firstIndex(of: line.id).flatMap { dead.contains($0) ? nil : nodes[$0] } }
    }

    /// The live replicas, per `CLUSTER NODES` of a live node, by node index.
    public func replicas() async throws -> [RedisServer] {
        let (view, _) = try await anyView()
        let (nodes, ids, dead) = state.withLock { ($0.nodes, $0.ids, $0.dead) }
        let replicaIDs = Set(view.lines.filter { !$0.isPrimary && !$0.failed }.map(\.id))
        return ids.indices.filter { replicaIDs.contains(ids[$0]) && !dead.contains($0) }.map { nodes[$0] }
    }

    /// The primary `replica` replicates, per `CLUSTER NODES` of a live node.
    public func primary(of replica: RedisServer) async throws -> RedisServer {
        let (view, _) = try await anyView()
        let (nodes, ids) = state.withLock { ($0.nodes, $0.ids) }
        guard let i = index(of: replica), let line = view.line(id: ids[i]), !line.isPrimary,
              let masterID = line.masterID, let m = ids.firstIndex(of: masterID)
        else { throw RedisServerError("node at port \(replica.port) is not a replica") }
        return nodes[m]
    }

    /// The primary currently serving `slot`, per `CLUSTER NODES` of a live node.
    public func node(owningSlot slot: Int) async throws -> RedisServer {
        let (view, _) = try await anyView()
        let (nodes, ids) = state.withLock { ($0.nodes, $0.ids) }
        guard let line = view.owner(ofSlot: slot), let i = ids.firstIndex(of: line.id) else {
            throw RedisServerError("no node serves slot \(slot)")
        }
        return nodes[i]
    }

    // MARK: - Killing and restarting

    /// Kills `node` (the current process on its port) with SIGKILL, by its pid, as a crash.
    /// Health checks skip it until ``restart(_:)``.
    public func kill(_ node: RedisServer) {
        let i = index(of: node)
        let current = i.map { nodes[$0] } ?? node
        current.kill()
        if let i { state.withLock { _ = $0.dead.insert(i) } }
        dropConnection(port: node.port)
    }

    /// Starts `node` again on the same port, bus port and data folder (so its `nodes.conf`
    /// makes it rejoin as itself), replacing it in ``nodes``. Kills it first if it still
    /// runs. Returns once it answers PING; call ``waitUntilHealthy(timeout:)`` to wait until
    /// it is back in the cluster (a failed-over primary comes back as a replica).
    @discardableResult
    public func restart(_ node: RedisServer) async throws -> RedisServer {
        guard let i = index(of: node) else { throw RedisServerError("port \(node.port) is not a node of this cluster") }
        let current = nodes[i]
        if !state.withLock({ $0.dead.contains(i) }) { kill(current) }
        dropConnection(port: current.port)
        var o = nodeOptions[i]
        o.directory = current.directory
        let restarted = try await RedisServer.start(o, port: current.port)
        state.withLock {
            $0.nodes[i] = restarted
            $0.dead.remove(i)
        }
        try await announceClientIP(i)
        return restarted
    }

}
