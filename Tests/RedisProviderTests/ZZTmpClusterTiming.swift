import Foundation
import RedisProviderTestSupport
import Testing
import RESP

@Suite(.serialized) struct ZZTmpClusterTiming {
    @Test(arguments: [false, true]) func timing(valkey: Bool) async throws {
        for round in 0..<1 {
        var o = RedisCluster.Options()
        if valkey { o.binary = RedisCluster.valkeyServerPath }
        let clock = ContinuousClock()
        var t = clock.now
        let cluster = try await RedisCluster.start(o)
        let start = clock.now - t
        let victim = try await cluster.node(owningSlot: 0)
        t = clock.now
        cluster.kill(victim)
        _ = try await cluster.waitForFailover(of: victim)
        let failover = clock.now - t
        t = clock.now
        _ = try await cluster.restart(victim)
        try await cluster.waitUntilHealthy()
        let rejoin = clock.now - t
        for i in 0..<2000 { _ = try await cluster.send(0, .init("SET", "k\(i)", "v")) }  // only the ones node 0 owns (after failover: none); use hash tags
        for i in 0..<300 {
            let slot = try await cluster.call(0, .init("CLUSTER", "KEYSLOT", "x\(i)")).string.flatMap { Int($0) } ?? 0
            let owner = try await cluster.node(owningSlot: slot)
            _ = try await cluster.call(cluster.index(of: owner)!, .init("SET", "x\(i)", "v"))
        }
        t = clock.now
        try await cluster.migrate(slots: 0..<1200, to: cluster.nodes[2])
        let mig = clock.now - t
        cluster.stop()
        print("TIMING valkey=\(valkey) round=\(round) start=\(start) failover=\(failover) rejoin=\(rejoin) migrate1200=\(mig)")
        }
    }
}
