import NIOCore
import NIOSSL
import Synchronization

/// The node clients of a cluster, one per announced address, created on first use. Each
/// connects to the reachable address the options map the announced one to.
final class ClusterNodePool: Sendable {
    private let nodes = Mutex<[RedisEndpoint: RedisNodeClient]>([:])
    let configuration: RedisClientConfiguration
    let options: RedisClusterOptions
    let eventLoopGroup: any EventLoopGroup
    let tlsSource: TLSContextSource?

    init(configuration: RedisClientConfiguration, options: RedisClusterOptions, eventLoopGroup: any EventLoopGroup) throws(RedisError) {
        var configuration = configuration
        configuration.database = 0  // a cluster has database 0 only
        configuration.readOnly = options.readPolicy != .primary
        configuration.waitsForReconnect = false
        self.configuration = configuration
        self.options = options
        self.eventLoopGroup = eventLoopGroup
        self.tlsSource = try configuration.tls.map { tls throws(RedisError) in try TLSContextSource(tls) }
    }

    /// The client for the node announced as `endpoint`.
    func node(_ endpoint: RedisEndpoint) -> RedisNodeClient {
        nodes.withLock { nodes in
            if let node = nodes[endpoint] { return node }
            let node = RedisNodeClient(
                endpoint: options.reachable(endpoint), configuration: configuration, eventLoopGroup: eventLoopGroup,
                tlsSource: tlsSource)
            nodes[endpoint] = node
            return node
        }
    }

    /// Closes the clients of nodes that are no longer part of the cluster.
    func retain(only endpoints: Set<RedisEndpoint>, keeping seeds: Set<RedisEndpoint>) async {
        let gone: [RedisNodeClient] = nodes.withLock { nodes in
            let stale = nodes.keys.filter { !endpoints.contains($0) && !seeds.contains($0) }
            return stale.compactMap { nodes.removeValue(forKey: $0) }
        }
        for node in gone { await node.shutdown(graceful: true) }
    }

    /// How many node clients there are and how many connections they hold open.
    var connectionCounts: RedisConnectionCounts {
        let all = nodes.withLock { Array($0.values) }
        return RedisConnectionCounts(nodes: all.count, connections: all.reduce(0) { $0 + $1.openConnections })
    }

    /// Every node client created so far.
    var all: [RedisNodeClient] { nodes.withLock { Array($0.values) } }

    func shutdown() async {
        let all = nodes.withLock { nodes in
            defer { nodes.removeAll() }
            return Array(nodes.values)
        }
        for node in all { await node.shutdown(graceful: true) }
    }
}
