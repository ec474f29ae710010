import Foundation
import NIOCore
import RESP
import RedisProviderTestSupport
import Testing

@testable import RedisProvider

/// Failovers under load on real clusters: a killed primary replaced by its replica (found by
/// asking the shard's replicas), a shard with no node left, a failover during a reshard,
/// graceful and forced manual failovers, and a dead replica under replica reads.
@Suite(.serialized) struct FailoverTests {
    /// How many GETs node `server` has executed.
    static func gets(_ cluster: RedisCluster, _ server: RedisServer) async throws -> Int {
        let info = try await cluster.call(cluster.index(of: server)!, RESPCommand("INFO", "commandstats")).string ?? ""
        guard let line = info.split(separator: "\r\n").first(where: { $0.hasPrefix("cmdstat_get:") }),
            let calls = line.split(separator: ",").first?.split(separator: "=").last
        else { return 0 }
        return Int(calls) ?? 0
    }

    @Test(arguments: ClusterServer.available) func killedPrimaryIsReplacedByThePromotedReplica(server: ClusterServer) async throws {
        try await withCluster(server) { client, cluster in
            let promotions = Collector<String>()
            client.observe(ClusterObserver(promotionFound: { old, new in promotions.append("\(old)→\(new)") }))
            for i in 0..<300 { try await client.set("p:\(i)", "\(i)") }
            let slot = HashSlot.slot(for: "p:1")
            let script = RedisScript("return redis.call('INCR', KEYS[1])")
            #expect(try await script.run(on: client, keys: ["{p:1}:n"], as: Int.self) == 1)
            let victim = try await cluster.node(owningSlot: slot)
            let load = Load(tasks: 50) { i, errors in
                if try await client.get("p:\(i % 300)").text != "\(i % 300)" { errors.append("wrong value") }
            }
            try await Task.sleep(for: .milliseconds(300))
            cluster.kill(victim)
            let promoted = try await cluster.waitForFailover(of: victim)
            try await Task.sleep(for: .milliseconds(500))
            let errors = await load.stop()
            #expect(errors.isEmpty, "\(errors.prefix(5))")
            #expect(try await client.target(slot: slot, readOnly: true) == promoted.endpoint)
            #expect(try await Self.gets(cluster, promoted) > 0, "the callers' reads reach the promoted replica")
            // Whatever found the promotion first, the replicas were never misread.
            #expect(promotions.all.allSatisfy { $0 == "\(victim.endpoint)→\(promoted.endpoint)" }, "\(promotions.all)")
            // The promoted replica may lack the script: it runs anyway, on the replicated count.
            #expect(try await script.run(on: client, keys: ["{p:1}:n"], as: Int.self) == 2)
        }
    }

