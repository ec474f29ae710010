import RESP

/// How started nodes become a cluster, the way `redis-cli --cluster create` does it: distinct
/// config epochs, the slots split evenly over the first `primaries` nodes, every node meeting
/// the first, and the rest made replicas of the primaries in turn. The test support's
/// `RedisCluster` and the CLI's `sandbox start --cluster` both form their clusters with it.
package enum ClusterFormation {
    /// The slot ranges `redis-cli --cluster create` gives `primaries` primaries.
    package static func slotRanges(primaries: Int) -> [ClosedRange<Int>] {
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

    /// Forms `count` nodes, node 0 listening on 127.0.0.1 at `meetPort`/`meetBusPort`, and
    /// returns their ids. `call` sends a command to node *i* and throws on an error reply;
    /// `prepare` runs on each node after its id is known (announce settings, say).
    package static func form(
        count: Int, primaries: Int, meetPort: Int, meetBusPort: Int, timeout: Duration,
        call: (Int, RESPCommand) async throws -> RESPValue,
        prepare: (Int) async throws -> Void = { _ in }
    ) async throws -> [String] {
        let deadline = ContinuousClock.now + timeout
        var ids: [String] = []
        for i in 0..<count {
            let id = try await call(i, RESPCommand("CLUSTER", "MYID")).string ?? ""
            guard id.count == 40 else { throw RedisServerError("node \(i): unexpected CLUSTER MYID reply '\(id)'") }
            ids.append(id)
            try await prepare(i)
            // Distinct epochs up front, as redis-cli does, so no collision has to be resolved.
            _ = try await call(i, RESPCommand("CLUSTER", "SET-CONFIG-EPOCH", i + 1))
        }
        for (p, range) in slotRanges(primaries: primaries).enumerated() {
            _ = try await call(p, RESPCommand("CLUSTER", "ADDSLOTSRANGE", range.lowerBound, range.upperBound))
        }
        // The meeting address is 127.0.0.1 whatever is announced: the nodes listen there only.
        for i in 1..<max(count, 1) {
            _ = try await call(i, RESPCommand("CLUSTER", "MEET", "127.0.0.1", meetPort, meetBusPort))
        }
        let all = Set(ids)
        var reason = ""
        while true {
            var known = true
            for i in 0..<count {
                guard let text = try? await call(i, RESPCommand("CLUSTER", "NODES")).string else { known = false; break }
                let seen = Set(ClusterView(parsing: text).lines.filter { !$0.handshake }.map(\.id))
                if !all.isSubset(of: seen) { known = false; reason = "node \(i) knows \(seen.count) of \(count) nodes"; break }
            }
            if known { break }
            guard ContinuousClock.now < deadline else { throw RedisServerError("the nodes did not meet in time: \(reason)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        for r in primaries..<count {
            _ = try await call(r, RESPCommand("CLUSTER", "REPLICATE", ids[(r - primaries) % primaries]))
        }
        return ids
    }
}
