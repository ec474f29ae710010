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

extension RedisCluster {
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

    func waitUntilHealthy(until deadline: ContinuousClock.Instant, _ extra: (ClusterView) -> Bool) async throws {
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

    func healthCheck() async -> Result<ClusterView, RedisServerError> {
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
    func expectedAddressMarker(_ i: Int) -> String? {
        if options.announceHostnames { return "," + Self.hostname(ofNode: i) }
        if let ip = options.announceIP { return ip + ":" }
        return nil
    }

    /// The view of the first live node that answers.
    func anyView() async throws -> (ClusterView, Int) {
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

}
