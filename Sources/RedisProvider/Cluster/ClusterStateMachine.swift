/// What the cluster client knows and decides, as a pure machine: the slot map it routes by
/// (MOVED patches included) and the one the last discovery published, who runs the next
/// discovery and who waits for it, the retry policy, and the routing cache of the hot path.
///
/// ``RedisClusterClient`` holds it under one lock and performs what it says: the caller told
/// to discover runs the discovery itself (or the client's `run()` does), connects the new
/// primaries, then reports the map (make before break). Time comes with the events; nodes
/// are made by the caller's `makeNode`, so the machine is tested with stand-ins.
struct ClusterStateMachine<Node: AnyObject, Waiter> {
    /// Where the cluster stands, as far as this client can tell.
    enum Phase: Equatable {
        /// No slot map yet (the first discovery has not finished).
        case discovering
        /// Every slot has a primary.
        case healthy
        /// Some slots have no primary in the map: commands for them wait or fail.
        case degraded(unservedSlots: Int)
        /// The last discovery reached no node.
        case unavailable
        case shutDown
    }

    /// The node a command goes to.
    enum Pick {
        case shutdown
        /// Discover the topology first.
        case noMap
        /// The node (nil when none serves the slot now) and the retry policy.
        case picked((endpoint: RedisEndpoint, node: Node)?, ClusterRetryPolicy)
    }

    /// What a caller asking for the topology does.
    enum RefreshStep {
        case shutdown
        /// The map is fresh enough.
        case use(SlotMap)
        /// Run the discovery, then report with `discovered` or `discoveryFailed`.
        case discover
        /// Another caller is discovering: park with `park(_:)`.
        case wait
    }

    private(set) var slotMap: SlotMap?
    /// The map as the last discovery published it, before any MOVED patch: what the next
    /// discovery compares against, so that topology events describe every change in the
    /// cluster, whether a MOVED reply or a refresh learned of it first.
    private(set) var published: SlotMap?
    private var refresh: TopologyRefreshGate<Waiter>
    private(set) var retryPolicy: ClusterRetryPolicy
    /// Whether the policy is the caller's own or was sized from the servers' node timeout.
    private(set) var retryPolicyFixed: Bool
    private var rotation = 0
    private var latencies: [RedisEndpoint: Duration] = [:]
    /// The clients of the current map's nodes, so routing takes one lock.
    private var nodes: [RedisEndpoint: Node] = [:]
    /// Each route's primary with its client, by the map's route index, filled as commands find
    /// them: a command for a primary gets its node by array reads, hashing nothing.
    private var primaryOfRoute: [(endpoint: RedisEndpoint, node: Node)?] = []
    private var promotionWatch = PromotionWatch<Waiter>()
    /// Replicas that failed a read since the last discovery: reads go to the others (or the
    /// primary) until the next discovery says how they are.
    private var unreachableReplicas: Set<RedisEndpoint> = []
    private var lastDiscoveryFailed = false
    private(set) var isShutdown = false
    let readPolicy: RedisReadPolicy

    init(minimumRefreshInterval: Duration, retryPolicy: ClusterRetryPolicy?, readPolicy: RedisReadPolicy) {
        self.refresh = TopologyRefreshGate(minimumInterval: minimumRefreshInterval)
        self.retryPolicy = retryPolicy ?? ClusterRetryPolicy()
        self.retryPolicyFixed = retryPolicy != nil
        self.readPolicy = readPolicy
    }

    var phase: Phase {
        if isShutdown { return .shutDown }
        if lastDiscoveryFailed { return .unavailable }
        guard let map = published else { return .discovering }
        if map.coversAllSlots { return .healthy }
        let unserved = (0..<HashSlot.count).reduce(0) { $0 + (map.primary(for: $1) == nil ? 1 : 0) }
        return unserved == 0 ? .healthy : .degraded(unservedSlots: unserved)
    }

    // MARK: - Routing (the hot path)

    /// The node for `slot` (any primary, in turn, for `nil`) under the read policy.
    mutating func pick(slot: Int?, readOnly: Bool, makeNode: (RedisEndpoint) -> Node) -> Pick {
        if isShutdown { return .shutdown }
        let toPrimary = !readOnly || readPolicy == .primary
        let route = slot.flatMap { slotMap?.routeIndex(for: $0) }
        if toPrimary, let route, route < primaryOfRoute.count, let known = primaryOfRoute[route] {
            return .picked(known, retryPolicy)
        }
        guard let map = slotMap else { return .noMap }
        guard let endpoint = choose(map, slot: slot, readOnly: readOnly) else { return .picked(nil, retryPolicy) }
        let node: Node
        if let cached = nodes[endpoint] {
            node = cached
        } else {
            node = makeNode(endpoint)
            nodes[endpoint] = node
        }
        if toPrimary, let route {
            if route >= primaryOfRoute.count {
                primaryOfRoute.append(contentsOf: repeatElement(nil, count: route + 1 - primaryOfRoute.count))
            }
            primaryOfRoute[route] = (endpoint, node)
        }
        return .picked((endpoint, node), retryPolicy)
    }

