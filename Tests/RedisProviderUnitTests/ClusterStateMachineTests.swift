import Testing

@testable import RedisProvider

/// The cluster client's state without a server: routing and its cache, MOVED storms,
/// failovers published by a discovery, one discovery at a time with a throttle, the retry
/// budget sized once, and shutdown, with a made-up clock and stand-in nodes.
@Suite struct ClusterStateMachineTests {
    final class Node {
        let endpoint: RedisEndpoint
        init(_ endpoint: RedisEndpoint) { self.endpoint = endpoint }
    }
    typealias Machine = ClusterStateMachine<Node, Int>

    static let t0 = ContinuousClock.now
    static func e(_ port: Int) -> RedisEndpoint { RedisEndpoint(host: "127.0.0.1", port: port) }

    /// Three shards of a third of the slots each; `primaries` names their primaries' ports.
    static func map(primaries: [Int] = [7000, 7001, 7002], replicas: [Int] = [7003, 7004, 7005]) -> SlotMap {
        let ranges = [0...5460, 5461...10922, 10923...16383]
        return SlotMap(
            ClusterTopology(
                shards: ranges.indices.map { i in
                    ClusterTopology.Shard(
                        slots: [ranges[i]], primary: .init(endpoint: e(primaries[i]), isPrimary: true),
                        replicas: [.init(endpoint: e(replicas[i]), isPrimary: false)])
                }))
    }

    static func machine(readPolicy: RedisReadPolicy = .primary, retryPolicy: ClusterRetryPolicy? = nil) -> Machine {
        Machine(minimumRefreshInterval: .milliseconds(100), retryPolicy: retryPolicy, readPolicy: readPolicy)
    }

    static func picked(_ m: inout Machine, slot: Int?, readOnly: Bool = false, made: inout Int) -> RedisEndpoint? {
        guard case .picked(let target, _) = m.pick(slot: slot, readOnly: readOnly, makeNode: { made += 1; return Node($0) }) else {
            return nil
        }
        return target?.endpoint
    }

    @Test func theFirstCallerDiscoversAndTheOthersWait() {
        var m = Self.machine()
        #expect(m.phase == .discovering)
        var made = 0
        guard case .noMap = m.pick(slot: 0, readOnly: false, makeNode: { made += 1; return Node($0) }) else {
            Issue.record("no map yet")
            return
        }
        guard case .discover = m.refreshRequested(force: false, now: Self.t0) else { Issue.record("discover"); return }
        guard case .wait = m.refreshRequested(force: true, now: Self.t0) else { Issue.record("one at a time"); return }
        #expect(m.park(1) && m.park(2))
        let (previous, waiters) = m.discovered(Self.map(), now: Self.t0)
        #expect(previous == nil && waiters == [1, 2])
        #expect(m.phase == .healthy)
        // Within the throttle a refresh that is not forced uses the map; a forced one runs.
        guard case .use = m.refreshRequested(force: false, now: Self.t0 + .milliseconds(50)) else { Issue.record("throttled"); return }
        guard case .discover = m.refreshRequested(force: true, now: Self.t0 + .milliseconds(50)) else { Issue.record("forced"); return }
        #expect(m.discoveryFailed(now: Self.t0 + .milliseconds(60), cancelled: false).isEmpty)
        #expect(m.phase == .unavailable)
        guard case .discover = m.refreshRequested(force: false, now: Self.t0 + .milliseconds(200)) else { Issue.record("due"); return }
    }

    @Test func routingIsCachedPerRouteAndNodesAreMadeOnce() {
        var m = Self.machine()
        _ = m.discovered(Self.map(), now: Self.t0)
        var made = 0
        #expect(Self.picked(&m, slot: 0, made: &made) == Self.e(7000))
        #expect(Self.picked(&m, slot: 100, made: &made) == Self.e(7000))
        #expect(Self.picked(&m, slot: 16000, made: &made) == Self.e(7002))
        #expect(made == 2)
        // Keyless commands take the primaries in turn.
        let turns = (0..<3).compactMap { _ in Self.picked(&m, slot: nil, made: &made) }
        #expect(Set(turns) == [Self.e(7000), Self.e(7001), Self.e(7002)])
    }

