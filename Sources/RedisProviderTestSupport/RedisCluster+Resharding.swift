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
    // MARK: - Resharding

    /// Moves `slots` (with their keys) from their current owners to the primary `target`, the
    /// way `redis-cli --cluster reshard` does: `CLUSTER SETSLOT IMPORTING` on the target,
    /// `MIGRATING` on the source, `MIGRATE` of the keys in batches (with `AUTH` when the
    /// cluster has a password), then `CLUSTER SETSLOT NODE` on the target, the source and every
    /// other primary. Slots are handled 256 at a time (commands pipelined), so moving
    /// thousands takes a second or so. Returns once the cluster is healthy and agrees on the
    /// new owners. Slots `target` already owns are skipped.
    public func migrate(slots: some Sequence<Int>, to target: RedisServer, timeout: Duration = .seconds(30)) async throws {
        guard let t = index(of: target) else { throw RedisServerError("port \(target.port) is not a node of this cluster") }
        let (view, _) = try await anyView()
        let ids = nodeIDs
        var bySource: [Int: [Int]] = [:]
        for slot in slots {
            precondition((0..<16384).contains(slot), "slot \(slot) is out of range")
            guard let owner = view.owner(ofSlot: slot), let s = ids.firstIndex(of: owner.id) else {
                throw RedisServerError("no node serves slot \(slot)")
            }
            if s != t { bySource[s, default: []].append(slot) }
        }
        let others = try await primaries().compactMap { index(of: $0) }
        for (s, sourceSlots) in bySource.sorted(by: { $0.key < $1.key }) {
            for start in stride(from: 0, to: sourceSlots.count, by: 256) {
                let chunk = Array(sourceSlots[start..<min(start + 256, sourceSlots.count)])
                try await callSpread(t, chunk.map { RESPCommand("CLUSTER", "SETSLOT", $0, "IMPORTING", ids[s]) })
                try await callSpread(s, chunk.map { RESPCommand("CLUSTER", "SETSLOT", $0, "MIGRATING", ids[t]) })
                // Counted after MIGRATING: from then on, new keys of these slots go to the target.
                let counts = try await call(s, pipeline: chunk.map { RESPCommand("CLUSTER", "COUNTKEYSINSLOT", $0) })
                for (slot, count) in zip(chunk, counts) where count != .integer(0) {
                    _ = try await moveKeys(slot: slot, from: s, to: t, count: .max)
                }
                try await assign(slots: chunk, from: s, to: t, otherPrimaries: others)
            }
        }
        try await waitUntilHealthy(timeout: timeout)
    }

    /// Starts moving `slot` from its owner to the primary `target` and stops half-way: the
    /// slot is `IMPORTING` on the target and `MIGRATING` on the source, and no key has moved
    /// yet. Keys moved with ``SlotMigration/moveKeys(count:)`` make the source answer `ASK`
    /// for them; ``SlotMigration/finish()`` completes the move.
    public func beginMigration(slot: Int, to target: RedisServer) async throws -> SlotMigration {
        precondition((0..<16384).contains(slot), "slot \(slot) is out of range")
        let source = try await node(owningSlot: slot)
        guard let s = index(of: source), let t = index(of: target) else {
            throw RedisServerError("port \(target.port) is not a node of this cluster")
        }
        guard s != t else { throw RedisServerError("node \(t) already owns slot \(slot)") }
        let ids = nodeIDs
        _ = try await call(t, RESPCommand("CLUSTER", "SETSLOT", slot, "IMPORTING", ids[s]))
        _ = try await call(s, RESPCommand("CLUSTER", "SETSLOT", slot, "MIGRATING", ids[t]))
        return SlotMigration(cluster: self, slot: slot, sourceIndex: s, targetIndex: t, source: source, target: target)
    }

    func moveKeys(slot: Int, from s: Int, to t: Int, count: Int) async throws -> Int {
        var moved = 0
        let targetPort = nodes[t].port
        while moved < count {
            let batch = min(100, count - moved)
            let keys = try await call(s, RESPCommand("CLUSTER", "GETKEYSINSLOT", slot, batch)).elements ?? []
            if keys.isEmpty { break }
            var command = RESPCommand("MIGRATE", "127.0.0.1", targetPort, "", 0, 10_000)
            if let password = options.password { command.append("AUTH"); command.append(password) }
            command.append("KEYS")
            for key in keys { if let b = key.byteBuffer { command.append(b) } }
            _ = try await call(s, command)
            moved += keys.count
        }
        return moved
    }

    /// `CLUSTER SETSLOT NODE` on the target first, then the source, then the other primaries
    /// (best effort there: gossip spreads the change too).
    func assign(slots: [Int], from s: Int, to t: Int, otherPrimaries: [Int]? = nil) async throws {
        let id = nodeIDs[t]
        let commands = slots.map { RESPCommand("CLUSTER", "SETSLOT", $0, "NODE", id) }
        try await callSpread(t, commands)
        try await callSpread(s, commands)
        var others = otherPrimaries
        if others == nil { others = try await primaries().compactMap { index(of: $0) } }
        for o in others! where o != s && o != t {
            _ = try? await callSpread(o, commands, throwing: false)
        }
    }

    func countKeys(slot: Int, on s: Int) async throws -> Int {
        guard case .integer(let n) = try await call(s, RESPCommand("CLUSTER", "COUNTKEYSINSLOT", slot)) else { return 0 }
        return Int(n)
    }

    // MARK: - Stopping

    /// Stops every node (SIGTERM, then SIGKILL, by pid) and removes their folders. Also done
    /// when the cluster is deinitialized.
    public func stop() {
        let nodes: [RedisServer] = state.withLock { s in
            if s.stopped { return [] }
            s.stopped = true
            return s.nodes
        }
        connections.withLock { $0.removeAll() }
        for node in nodes {
            node.stop()
            try? FileManager.default.removeItem(at: node.directory)  // also when killed before
        }
    }

}


