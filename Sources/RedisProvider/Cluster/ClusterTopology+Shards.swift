import RESP

extension ClusterTopology {
    /// Parses a `CLUSTER SHARDS` reply (Redis 7+, Valkey), RESP2 arrays or RESP3 maps.
    ///
    /// - Parameters:
    ///   - reply: the `CLUSTER SHARDS` reply. An error reply (e.g. `ERR unknown subcommand` from a
    ///     server older than 7.0) is thrown as a `.server` error so the caller can fall back
    ///     to `CLUSTER SLOTS`.
    ///   - connectedTo: the node that was asked. A node whose endpoint is NULL or `""` is
    ///     reached at this host with the node's own port (Redis rule for nodes behind a
    ///     load balancer); `"?"` falls back to the node's IP, then to this host.
    ///   - tls: use each node's `tls-port` (falling back to `port` when absent).
    ///   - preferring: which address to use when a node has several (default: the
    ///     endpoint the server names).
    /// - Throws: `RedisError` `.protocolViolation` when the reply is not shaped like
    ///   `CLUSTER SHARDS`, `.server` for an error reply.
    public static func parse(
        clusterShards reply: RESPValue, connectedTo: RedisEndpoint, tls: Bool = false,
        preferring: EndpointPreference = .server
    ) throws(RedisError) -> ClusterTopology {
        let command = "CLUSTER SHARDS"
        if case .error(let error) = reply { throw RedisError.server(error, endpoint: connectedTo.description) }
        guard case .array(let shardValues) = reply else {
            throw malformed(command, "the reply is not an array", from: connectedTo)
        }
        var shards: [Shard] = []
        shards.reserveCapacity(shardValues.count)
        for shardValue in shardValues {
            guard let fields = shardValue.clusterFields else {
                throw malformed(command, "a shard is not a map", from: connectedTo)
            }
            // Slots: a flat list of inclusive start/end pairs.
            var slots: [ClosedRange<Int>] = []
            if let slotValue = fields.field("slots") {
                guard let bounds = slotValue.elements, bounds.count % 2 == 0 else {
                    throw malformed(command, "a shard's slots are not start/end pairs", from: connectedTo)
                }
                var index = 0
                while index < bounds.count {
                    slots.append(try slotRange(bounds[index].clusterInt, bounds[index + 1].clusterInt, command, from: connectedTo))
                    index += 2
                }
            }
            slots.sort { $0.lowerBound < $1.lowerBound }

            var primary: Node?
            var replicas: [Node] = []
            for nodeValue in fields.field("nodes")?.elements ?? [] {
                let node = try parseShardNode(nodeValue, connectedTo: connectedTo, tls: tls, preferring: preferring)
                if node.isPrimary, primary == nil || (primary?.canServe == false && node.canServe) {
                    if let previous = primary { replicas.append(previous) }
                    primary = node
                } else {
                    replicas.append(node)
                }
            }
            shards.append(Shard(slots: slots, primary: primary, replicas: replicas))
        }
        return ClusterTopology(shards: shards)
    }

    /// One entry of a shard's `nodes`: `id`, `port`, `tls-port`, `ip`, `endpoint`, `hostname`,
    /// `role`, `replication-offset`, `health` (unknown fields, e.g. Valkey's
    /// `availability-zone`, are ignored).
    private static func parseShardNode(
        _ value: RESPValue, connectedTo: RedisEndpoint, tls: Bool, preferring: EndpointPreference
    ) throws(RedisError) -> Node {
        let command = "CLUSTER SHARDS"
        guard let fields = value.clusterFields else {
            throw malformed(command, "a node is not a map", from: connectedTo)
        }
        let plainPort = fields.field("port")?.clusterInt.flatMap { $0 > 0 ? $0 : nil }
        let tlsPort = fields.field("tls-port")?.clusterInt.flatMap { $0 > 0 ? $0 : nil }
        guard let port = tls ? (tlsPort ?? plainPort) : (plainPort ?? tlsPort), port <= 65535 else {
            throw malformed(command, "a node has neither port nor tls-port", from: connectedTo)
        }
        let ip = fields.field("ip")?.clusterText.flatMap { $0.isEmpty ? nil : stripBrackets($0) }
        let hostname = fields.field("hostname")?.clusterText.flatMap { $0.isEmpty ? nil : $0 }
        let role = fields.field("role")?.clusterText?.lowercased()
        return Node(
            id: fields.field("id")?.clusterText,
            endpoint: endpoint(
                server: fields.field("endpoint")?.clusterText, ip: ip, hostname: hostname, port: port,
                connectedTo: connectedTo, preferring: preferring),
            ip: ip,
            hostname: hostname,
            isPrimary: role == "master" || role == "primary",
            health: health(fields.field("health")?.clusterText),
            replicationOffset: fields.field("replication-offset")?.clusterInt)
    }
}