    /// Replica reads in turn; writes stay on the primary.
    @Test func readsFollowTheReadPolicy() {
        var m = Self.machine(readPolicy: .roundRobinReplicas)
        _ = m.discovered(Self.map(), now: Self.t0)
        var made = 0
        #expect(Self.picked(&m, slot: 0, readOnly: true, made: &made) == Self.e(7003))
        #expect(Self.picked(&m, slot: 0, readOnly: false, made: &made) == Self.e(7000))
    }

    /// A storm of MOVED replies (a whole shard's slots migrating) re-routes each slot at once;
    /// the next discovery is compared with the published map, not the patched one, so the
    /// topology events see every slot that moved.
    @Test func aMovedStormReroutesAtOnceAndTheNextDiscoveryReportsAllOfIt() {
        var m = Self.machine()
        let before = Self.map()
        _ = m.discovered(before, now: Self.t0)
        var made = 0
        #expect(Self.picked(&m, slot: 0, made: &made) == Self.e(7000))
        for slot in 0...5460 { m.moved(slot: slot, to: Self.e(7001)) }
        #expect(Self.picked(&m, slot: 0, made: &made) == Self.e(7001))
        #expect(Self.picked(&m, slot: 5460, made: &made) == Self.e(7001))
        #expect(m.published?.primary(for: 0) == Self.e(7000))
        var after = ClusterTopology(shards: [])
        after.shards = [
            .init(slots: [0...10922], primary: .init(endpoint: Self.e(7001), isPrimary: true), replicas: []),
            .init(slots: [10923...16383], primary: .init(endpoint: Self.e(7002), isPrimary: true), replicas: []),
        ]
        let (previous, _) = m.discovered(SlotMap(after), now: Self.t0 + .seconds(1))
        #expect(previous?.primary(for: 0) == Self.e(7000))
        let events = RedisTopologyEvent.changes(from: previous, to: m.published!)
        #expect(events.contains { if case .slotsMoved(let count, _, _) = $0 { return count == 5461 } else { return false } })
    }

    /// A failover published by a discovery: the routing cache is dropped, commands go to the
    /// promoted replica.
    @Test func aFailoverIsRoutedAfterTheDiscoveryThatSawIt() {
        var m = Self.machine()
        _ = m.discovered(Self.map(), now: Self.t0)
        var made = 0
        #expect(Self.picked(&m, slot: 0, made: &made) == Self.e(7000))
        _ = m.discovered(Self.map(primaries: [7003, 7001, 7002], replicas: [7000, 7004, 7005]), now: Self.t0 + .seconds(1))
        #expect(Self.picked(&m, slot: 0, made: &made) == Self.e(7003))
    }

    @Test func slotsWithoutAPrimaryMakeItDegraded() {
        var m = Self.machine()
        var topology = ClusterTopology(shards: [])
        topology.shards = [.init(slots: [0...16000], primary: .init(endpoint: Self.e(7000), isPrimary: true), replicas: [])]
        _ = m.discovered(SlotMap(topology), now: Self.t0)
        #expect(m.phase == .degraded(unservedSlots: 383))
        var made = 0
        guard case .picked(nil, _) = m.pick(slot: 16100, readOnly: false, makeNode: { made += 1; return Node($0) }) else {
            Issue.record("no node serves an unassigned slot")
            return
        }
    }

    @Test func theRetryBudgetIsSizedOnceUnlessTheCallerSetIt() {
        var m = Self.machine()
        #expect(m.wantsRetryPolicySized)
        m.nodeTimeoutFound(.milliseconds(1000))
        #expect(!m.wantsRetryPolicySized)
        #expect(m.retryPolicy == ClusterRetryPolicy.sized(forNodeTimeout: .milliseconds(1000)))
        let fixed = ClusterRetryPolicy()
        var own = Self.machine(retryPolicy: fixed)
        own.nodeTimeoutFound(.seconds(15))
        #expect(own.retryPolicy == fixed)
    }

    @Test func shutdownStopsRoutingAndRefreshing() {
        var m = Self.machine()
        _ = m.discovered(Self.map(), now: Self.t0)
        m.shutdown()
        #expect(m.phase == .shutDown)
        guard case .shutdown = m.pick(slot: 0, readOnly: false, makeNode: { Node($0) }) else { Issue.record("pick"); return }
        guard case .shutdown = m.refreshRequested(force: true, now: Self.t0) else { Issue.record("refresh"); return }
    }
}
