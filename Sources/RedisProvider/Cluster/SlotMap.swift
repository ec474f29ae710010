/// The routing table of a cluster: for every hash slot, the primary to send writes to and
/// the replicas that may serve reads. Built from a ``ClusterTopology``, then patched in
/// place by MOVED redirections until the next topology refresh replaces it.
///
/// Lookups are array indexing; the map is a value, so a client can publish a new one
/// atomically (make the new connections first, then swap the map).
public struct SlotMap: Sendable {
    /// One primary and its readable replicas; slots point at routes by index.
    struct Route: Sendable {
        var primary: RedisEndpoint?
        var replicas: [RedisEndpoint]
        var slotCount: Int
    }

    /// The topology this map was built from. MOVED patches change the map, not this.
    public let topology: ClusterTopology
    private var routes: [Route]
    /// `routeOfSlot[slot]`: index into `routes`, or -1 for a slot no shard serves.
    private var routeOfSlot: [Int32]
    /// Every endpoint known: all nodes of the topology plus MOVED targets.
    public private(set) var endpoints: Set<RedisEndpoint>

    /// Builds the table from `topology`. Replicas that are failed or loading are left out of
    /// read routing; a shard without a primary has no primary endpoint for its slots.
    public init(_ topology: ClusterTopology) {
        self.topology = topology
        routes = []
        routeOfSlot = [Int32](repeating: -1, count: HashSlot.count)
        endpoints = Set(topology.allNodes.map(\.endpoint))
        var routeOfPrimary: [RedisEndpoint: Int] = [:]
        for shard in topology.shards where !shard.slots.isEmpty {
            let index: Int
            if let primary = shard.primary?.endpoint, let existing = routeOfPrimary[primary] {
                index = existing
            } else {
                index = routes.count
                routes.append(Route(primary: shard.primary?.endpoint, replicas: [], slotCount: 0))
                if let primary = shard.primary?.endpoint { routeOfPrimary[primary] = index }
            }
            for replica in shard.replicas where replica.canServe && !routes[index].replicas.contains(replica.endpoint) {
                routes[index].replicas.append(replica.endpoint)
            }
            for range in shard.slots {
                for slot in range.clamped(to: 0...(HashSlot.count - 1)) {
                    let previous = routeOfSlot[slot]
                    if previous >= 0 { routes[Int(previous)].slotCount -= 1 }
                    routeOfSlot[slot] = Int32(index)
                    routes[index].slotCount += 1
                }
            }
        }
    }

    /// The primary serving `slot`, or `nil` when no shard with a primary serves it.
    public func primary(for slot: Int) -> RedisEndpoint? {
        route(for: slot)?.primary
    }

    /// The replicas that may serve reads for `slot` (online or of unknown health), in the
    /// order the server listed them.
    public func replicas(for slot: Int) -> [RedisEndpoint] {
        route(for: slot)?.replicas ?? []
    }

    /// The distinct primaries that serve at least one slot, in the topology's shard order
    /// (MOVED targets new to the map last): the targets of fan-out commands and SCAN.
    public var primaries: [RedisEndpoint] {
        routes.compactMap { $0.slotCount > 0 ? $0.primary : nil }
    }

    /// `true` when every slot has a primary.
    public var coversAllSlots: Bool {
        !routeOfSlot.contains { $0 < 0 || routes[Int($0)].primary == nil }
    }

    /// Applies a MOVED redirection: `slot` is now served by `endpoint`, which may be a node
    /// this map has not seen (it is added as a primary without replicas; the next topology
    /// refresh fills in the rest).
    ///
    /// - Returns: `true` when the map changed, `false` when it already said so.
    @discardableResult
    public mutating func apply(movedSlot slot: Int, to endpoint: RedisEndpoint) -> Bool {
        guard (0..<HashSlot.count).contains(slot) else { return false }
        let current = routeOfSlot[slot]
        if current >= 0, routes[Int(current)].primary == endpoint { return false }
        let target: Int
        if let existing = routes.firstIndex(where: { $0.primary == endpoint }) {
            target = existing
        } else {
            target = routes.count
            routes.append(Route(primary: endpoint, replicas: [], slotCount: 0))
            endpoints.insert(endpoint)
        }
        if current >= 0 { routes[Int(current)].slotCount -= 1 }
        routeOfSlot[slot] = Int32(target)
        routes[target].slotCount += 1
        return true
    }

    /// A replica of `primary` says it was promoted: the slots `primary` served go to
    /// `replica`, whose fellow replicas stay readable. The next topology refresh confirms it.
    ///
    /// - Returns: `true` when the map changed.
    @discardableResult
    public mutating func apply(promoted replica: RedisEndpoint, replacing primary: RedisEndpoint) -> Bool {
        var changed = false
        for i in routes.indices where routes[i].primary == primary {
            routes[i].primary = replica
            routes[i].replicas.removeAll { $0 == replica }
            changed = true
        }
        if changed { endpoints.insert(replica) }
        return changed
    }

    /// The replicas that may take over from `primary`: those of its shard in the topology
    /// that are not marked failed, whether or not they serve reads (Redis reports a replica
    /// `loading` until its replication offset moves). None when `primary` no longer serves
    /// slots in this map.
    public func replicas(ofPrimary primary: RedisEndpoint) -> [RedisEndpoint] {
        guard routes.contains(where: { $0.primary == primary && $0.slotCount > 0 }) else { return [] }
        return topology.shards.filter { $0.primary?.endpoint == primary }
            .flatMap { $0.replicas.filter { $0.health != .failed }.map(\.endpoint) }
    }

    /// The index of the route serving `slot`, or `nil` when none does. A route's primary
    /// changes only with a promotion (MOVED adds routes), so clients may cache per-route data
    /// by this index until they apply one.
    func routeIndex(for slot: Int) -> Int? {
        guard (0..<HashSlot.count).contains(slot) else { return nil }
        let index = routeOfSlot[slot]
        return index >= 0 ? Int(index) : nil
    }

    private func route(for slot: Int) -> Route? {
        routeIndex(for: slot).map { routes[$0] }
    }
}
