import RESP
import RedisProvider

/// Asks every node of a cluster what it knows and reports nodes and problems: slot
/// coverage, agreement on the topology, replicas, slots in migration, unreachable or failing
/// nodes. Used by `redis-provider cluster` and `doctor`.
///
/// Each node is asked on a connection of its own, concurrently, with every step bounded by
/// `timeout`; a node that does not answer is reported, never waited for beyond that.
public enum ClusterInspector {
    /// Inspects the cluster that `seeds` belong to.
    ///
    /// - Parameters:
    ///   - seeds: tried in order until one answers `CLUSTER NODES`.
    ///   - configuration: credentials, TLS and timeouts (capped at `timeout`).
    ///   - addressMap: announced address → reachable address, as `RedisClusterOptions.addressMap`.
    ///   - timeout: the bound on connecting to a node and on each command.
    public static func inspect(
        seeds: [RedisEndpoint], configuration: RedisClientConfiguration,
        addressMap: [RedisEndpoint: RedisEndpoint] = [:], timeout: Duration
    ) async -> ClusterReport {
        var bounded = configuration
        bounded.connectTimeout = min(configuration.connectTimeout, timeout)
        bounded.commandTimeout = min(configuration.commandTimeout ?? timeout, timeout)
        bounded.protocolVersion = 2
        bounded.readOnly = false
        let configuration = bounded

        // 1. A seed's view of the cluster.
        var views: [ClusterNodeView] = []
        var seedView: ClusterNodeView?
        var seedEndpoint: RedisEndpoint?
        for seed in seeds {
            let view = await ask(seed, configuration)
            if let notCluster = view.notACluster {
                return ClusterReport(
                    nodes: [], problems: [ClusterProblem(.notACluster, notCluster, node: seed.description)],
                    clusterState: nil, coveredSlots: 0)
            }
            views.append(view.view)
            if view.view.nodes != nil {
                seedView = view.view
                seedEndpoint = seed
                break
            }
        }
        guard let seedView, let seedEndpoint else {
            return ClusterDiagnosis.report(views: views, viewOfNode: [:])
        }

        // 2. Every node any answering node knows, at its (mapped) announced address.
        views = [seedView]
        var viewOfNode: [String: Int] = [:]
        var asked = Set<String>()
        var mapped = Set<String>()
        var pending = seedView.nodes ?? []
        while !pending.isEmpty {
            var targets: [(id: String, endpoint: RedisEndpoint?)] = []
            for line in pending where asked.insert(line.id).inserted {
                let (endpoint, wasMapped) = address(of: line, seed: seedEndpoint, addressMap: addressMap)
                if wasMapped, let endpoint { mapped.insert(endpoint.description); mapped.insert(line.address) }
                if let h = line.hostname, wasMapped { mapped.insert(h) }
                targets.append((line.id, endpoint))
            }
            let answers = await withTaskGroup(of: (String, ClusterNodeView?).self) { group in
                for target in targets {
                    group.addTask {
                        guard let endpoint = target.endpoint else { return (target.id, nil) }
                        return (target.id, await ask(endpoint, configuration).view)
                    }
                }
                var answers: [(String, ClusterNodeView?)] = []
                for await answer in group { answers.append(answer) }
                return answers
            }
            pending = []
            for (id, view) in answers.sorted(by: { $0.0 < $1.0 }) {
                guard let view else { continue }
                viewOfNode[id] = views.count
                views.append(view)
                pending += (view.nodes ?? []).filter { !asked.contains($0.id) }
            }
        }
        // The seed's view counts for the topology only once: drop it when its node answered
        // at the announced address too.
        if let me = seedView.myself, let i = viewOfNode[me.id], views[i].nodes != nil {
            views.removeFirst()
            viewOfNode = viewOfNode.mapValues { $0 - 1 }
            _ = i
        }
        return ClusterDiagnosis.report(views: views, viewOfNode: viewOfNode, mappedAddresses: mapped)
    }

    /// Where to reach a node: its announced host name, else its IP (the seed's host when it
    /// announces none), rewritten by the address map.
    static func address(
        of line: ClusterNodesLine, seed: RedisEndpoint, addressMap: [RedisEndpoint: RedisEndpoint]
    ) -> (RedisEndpoint?, mapped: Bool) {
        let ip = RedisEndpoint(host: line.host.isEmpty ? seed.host : line.host, port: line.port)
        let named = line.hostname.map { RedisEndpoint(host: $0, port: line.port) }
        if let named, let m = addressMap[named] { return (m, true) }
        if let m = addressMap[ip] { return (m, true) }
        if line.port == 0 { return (nil, false) }  // a node being added (noaddr / handshake)
        return (named ?? ip, false)
    }

    private struct Answer: Sendable {
        var view: ClusterNodeView
        var notACluster: String?
    }

    /// `CLUSTER NODES`, `CLUSTER INFO` and `INFO replication` of one node.
    private static func ask(_ endpoint: RedisEndpoint, _ configuration: RedisClientConfiguration) async -> Answer {
        let address = endpoint.description
        let connection: RedisConnection
        do {
            connection = try await RedisConnection.connect(to: endpoint, configuration: configuration)
        } catch {
            return Answer(view: ClusterNodeView(askedAddress: address, nodes: nil, error: error.message))
        }
        let answer = await query(connection, address)
        await connection.close(graceful: false)
        return answer
    }

    private static func query(_ connection: RedisConnection, _ address: String) async -> Answer {
        do {
            async let nodesReply = connection.send(RESPCommand("CLUSTER", "NODES"))
            async let infoReply = connection.send(RESPCommand("CLUSTER", "INFO"))
            async let replicationReply = connection.send(RESPCommand("INFO", "replication"))
            let (nodes, info, replication) = try await (nodesReply, infoReply, replicationReply)
            if case .error(let e) = nodes {
                if e.message.lowercased().contains("cluster support disabled") {
                    return Answer(
                        view: ClusterNodeView(askedAddress: address, nodes: nil, error: e.message),
                        notACluster: "\(address) is not a cluster node: it runs without cluster support (\(e.message)). Use it as a standalone server (a URL with ?cluster=false), or point at a node of a Redis Cluster.")
                }
                return Answer(view: ClusterNodeView(askedAddress: address, nodes: nil, error: "CLUSTER NODES failed: \(e.message)"))
            }
            guard let text = nodes.string else {
                return Answer(view: ClusterNodeView(askedAddress: address, nodes: nil, error: "CLUSTER NODES did not reply with text"))
            }
            let lines = try ClusterNodesLine.parseAll(text)
            let infoFields = info.string.map(InfoFields.parse) ?? [:]
            let offset = replication.string.map(InfoFields.parse).flatMap(InfoFields.replicationOffset)
            return Answer(view: ClusterNodeView(askedAddress: address, nodes: lines, info: infoFields, replicationOffset: offset))
        } catch let error as RedisError {
            return Answer(view: ClusterNodeView(askedAddress: address, nodes: nil, error: error.message))
        } catch {
            return Answer(view: ClusterNodeView(askedAddress: address, nodes: nil, error: "\(error)"))
        }
    }
}