/// A slot held half-migrated by ``RedisCluster/beginMigration(slot:to:)``.
public final class SlotMigration: Sendable {
    /// The slot being moved.
    public let slot: Int
    /// The primary that owned the slot (`MIGRATING`).
    public let source: RedisServer
    /// The primary receiving it (`IMPORTING`).
    public let target: RedisServer
    let cluster: RedisCluster
    let sourceIndex: Int
    let targetIndex: Int

    init(cluster: RedisCluster, slot: Int, sourceIndex: Int, targetIndex: Int, source: RedisServer, target: RedisServer) {
        self.cluster = cluster
        self.slot = slot
        self.sourceIndex = sourceIndex
        self.targetIndex = targetIndex
        self.source = source
        self.target = target
    }

    /// Moves up to `count` of the slot's keys still on the source to the target (`MIGRATE`,
    /// in batches of 100); returns how many moved. From then on the source answers `ASK` for
    /// them.
    @discardableResult
    public func moveKeys(count: Int = .max) async throws -> Int {
        try await cluster.moveKeys(slot: slot, from: sourceIndex, to: targetIndex, count: count)
    }

    /// How many of the slot's keys are still on the source.
    public func keysLeftOnSource() async throws -> Int {
        try await cluster.countKeys(slot: slot, on: sourceIndex)
    }

    /// Moves the remaining keys, assigns the slot to the target on every primary
    /// (`CLUSTER SETSLOT NODE`), and waits until the cluster is healthy and agrees.
    public func finish(timeout: Duration = .seconds(30)) async throws {
        try await moveKeys()
        try await assign()
        try await cluster.waitUntilHealthy(timeout: timeout)
    }

    func assign() async throws {
        try await cluster.assign(slots: [slot], from: sourceIndex, to: targetIndex)
    }
}
