import NIOCore
import RESP

/// Asking nodes for the cluster's topology: `CLUSTER SHARDS`, falling back to `CLUSTER SLOTS`
/// on servers without it; several nodes are asked and the majority view wins.
struct ClusterDiscovery: Sendable {
    let pool: ClusterNodePool

    /// The topology as `endpoint` sees it.
    func topology(from endpoint: RedisEndpoint) async throws(RedisError) -> ClusterTopology {
        let node = pool.node(endpoint)
        let tls = pool.configuration.tls != nil
        let shards = try await node.send(RESPCommand("CLUSTER", "SHARDS"))
        if case .error(let e) = shards {
            if e.message.contains("cluster support disabled") {
                throw RedisError(
                    .invalidConfiguration,
                    "This server is not in cluster mode; connect to it as a standalone server (remove cluster=true, or use cluster=false)",
                    endpoint: endpoint.description, serverError: e)
            }
            let slots = try await node.send(RESPCommand("CLUSTER", "SLOTS"))
            if case .error(let e2) = slots { throw RedisError.server(e2, endpoint: endpoint.description) }
            return try ClusterTopology.parse(clusterSlots: slots, connectedTo: endpoint, tls: tls)
        }
        return try ClusterTopology.parse(clusterShards: shards, connectedTo: endpoint, tls: tls)
    }

    /// Asks up to `quorum` of `candidates` at once; the view most of them report wins.
    /// Throws the last error when none answers.
    func majorityView(of candidates: [RedisEndpoint], quorum: Int) async throws(RedisError) -> ClusterTopology {
        var lastError = RedisError(.connectionRefused, "No node to ask for the cluster topology")
        var views: [ClusterTopology] = []
        var remaining = candidates[...]
        // Ask in rounds of `quorum` until enough answered or nobody is left.
        while views.count < quorum, !remaining.isEmpty {
            let round = Array(remaining.prefix(quorum - views.count))
            remaining = remaining.dropFirst(round.count)
            let results = await withTaskGroup(of: Result<ClusterTopology, RedisError>.self) { group in
                for endpoint in round {
                    group.addTask {
                        do throws(RedisError) { return .success(try await topology(from: endpoint)) } catch { return .failure(error) }
                    }
                }
                var all: [Result<ClusterTopology, RedisError>] = []
                for await r in group { all.append(r) }
                return all
            }
            for r in results {
                switch r {
                case .success(let t): views.append(t)
                case .failure(let e):
                    if e.kind == .invalidConfiguration { throw e }
                    lastError = e
                }
            }
        }
        guard let view = ClusterTopology.majority(views) else { throw lastError }
        return view
    }

    /// `cluster-node-timeout` of `endpoint`, when it may be read.
    func nodeTimeout(from endpoint: RedisEndpoint) async -> Duration? {
        guard let reply = try? await pool.node(endpoint).send(RESPCommand("CONFIG", "GET", "cluster-node-timeout")),
            let pairs = try? [String: String](fromRESP: reply), let ms = pairs["cluster-node-timeout"].flatMap(Int.init)
        else { return nil }
        return .milliseconds(ms)
    }
}
