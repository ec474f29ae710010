import RESP

/// The probes behind every client's `health(timeout:)`: I/O only; the verdict is
/// ``RedisHealth``'s own.
extension RedisHealth {
    static func probe(_ node: RedisNodeClient, role: String, slots: Int, timeout: Duration) async -> RedisHealth.Node {
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
        // Where the node was found (a Sentinel-watched node learns its address on connecting).
        result.address = node.endpoint.description
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
