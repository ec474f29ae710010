import Testing

@testable import RedisProvider

/// Watching the replicas of an unreachable primary without a server: one prober at a time at
/// most every 10 ms, parked commands woken in arrival order, the promotion routed at once and
/// kept over discoveries that are behind it, and only the shard that is down watched.
@Suite struct PromotionWatchTests {
    typealias Machine = ClusterStateMachineTests.Machine
    static let t0 = ClusterStateMachineTests.t0
    static func e(_ port: Int) -> RedisEndpoint { ClusterStateMachineTests.e(port) }

    static func primary(_ m: inout Machine, slot: Int) -> RedisEndpoint? {
        var made = 0
        return ClusterStateMachineTests.picked(&m, slot: slot, made: &made)
    }

    /// A machine whose first shard's primary (7000) was found replaced by 7003 at `t0`.
    static func promoted() -> Machine {
        var m = ClusterStateMachineTests.machine()
        _ = m.discovered(ClusterStateMachineTests.map(), now: t0)
        _ = m.unreachable(primary: e(7000), now: t0)
        _ = m.probed(e(7000), found: e(7003), now: t0)
        return m
    }

    @Test func oneProberAtATimeAndTheOthersParkInOrder() {
        var watch = PromotionWatch<Int>()
        let dead = Self.e(7000), replicas = [Self.e(7003)]
        #expect(watch.step(primary: dead, replicas: replicas, now: Self.t0) == .probe(replicas, at: Self.t0))
        #expect(watch.step(primary: dead, replicas: replicas, now: Self.t0) == .wait)
        #expect(watch.park(1, for: dead) && watch.park(2, for: dead) && watch.park(3, for: dead))
        #expect(watch.removeWaiter { $0 == 2 } == 2)
        // Nothing yet: everyone parked is woken, the next look is 10 ms after the last.
        #expect(watch.probed(dead, found: nil, now: Self.t0 + .milliseconds(1)) == [1, 3])
        let parkedWithoutAProbe = watch.park(4, for: dead)
        #expect(!parkedWithoutAProbe)
        #expect(
            watch.step(primary: dead, replicas: replicas, now: Self.t0 + .milliseconds(2))
                == .probe(replicas, at: Self.t0 + .milliseconds(10)))
        // A late look is not pushed further back.
        #expect(watch.probed(dead, found: nil, now: Self.t0 + .milliseconds(11)).isEmpty)
        #expect(
            watch.step(primary: dead, replicas: replicas, now: Self.t0 + .milliseconds(50))
                == .probe(replicas, at: Self.t0 + .milliseconds(50)))
        let parked = watch.park(5, for: dead)
        #expect(parked)
        #expect(watch.probed(dead, found: replicas[0], now: Self.t0 + .milliseconds(51)) == [5])
        #expect(watch.step(primary: dead, replicas: replicas, now: Self.t0 + .milliseconds(52)) == .promoted)
    }

    @Test func aPrimaryWithoutReplicasIsNotWatched() {
        var watch = PromotionWatch<Int>()
        #expect(watch.step(primary: Self.e(7000), replicas: [], now: Self.t0) == .unwatched)
    }

    @Test func aPromotionRoutesTheShardToTheReplicaAtOnce() {
        var m = ClusterStateMachineTests.machine()
        _ = m.discovered(ClusterStateMachineTests.map(), now: Self.t0)
        #expect(Self.primary(&m, slot: 0) == Self.e(7000))
        guard case .probe(let replicas, _) = m.unreachable(primary: Self.e(7000), now: Self.t0) else {
            Issue.record("the first command probes")
            return
        }
        #expect(replicas == [Self.e(7003)])
        // The healthy shards are not watched: their primaries are not reported unreachable.
        let parked = m.park(1, untilProbed: Self.e(7000))
        #expect(parked)
        #expect(m.probed(Self.e(7000), found: Self.e(7003), now: Self.t0 + .milliseconds(5)) == [1])
        #expect(Self.primary(&m, slot: 0) == Self.e(7003))
        #expect(Self.primary(&m, slot: 5460) == Self.e(7003))
        #expect(Self.primary(&m, slot: 5461) == Self.e(7001))
        #expect(m.unreachable(primary: Self.e(7000), now: Self.t0 + .milliseconds(6)) == .promoted)
    }

    @Test func aDiscoveryBehindThePromotionDoesNotUndoItAndOneThatConfirmsItEndsIt() {
        var m = Self.promoted()
        // The majority still names the dead primary: the promotion stays applied.
        _ = m.discovered(ClusterStateMachineTests.map(), now: Self.t0 + .milliseconds(100))
        #expect(Self.primary(&m, slot: 0) == Self.e(7003))
        // The majority caught up: from now on the discoveries alone decide.
        let confirmed = ClusterStateMachineTests.map(primaries: [7003, 7001, 7002], replicas: [7000, 7004, 7005])
        _ = m.discovered(confirmed, now: Self.t0 + .milliseconds(200))
        _ = m.discovered(ClusterStateMachineTests.map(), now: Self.t0 + .milliseconds(300))
        #expect(Self.primary(&m, slot: 0) == Self.e(7000))
    }

    @Test func aPromotionIsForgottenAfterItsMemory() {
        var m = Self.promoted()
        _ = m.discovered(ClusterStateMachineTests.map(), now: Self.t0 + .seconds(11))
        #expect(Self.primary(&m, slot: 0) == Self.e(7000))
    }

    @Test func readsAvoidAReplicaThatFailedUntilTheNextDiscovery() {
        var m = ClusterStateMachineTests.machine(readPolicy: .roundRobinReplicas)
        _ = m.discovered(ClusterStateMachineTests.map(), now: Self.t0)
        var made = 0
        #expect(ClusterStateMachineTests.picked(&m, slot: 0, readOnly: true, made: &made) == Self.e(7003))
        let first = m.replicaUnreachable(Self.e(7003))
        let again = m.replicaUnreachable(Self.e(7003))
        let primary = m.replicaUnreachable(Self.e(7000))
        #expect(first)
        #expect(!again, "already avoided")
        #expect(!primary, "a primary is not a replica")
        #expect(ClusterStateMachineTests.picked(&m, slot: 0, readOnly: true, made: &made) == Self.e(7000))
        #expect(ClusterStateMachineTests.picked(&m, slot: 6000, readOnly: true, made: &made) == Self.e(7004))
        _ = m.discovered(ClusterStateMachineTests.map(), now: Self.t0 + .seconds(1))
        #expect(ClusterStateMachineTests.picked(&m, slot: 0, readOnly: true, made: &made) == Self.e(7003))
    }

    @Test func rolesThatSayPrimary() {
        #expect(RedisClusterClient.saysPrimary(.array(["master", 10, .array([])])))
        #expect(!RedisClusterClient.saysPrimary(.array(["slave", "127.0.0.1", 7000])))
        #expect(!RedisClusterClient.saysPrimary(.error(.init(message: "ERR unknown"))))
    }
}
