import RESP

extension ClusterTopology {
    /// Parses a `CLUSTER SLOTS` reply: the fallback for servers older than Redis 7.
    ///
    /// Each entry is `[start, end, primary, replica…]` and each node
    /// `[endpoint, port, id, metadata]`, where Redis 7 adds the metadata map (`ip` when the
    /// endpoint is not the IP, `hostname` when the node announces one and the endpoint is
    /// not it), a RESP3 map or a RESP2 flat array. A primary owning several ranges appears
    /// once per range; they are merged into one shard (keyed by node id, else endpoint).
    ///
    /// `CLUSTER SLOTS` carries no health (nodes are `.unknown`) and leaves out failed
    /// replicas. The port it reports already depends on whether the asking connection used
    /// TLS, so `tls` is accepted for symmetry and ignored.
    ///
    /// - Parameters:
    ///   - reply: the `CLUSTER SLOTS` reply; an error reply is thrown as a `.server` error.
    ///   - connectedTo: the node that was asked; a NULL or `""` endpoint means this host
    ///     with the node's port, `"?"` the node's IP from the metadata, else this host.
    ///   - tls: ignored (see above).
    ///   - preferring: which address to use when a node has several.
    public static func parse(
        clusterSlots reply: RESPValue, connectedTo: RedisEndpoint, tls: Bool = false,
        preferring: EndpointPreference = .server
    ) throws(RedisError) -> ClusterTopology {
        let command = "CLUSTER SLOTS"
        if case .error(let error) = reply { throw RedisError.server(error, endpoint: connectedTo.description) }
        guard case .array(let entries) = reply else {
            throw malformed(command, "the reply is not an array", from: connectedTo)
        }
        var shards: [Shard] = []
        var shardIndex: [String: Int] = [:]
        for entry in entries {
            guard case .array(let items) = entry, items.count >= 3 else {
                throw malformed(command, "an entry is not [start, end, primary, replicas…]", from: connectedTo)
            }
            let range = try slotRange(items[0].clusterInt, items[1].clusterInt, command, from: connectedTo)
            let primary = try parseSlotsNode(items[2], isPrimary: true, connectedTo: connectedTo, preferring: preferring)
            var replicas: [Node] = []
            for item in items.dropFirst(3) {
                replicas.append(try parseSlotsNode(item, isPrimary: false, connectedTo: connectedTo, preferring: preferring))
            }
            let key = primary.id ?? primary.endpoint.description
            if let index = shardIndex[key] {
                shards[index].slots.append(range)
                for replica in replicas where !shards[index].replicas.contains(where: { $0.sameNode(as: replica) }) {
                    shards[index].replicas.append(replica)
                }
            } else {
                shardIndex[key] = shards.count
                shards.append(Shard(slots: [range], primary: primary, replicas: replicas))
            }
        }
        for index in shards.indices {
            shards[index].slots = mergeRanges(shards[index].slots)
        }
        return ClusterTopology(shards: shards)
    }

    /// One node entry: `[endpoint, port]`, `[endpoint, port, id]` or
    /// `[endpoint, port, id, metadata]`.
    private static func parseSlotsNode(
        _ value: RESPValue, isPrimary: Bool, connectedTo: RedisEndpoint, preferring: EndpointPreference
    ) throws(RedisError) -> Node {
        let command = "CLUSTER SLOTS"
        guard case .array(let items) = value, items.count >= 2,
            let port = items[1].clusterInt, port > 0, port <= 65535
        else {
            throw malformed(command, "a node is not [endpoint, port, id, metadata]", from: connectedTo)
        }
        let server = items[0].clusterText
        let metadata = items.count > 3 ? (items[3].clusterFields ?? []) : []
        let metaIP = metadata.field("ip")?.clusterText.flatMap { $0.isEmpty ? nil : stripBrackets($0) }
        let metaHostname = metadata.field("hostname")?.clusterText.flatMap { $0.isEmpty ? nil : $0 }
        // The metadata names whichever of ip/hostname the endpoint is not, so a usable
        // endpoint is the IP unless the metadata carries the IP, in which case it is the
        // hostname.
        let usableServer = server.flatMap { $0.isEmpty || $0 == "?" ? nil : stripBrackets($0) }
        let ip = metaIP ?? usableServer
        let hostname = metaHostname ?? (metaIP != nil ? usableServer : nil)
        return Node(
            id: items.count > 2 ? items[2].clusterText.flatMap { $0.isEmpty ? nil : $0 } : nil,
            endpoint: endpoint(
                server: server, ip: ip, hostname: hostname, port: port,
                connectedTo: connectedTo, preferring: preferring),
            ip: ip,
            hostname: hostname,
            isPrimary: isPrimary,
            health: .unknown,
            replicationOffset: nil)
    }

    /// Sorted ranges with adjacent or overlapping ones joined.
    static func mergeRanges(_ ranges: [ClosedRange<Int>]) -> [ClosedRange<Int>] {
        var merged: [ClosedRange<Int>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, range.lowerBound <= last.upperBound + 1 {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        return merged
    }
}

extension ClusterTopology.Node {
    /// The same node: same id when both have one, else the same endpoint.
    func sameNode(as other: Self) -> Bool {
        if let id, let otherID = other.id { return id == otherID }
        return endpoint == other.endpoint
    }
}