    private mutating func choose(_ map: SlotMap, slot: Int?, readOnly: Bool) -> RedisEndpoint? {
        guard let slot else {
            let primaries = map.primaries
            guard !primaries.isEmpty else { return nil }
            rotation &+= 1
            return primaries[rotation % primaries.count]
        }
        let primary = map.primary(for: slot)
        guard readOnly, readPolicy != .primary else { return primary }
        var replicas = map.replicas(for: slot)
        if !unreachableReplicas.isEmpty { replicas.removeAll { unreachableReplicas.contains($0) } }
        guard !replicas.isEmpty else { return primary }
        switch readPolicy {
        case .primary:
            return primary
        case .preferReplica:
            return replicas.randomElement()
        case .roundRobinReplicas:
            rotation &+= 1
            return replicas[rotation % replicas.count]
        case .lowestLatency:
            let candidates = replicas + (primary.map { [$0] } ?? [])
            return candidates.min { (latencies[$0] ?? .seconds(1)) < (latencies[$1] ?? .seconds(1)) }
        }
    }

    /// A MOVED reply: `slot` is served by `endpoint` now. Routing follows at once; the
    /// published map stays as it is until the next discovery.
    mutating func moved(slot: Int, to endpoint: RedisEndpoint) {
        _ = slotMap?.apply(movedSlot: slot, to: endpoint)
    }

    // MARK: - Failover

    /// A command could not reach `endpoint` at `now` and backs off: when it is a primary with
    /// replicas, what the command does while the replicas are asked whether one was promoted.
    mutating func unreachable(primary endpoint: RedisEndpoint, now: ContinuousClock.Instant) -> PromotionWatch<Waiter>.Step {
        if isShutdown { return .unwatched }
        return promotionWatch.step(primary: endpoint, replicas: slotMap?.replicas(ofPrimary: endpoint) ?? [], now: now)
    }

    /// Parks a command until the running probe of `primary`'s replicas ends; `false` when
    /// none runs (ask again).
    mutating func park(_ waiter: Waiter, untilProbed primary: RedisEndpoint) -> Bool {
        promotionWatch.park(waiter, for: primary)
    }

    /// A command parked for a probe was cancelled (`nil` when it was already woken).
    mutating func removeProbeWaiter(where matches: (Waiter) -> Bool) -> Waiter? {
        promotionWatch.removeWaiter(where: matches)
    }

    /// The probe of `primary`'s replicas ended: when `found` says it is a primary now, its
    /// slots route to it from now on. Returns the parked commands to wake, in arrival order.
    mutating func probed(_ primary: RedisEndpoint, found: RedisEndpoint?, now: ContinuousClock.Instant) -> [Waiter] {
        let waiters = promotionWatch.probed(primary, found: found, now: now)
        if let found, slotMap?.apply(promoted: found, replacing: primary) == true { primaryOfRoute = [] }
        return waiters
    }

    /// A read sent to a replica failed to reach it: reads avoid it until the next discovery.
    /// `false` when `endpoint` is not a replica in the map (nothing changes).
    mutating func replicaUnreachable(_ endpoint: RedisEndpoint) -> Bool {
        guard let map = slotMap, map.primaries.contains(endpoint) == false,
            map.topology.allNodes.contains(where: { $0.endpoint == endpoint && !$0.isPrimary })
        else { return false }
        return unreachableReplicas.insert(endpoint).inserted
    }

    // MARK: - Discovery

    /// A caller wants the topology at `now`; `force` skips the refresh throttle.
    mutating func refreshRequested(force: Bool, now: ContinuousClock.Instant) -> RefreshStep {
        if isShutdown { return .shutdown }
        switch refresh.requested(force: force, haveMap: slotMap != nil, now: now) {
        case .useCurrent:
            guard let slotMap else {
                return .discover
            }
            return .use(slotMap)
        case .discover: return .discover
        case .wait: return .wait
        }
    }

    /// Waits for the running discovery; `false` when it finished meanwhile (ask again).
    mutating func park(_ waiter: Waiter) -> Bool { refresh.park(waiter) }

    /// A waiting caller was cancelled: takes its waiter out (`nil` when it was already told).
    mutating func removeWaiter(where matches: (Waiter) -> Bool) -> Waiter? { refresh.removeWaiter(where: matches) }

    /// The discovery found `map` (its new primaries already connected): it is published and
    /// routed by from now on. Returns the map it replaces, for the topology events, and the
    /// callers that waited for it.
    mutating func discovered(_ map: SlotMap, now: ContinuousClock.Instant) -> (previous: SlotMap?, waiters: [Waiter]) {
        let previous = published
        if !isShutdown {
            slotMap = map
            published = map
            nodes = [:]
            primaryOfRoute = []
            unreachableReplicas = []
            // The majority may not know yet of a promotion a replica already reported.
            for (old, new) in promotionWatch.discovered(map, now: now) { slotMap!.apply(promoted: new, replacing: old) }
        }
        lastDiscoveryFailed = false
        return (previous, refresh.finished(now: now))
    }

    /// The discovery failed: the callers that waited for it.
    mutating func discoveryFailed(now: ContinuousClock.Instant, cancelled: Bool) -> [Waiter] {
        if !cancelled { lastDiscoveryFailed = true }
        return refresh.finished(now: now)
    }

    /// Whether the retry budget should be sized from the servers' `cluster-node-timeout`.
    var wantsRetryPolicySized: Bool { !retryPolicyFixed }

    /// The servers' `cluster-node-timeout`: the retry budget covers one failover.
    mutating func nodeTimeoutFound(_ timeout: Duration) {
        guard !retryPolicyFixed else { return }
        retryPolicy = ClusterRetryPolicy.sized(forNodeTimeout: timeout)
        retryPolicyFixed = true
    }

    /// Round trips measured to the nodes (for the lowest-latency read policy).
    mutating func measured(_ latencies: [RedisEndpoint: Duration]) {
        self.latencies = latencies
    }

    /// Stops routing: every pick and refresh answers `.shutdown` from now on.
    mutating func shutdown() {
        isShutdown = true
    }
}
