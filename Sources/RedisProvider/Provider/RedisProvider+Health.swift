import RESP

extension RedisProvider {
    /// Pings every node (concurrently, each bounded by `timeout`) and reports reachability,
    /// roles, slot coverage and the cluster state, for readiness probes:
    ///
    /// ```swift
    /// // In the readiness endpoint's handler (Hummingbird, Vapor …):
    /// let health = await redis.health()
    /// let status = health.isReady ? 200 : 503   // degraded still serves
    /// ```
    public func health(timeout: Duration = .seconds(2)) async -> RedisHealth {
        switch backend {
        case .standalone(let client):
            let node = await Self.probe(client.node, role: "standalone", slots: 0, timeout: timeout)
            return RedisHealth(
                status: node.reachable ? .healthy : .unhealthy, mode: "standalone", modeReason: mode.reason,
                clusterState: nil, coveredSlots: nil, nodes: [node],
                problems: node.reachable ? [] : ["\(node.address) does not answer: \(node.error ?? "no reply")"])
        case .cluster(let cluster):
            let map: SlotMap
            do {
                map = try await Self.bounded(timeout) { () async throws(RedisError) in try await cluster.refresh(force: false) }
            } catch {
                return RedisHealth(
                    status: .unhealthy, mode: "cluster", modeReason: mode.reason, clusterState: nil, coveredSlots: 0,
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
                    let isPrimary = primaries.contains(endpoint)
                    let client = cluster.pool.node(endpoint)
                    let slots = slotsOf[endpoint] ?? 0
                    group.addTask {
                        (i, await Self.probe(client, role: isPrimary ? "primary" : "replica", slots: slots, timeout: timeout))
                    }
                }
                var out: [(Int, RedisHealth.Node)] = []
                for await n in group { out.append(n) }
                return out.sorted { $0.0 < $1.0 }.map(\.1)
            }
            var state: String?
            if let primary = zip(endpoints, nodes).first(where: { primaries.contains($0.0) && $0.1.reachable })?.0 {
                let client = cluster.pool.node(primary)
                let info = try? await Self.bounded(timeout) { () async throws(RedisError) in try await client.send(RESPCommand("CLUSTER", "INFO")) }
                state = info.flatMap(Self.clusterState(in:))
            }
            return RedisHealth.cluster(modeReason: mode.reason, clusterState: state, nodes: nodes, unmappedSlots: unmapped)
        }
    }

    private static func probe(_ node: RedisNodeClient, role: String, slots: Int, timeout: Duration) async -> RedisHealth.Node {
        let start = ContinuousClock.now
        var result = RedisHealth.Node(
            address: node.endpoint.description, role: role, reachable: false, latencyMilliseconds: nil, slots: slots, error: nil)
        do {
            let reply = try await bounded(timeout) { () async throws(RedisError) in try await node.send(RESPCommand("PING")) }
            if case .error(let e) = reply {
                result.error = e.message
            } else {
                let elapsed = ContinuousClock.now - start
                result.reachable = true
                result.latencyMilliseconds = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
            }
        } catch {
            result.error = error.message
        }
        return result
    }

    /// `body`'s result, or a `.commandTimeout` error once `timeout` has passed (without
    /// waiting for `body`, so a probe ends on time).
    static func bounded<T: Sendable>(
        _ timeout: Duration, _ body: @escaping @Sendable () async throws(RedisError) -> T
    ) async throws(RedisError) -> T {
        let outcome = await firstResult(before: .now + timeout) { () async -> Result<T, RedisError> in
            do throws(RedisError) { return .success(try await body()) } catch { return .failure(error) }
        }
        guard let outcome else { throw RedisError(.commandTimeout, "No answer within \(RedisURL.format(timeout))") }
        return try outcome.get()
    }

    static func clusterState(in reply: RESPValue) -> String? {
        let text: String
        switch reply {
        case .bulkString(let b), .verbatimString(_, let b): text = String(buffer: b)
        default: return nil
        }
        for line in text.split(whereSeparator: \.isNewline) where line.hasPrefix("cluster_state:") {
            return String(line.dropFirst("cluster_state:".count))
        }
        return nil
    }
}
