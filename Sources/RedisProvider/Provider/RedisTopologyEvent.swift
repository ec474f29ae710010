/// A change in a cluster's shape that the provider saw when it refreshed its slot map.
public enum RedisTopologyEvent: Sendable, Hashable, CustomStringConvertible {
    /// The first slot map: this many primaries and replicas.
    case discovered(primaries: Int, replicas: Int)
    /// A node joined the map (a new replica, a restarted node, a scaled-out shard).
    case nodeAdded(RedisEndpoint)
    /// A node left the map; its connections are closed.
    case nodeRemoved(RedisEndpoint)
    /// A replica took over `slots` slots from its primary.
    case failover(from: RedisEndpoint, to: RedisEndpoint, slots: Int)
    /// `count` slots changed owner by resharding (`from` is `nil` for slots nobody served).
    case slotsMoved(count: Int, from: RedisEndpoint?, to: RedisEndpoint?)

    public var description: String {
        switch self {
        case .discovered(let p, let r): return "discovered \(p) primaries and \(r) replicas"
        case .nodeAdded(let e): return "node \(e) added"
        case .nodeRemoved(let e): return "node \(e) removed"
        case .failover(let from, let to, let n): return "failover: \(to) took over \(n) slots from \(from)"
        case .slotsMoved(let n, let from, let to):
            return "\(n) slots moved from \(from?.description ?? "no node") to \(to?.description ?? "no node")"
        }
    }

    /// What changed between two slot maps, failovers and moves grouped by node pair, in a
    /// stable order.
    static func changes(from old: SlotMap?, to new: SlotMap) -> [RedisTopologyEvent] {
        guard let old else {
            let primaries = new.primaries.count
            return [.discovered(primaries: primaries, replicas: new.endpoints.count - primaries)]
        }
        var events: [RedisTopologyEvent] = []
        for e in new.endpoints.subtracting(old.endpoints).sorted(by: Self.order) { events.append(.nodeAdded(e)) }
        for e in old.endpoints.subtracting(new.endpoints).sorted(by: Self.order) { events.append(.nodeRemoved(e)) }
        struct Pair: Hashable { var from: RedisEndpoint?, to: RedisEndpoint?, failover: Bool }
        var counts: [Pair: Int] = [:]
        var order: [Pair] = []
        for slot in 0..<HashSlot.count {
            let before = old.primary(for: slot)
            let after = new.primary(for: slot)
            guard before != after else { continue }
            let failover =
                before != nil && after != nil
                && (old.replicas(for: slot).contains(after!) || new.replicas(for: slot).contains(before!))
            let pair = Pair(from: before, to: after, failover: failover)
            if counts[pair] == nil { order.append(pair) }
            counts[pair, default: 0] += 1
        }
        for pair in order {
            let n = counts[pair]!
            if pair.failover, let from = pair.from, let to = pair.to {
                events.append(.failover(from: from, to: to, slots: n))
            } else {
                events.append(.slotsMoved(count: n, from: pair.from, to: pair.to))
            }
        }
        return events
    }

    private static func order(_ a: RedisEndpoint, _ b: RedisEndpoint) -> Bool { a.description < b.description }
}
