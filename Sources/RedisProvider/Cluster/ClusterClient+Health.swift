import RESP

extension RedisClusterClient {
    /// Pings every node of the current slot map (concurrently, each bounded by `timeout`) and
    /// reports reachability, roles, slot coverage and `CLUSTER INFO`'s `cluster_state`.
    public func health(timeout: Duration = .seconds(2)) async -> RedisHealth {
        let map: SlotMap
        do {
            map = try await RedisHealth.bounded(timeout) { () async throws(RedisError) in try await self.refresh(force: false) }
        } catch {
            return RedisHealth(
                status: .unhealthy, mode: "cluster", modeReason: "a cluster client", clusterState: nil, coveredSlots: 0,
                nodes: [], problems: ["no node of the cluster answered: \(error.message)"])
        }
        var slotsOf: [RedisEndpoint: Int] = [:]
        var unmapped = 0
        for slot in 0..<HashSlot.count {
            if let p = map.primary(for: slot) { slotsOf[p, default: 0] += 1 } else { unmapped += 1 }
        }
        let primaries = Set(map.primaries)
        let endpoints = map.endpoints.sorted { $0.description < $1.description }
        let nodes = await withTaskGroup(of: (Int, RedisHealth.Node).self) { group in
            for (i, endpoint) in endpoints.enumerated() {
                let role = primaries.contains(endpoint) ? "primary" : "replica"
                let client = pool.node(endpoint)
                let slots = slotsOf[endpoint] ?? 0
                group.addTask { (i, await RedisHealth.probe(client, role: role, slots: slots, timeout: timeout)) }
            }
            var out: [(Int, RedisHealth.Node)] = []
            for await n in group { out.append(n) }
            return out.sorted { $0.0 < $1.0 }.map(\.1)
        }
        var state: String?
        if let primary = zip(endpoints, nodes).first(where: { primaries.contains($0.0) && $0.1.reachable })?.0 {
            let client = pool.node(primary)
            let info = try? await RedisHealth.bounded(timeout) { () async throws(RedisError) in
                try await client.send(RESPCommand("CLUSTER", "INFO"))
            }
            state = info.flatMap(RedisHealth.clusterState(in:))
        }
        return RedisHealth.cluster(modeReason: "a cluster client", clusterState: state, nodes: nodes, unmappedSlots: unmapped)
    }
}