    @Test(arguments: ClusterServer.available) func shardWithNoNodeLeftFailsAfterTheBudgetAndRecovers(server: ClusterServer) async throws {
        let retry = ClusterRetryPolicy(budget: .seconds(2))
        try await withCluster(server, clusterOptions: RedisClusterOptions(refreshInterval: nil, retryPolicy: retry)) { client, cluster in
            try await client.set("gone:1", "v")
            let slot = HashSlot.slot(for: "gone:1")
            let victim = try await cluster.node(owningSlot: slot)
            var replica: RedisServer?
            for candidate in try await cluster.replicas() where try await cluster.primary(of: candidate).port == victim.port {
                replica = candidate
            }
            let victimReplica = try #require(replica)
            cluster.kill(victimReplica)
            cluster.kill(victim)
            let started = ContinuousClock.now
            let e = await redisError { _ = try await client.get("gone:1") }
            #expect(e?.kind == .clusterDown, "\(String(describing: e))")
            #expect(ContinuousClock.now - started >= .seconds(2), "it used its whole budget")
            _ = try await cluster.restart(victim)
            _ = try await cluster.restart(victimReplica)
            try await cluster.waitUntilHealthy()
            var back = false
            for _ in 0..<100 where !back {
                back = (try? await client.set("gone:1", "again")) == true
                if !back { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(back)
            #expect(try await client.get("gone:1").text == "again")
        }
    }

    @Test(arguments: ClusterServer.available) func failoverDuringAReshard(server: ClusterServer) async throws {
        // With full coverage required, every node refuses MIGRATE while a shard has no
        // primary; a reshard only runs through a failover when the cluster allows it.
        var options = RedisCluster.Options()
        options.extraArguments = ["--cluster-require-full-coverage", "no"]
        try await withCluster(server, options) { client, cluster in
            for i in 0..<300 { try await client.set("rf:\(i)", "\(i)") }
            let primaries = try await cluster.primaries()
            let source = try await cluster.node(owningSlot: 0)
            let target = primaries.first { $0.port != source.port }!
            let victim = primaries.first { $0.port != source.port && $0.port != target.port }!
            let load = Load(tasks: 50) { i, errors in
                if try await client.get("rf:\(i % 300)").text != "\(i % 300)" { errors.append("wrong value") }
            }
            try await Task.sleep(for: .milliseconds(300))
            cluster.kill(victim)
            do {
                // The failover is awaited from before the reshard changes the cluster's view.
                async let failedOver = cluster.waitForFailover(of: victim)
                try await cluster.migrate(slots: 0..<1000, to: target)
                _ = try await failedOver
                try await Task.sleep(for: .milliseconds(500))
            } catch {
                _ = await load.stop()
                throw error
            }
            let errors = await load.stop()
            #expect(errors.isEmpty, "\(errors.prefix(5))")
        }
    }

    @Test(arguments: ClusterServer.available.flatMap { s in [(s, false), (s, true)] })
    func manualFailoverUnderLoad(server: ClusterServer, force: Bool) async throws {
        try await withCluster(server) { client, cluster in
            for i in 0..<300 { try await client.set("m:\(i)", "\(i)") }
            let replica = try await cluster.replicas()[0]
            let load = Load(tasks: 50) { i, errors in
                if i % 2 == 0 {
                    if try await client.get("m:\(i % 300)").text != "\(i % 300)" { errors.append("wrong value") }
                } else if try await client.set("m:\(i % 300)", "\(i % 300)") != true {
                    errors.append("SET not acknowledged")
                }
            }
            try await Task.sleep(for: .milliseconds(300))
            let r = cluster.index(of: replica)!
            try await cluster.call(r, force ? RESPCommand("CLUSTER", "FAILOVER", "FORCE") : RESPCommand("CLUSTER", "FAILOVER"))
            var role = ""
            for _ in 0..<100 where role != "master" {
                role = try await cluster.call(r, RESPCommand("ROLE")).elements?.first?.string ?? ""
                if role != "master" { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(role == "master")
            try await cluster.waitUntilHealthy()
            try await Task.sleep(for: .milliseconds(500))
            let errors = await load.stop()
            #expect(errors.isEmpty, "\(errors.prefix(5))")
        }
    }

    @Test(arguments: ClusterServer.available) func deadReplicaUnderReplicaReads(server: ClusterServer) async throws {
        let options = RedisClusterOptions(readPolicy: .roundRobinReplicas, refreshInterval: nil)
        try await withCluster(server, clusterOptions: options) { client, cluster in
            for i in 0..<300 { try await client.set("rr:\(i)", "\(i)") }
            try await Task.sleep(for: .milliseconds(300))  // replication
            let load = Load(tasks: 50) { i, errors in
                if try await client.get("rr:\(i % 300)").text != "\(i % 300)" { errors.append("wrong value") }
            }
            try await Task.sleep(for: .milliseconds(300))
            cluster.kill(try await cluster.replicas()[0])
            try await Task.sleep(for: .seconds(2))
            let errors = await load.stop()
            #expect(errors.isEmpty, "\(errors.prefix(5))")
        }
    }
}
