import InMemoryLogging
import InMemoryTracing
import Logging
import MetricsTestKit
import NIOCore
import RESP
import RedisProviderTestSupport
import ServiceLifecycle
import Testing
import Tracing

@testable import RedisProvider

/// `RedisProvider`: one API over standalone and cluster, with its telemetry and lifecycle.
@Suite(.serialized) struct ProviderTests {
    @Test(arguments: [
        ("redis://redis-cluster.redis.svc.cluster.local:6379?cluster=true", nil, true),
        ("redis://redis-livekit.redis.svc.cluster.local:6379", nil, false),
        ("redis://redis-cluster.redis.svc.cluster.local:6379?cluster=false", nil, false),
        ("redis://redis-cluster.redis.svc.cluster.local:6379", false, false),
        ("redis://redis-livekit.redis.svc.cluster.local:6379", true, true),
        ("redis://a:6379,b:6379", nil, true),
        ("redis://[::1]:6379", nil, false),
        ("rediss://redis-cluster.example.com:6380", nil, true),
    ] as [(String, Bool?, Bool)])
    func modeAndReason(url: String, override: Bool?, cluster: Bool) throws {
        // Nothing connects until the first command, so these never touch the network.
        let provider = try RedisProvider(url: url, clusterOverride: override, observability: .init(tracer: nil))
        #expect(provider.isCluster == cluster, "\(url)")
        if case .cluster = provider.backend { #expect(cluster) } else { #expect(!cluster) }
        if override != nil { #expect(provider.mode.reason.contains("configuration")) }
    }

    @Test func standaloneWithSeveralNodesIsAConfigurationError() async throws {
        let e = await redisError { _ = try RedisProvider(url: "redis://a:6379,b:6379", clusterOverride: false) }
        #expect(e?.kind == .invalidConfiguration)
        #expect(e?.message.contains("name one node") == true)
    }

    @Test func standaloneAPIPipelineTransactionAndHealth() async throws {
        try await withServer { server in
            let metrics = TestMetrics()
            let tracer = InMemoryTracer()
            let provider = try RedisProvider(
                url: server.url, observability: .init(metricsFactory: metrics, tracer: tracer, clientName: "standalone-test"))
            try await provider.set("k", "v")
            #expect(try await provider.get("k").text == "v")
            // Pipelines answer per command, as in cluster mode.
            let results = await provider.pipeline([RESPCommand("SET", "p", "1"), RESPCommand("LPUSH", "p", "x"), RESPCommand("GET", "p")])
            #expect(results.count == 3)
            #expect((try? results[0].get())?.string == "OK")
            guard case .failure(let wrongType) = results[1] else { Issue.record("LPUSH on a string must fail"); return }
            #expect(wrongType.serverError?.code == "WRONGTYPE")
            #expect((try? results[2].get())?.string == "1")
            // Transactions run on a connection of their own.
            let exec = try await provider.transaction([RESPCommand("INCR", "n"), RESPCommand("INCR", "n")])
            #expect(exec == [.integer(1), .integer(2)])
            let aborted = await redisError { _ = try await provider.transaction([RESPCommand("INCR", "n"), RESPCommand("NOSUCHCOMMAND")]) }
            #expect(aborted?.message.contains("EXECABORT") == true)
            #expect(aborted?.message.contains("a queued command was refused") == true)

            let health = await provider.health(timeout: .seconds(10))
            #expect(health.status == .healthy)
            #expect(health.mode == "standalone")
            #expect(health.nodes.map(\.reachable) == [true])

            // Metrics: commands by name and outcome; never keys or values.
            let client = ("redis.client", "standalone-test")
            #expect(metrics.counterTotal(label: RedisMetricNames.commands, dimensions: [client, ("command", "set"), ("outcome", "ok")]) == 1)
            _ = try? await provider.send("LPUSH", "k", "x")
            #expect(
                metrics.counterTotal(label: RedisMetricNames.commands, dimensions: [client, ("command", "lpush"), ("outcome", "server_error")]) == 1)
            #expect(try metrics.expectTimer(RedisMetricNames.commandDuration, [client, ("command", "get")]).values.count == 1)
            #expect(try metrics.expectMeter(RedisMetricNames.inFlight, [client]).lastValue == 0)
            // Spans: one client span per command with the OpenTelemetry database attributes.
            let spans = tracer.finishedSpans
            let set = try #require(spans.first { $0.operationName == "SET" })
            #expect(set.kind == .client)
            #expect(set.attributes["db.system.name"]?.toSpanAttribute() == "redis")
            #expect(set.attributes["db.operation.name"]?.toSpanAttribute() == "SET")
            #expect(set.attributes["server.port"]?.toSpanAttribute() == .int64(Int64(server.port)))
            let failed = try #require(spans.last { $0.operationName == "LPUSH" })
            #expect(failed.status?.code == .error)
            #expect(failed.attributes["db.response.status_code"]?.toSpanAttribute() == "WRONGTYPE")
            for span in spans {
                span.attributes.forEach { _, value in #expect("\(value)" != "v", "a span carries a value") }
            }
            // Optimistic transactions (WATCH) on a connection of their own.
            try await checkWatchedTransactions(provider, provider.transaction(watching:_:))
            await provider.shutdown()
            let after = await redisError { _ = try await provider.get("k") }
            #expect(after?.kind == .shutdown)
        }
    }

    @Test func healthOfAStoppedServerIsUnhealthy() async throws {
        let server = try await RedisServer.start()
        var log = InMemoryLogHandler()
        log.logLevel = .debug
        // No metrics and no tracer: the fast, uninstrumented path still logs failures.
        let provider = try RedisProvider(
            url: server.url, observability: .init(logger: Logger(label: "test", factory: { [log] _ in log }), tracer: nil))
        // Generous: a loaded CI machine once took longer than half a second to connect.
        #expect(await provider.health(timeout: .seconds(20)).isReady)
        server.stop()
        let health = await provider.health(timeout: .seconds(2))
        #expect(health.status == .unhealthy)
        #expect(!health.isReady)
        #expect(health.problems.first?.contains("does not answer") == true)

        #expect(await redisError { _ = try await provider.get("secret-key") } != nil)
        let failure = try #require(log.entries.first { $0.message == "Redis command failed" })
        #expect(failure.level == .debug)
        #expect(failure.metadata["redis.command"] == "get")
        #expect(failure.metadata["redis.node"] == "127.0.0.1:\(server.port)")
        #expect(!log.entries.contains { "\($0.message) \($0.metadata)".contains("secret-key") })
        await provider.shutdown()
    }

    @Test func serviceGroupShutdownWithCommandsInFlight() async throws {
        try await withServer { server in
            let provider = try RedisProvider(url: server.url, observability: .init(tracer: nil))
            let group = ServiceGroup(services: [provider], logger: Logger(label: "test"))
            let outcomes = Collector<String>()
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                for t in 0..<100 {
                    tasks.addTask {
                        for i in 0..<200 {
                            do {
                                try await provider.set("k\(t)", "\(i)")
                                outcomes.append("ok")
                            } catch let error as RedisError {
                                outcomes.append("\(error.kind)")
                                if error.kind == .shutdown { return }
                            }
                        }
                    }
                }
                while outcomes.all.count < 500 { try await Task.sleep(for: .milliseconds(5)) }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()  // nothing hangs: run() returned and every caller finished
            }
            let kinds = Set(outcomes.all)
            #expect(kinds.isSubset(of: ["ok", "shutdown"]), "\(kinds)")
            #expect(outcomes.all.filter { $0 == "ok" }.count >= 500)
            #expect(await redisError { _ = try await provider.ping() }?.kind == .shutdown)
        }
    }

    @Test func runInAPlainTaskGroupStopsOnCancellation() async throws {
        try await withServer { server in
            let provider = try RedisProvider(url: server.url, observability: .init(tracer: nil))
            let running = Task { try await provider.run() }
            #expect(try await provider.ping() == "PONG")
            running.cancel()
            try await running.value
            #expect(await redisError { _ = try await provider.ping() }?.kind == .shutdown)
        }
    }

    @Test(arguments: ClusterServer.available) func clusterAPITelemetryEventsAndHealth(server: ClusterServer) async throws {
        var options = RedisCluster.Options()
        options.binary = server.binary
        let cluster = try await RedisCluster.start(options)
        defer { cluster.stop() }
        let metrics = TestMetrics()
        let tracer = InMemoryTracer()
        let provider = try RedisProvider(
            url: cluster.seedURL, clusterOptions: RedisClusterOptions(refreshInterval: .milliseconds(200)),
            observability: .init(metricsFactory: metrics, tracer: tracer, clientName: "cluster-test"))
        #expect(provider.mode.reason.contains("cluster=true") || provider.mode.reason.contains("nodes"))
        // run() carries the 200 ms periodic refresh that sees the failover.
        try await whileRunning(provider) {
            let events = provider.topologyEvents

            // The same API as standalone: typed commands, multi-key across slots, pipelines.
            let keys = (0..<200).map { "pk:\($0)" }
            try await provider.mset(keys.map { (key: $0, value: $0) })
            #expect(try await provider.mget(keys).map(\.text) == keys)
            let results = await provider.pipeline(keys.map { RESPCommand("GET", $0) } + [RESPCommand("LPUSH", "pk:1", "x")])
            #expect(results.prefix(200).map { (try? $0.get())?.string } == keys)
            if case .failure(let e) = results[200] { #expect(e.serverError?.code == "WRONGTYPE") } else { Issue.record("expected WRONGTYPE") }
            let crossSlot = await redisError { _ = try await provider.transaction([RESPCommand("SET", "a", "1"), RESPCommand("SET", "b", "2")]) }
            #expect(crossSlot?.kind == .crossSlot)
            let exec = try await provider.transaction([RESPCommand("INCR", "{t}a"), RESPCommand("INCR", "{t}b")])
            #expect(exec == [.integer(1), .integer(1)])
            var scanned = 0
            for try await _ in provider.scanKeys(match: "pk:*") { scanned += 1 }
            #expect(scanned == 200)

            // Timeouts generous for a loaded machine: a slow PING would count as a node down.
            let healthy = await provider.health(timeout: .seconds(10))
            #expect(healthy.status == .healthy, "\(healthy.problems)")
            #expect(healthy.coveredSlots == 16384)
            #expect(healthy.clusterState == "ok")
            #expect(healthy.nodes.filter { $0.role == "primary" }.count == 3)
            #expect(healthy.nodes.filter { $0.role == "replica" }.count == 3)

            // A slot moved behind the client's back: MOVED is followed and counted. A second
            // provider without periodic refresh sees it, so the first one's 200 ms refresh
            // cannot learn the new owner before the GET and leave nothing to redirect.
            let unrefreshed = try RedisProvider(
                url: cluster.seedURL, clusterOptions: RedisClusterOptions(refreshInterval: nil),
                observability: .init(metricsFactory: metrics, clientName: "moved-test"))
            #expect(try await unrefreshed.get("pk:7").text == "pk:7")
            let slot = HashSlot.slot(for: "pk:7")
            let owner = try await cluster.node(owningSlot: slot)
            let target = try #require(try await cluster.primaries().first { $0.port != owner.port })
            try await cluster.migrate(slots: [slot], to: target)
            #expect(try await unrefreshed.get("pk:7").text == "pk:7")
            #expect(metrics.counterTotal(label: RedisMetricNames.redirects, dimensions: [("redis.client", "moved-test"), ("kind", "moved")]) >= 1)
            await unrefreshed.shutdown()
            #expect(try await provider.get("pk:7").text == "pk:7")
            let client = ("redis.client", "cluster-test")

            // A killed primary: health says so until its replica takes over; the event stream
            // reports the failover and the metrics count it.
            let victim = try await cluster.node(owningSlot: HashSlot.slot(for: "pk:1"))
            cluster.kill(victim)
            let during = await provider.health(timeout: .milliseconds(500))
            #expect(during.status == .unhealthy || during.status == .degraded, "\(during.status)")
            #expect(during.nodes.contains { !$0.reachable })
            _ = try await cluster.waitForFailover(of: victim)
            var sawFailover = false
            for await event in events {
                if case .failover(let from, _, let slots) = event {
                    #expect(from.port == victim.port)
                    #expect(slots > 0)
                    sawFailover = true
                    break
                }
            }
            #expect(sawFailover)
            #expect(metrics.counterTotal(label: RedisMetricNames.failovers, dimensions: [client]) >= 1)
            #expect(metrics.counterTotal(label: RedisMetricNames.topologyRefreshes, dimensions: [client, ("outcome", "ok")]) >= 2)
            #expect(try await provider.get("pk:1").text == "pk:1")
            let after = await provider.health(timeout: .seconds(10))
            #expect(after.isReady, "\(after.problems)")
            #expect(after.coveredSlots == 16384)
            #expect(tracer.finishedSpans.contains { $0.operationName == "PIPELINE" && $0.attributes["db.operation.batch.size"]?.toSpanAttribute() == 201 })
        }
    }

    @Test func topologyDiffNamesFailoversMovesAndNodes() throws {
        let a = RedisEndpoint(host: "127.0.0.1", port: 1)
        let a2 = RedisEndpoint(host: "127.0.0.1", port: 2)
        let b = RedisEndpoint(host: "127.0.0.1", port: 3)
        let c = RedisEndpoint(host: "127.0.0.1", port: 4)
        func map(_ shards: [(RedisEndpoint, [RedisEndpoint], ClosedRange<Int>)]) -> SlotMap {
            SlotMap(ClusterTopology(shards: shards.map { primary, replicas, slots in
                ClusterTopology.Shard(
                    slots: [slots], primary: .init(endpoint: primary, isPrimary: true),
                    replicas: replicas.map { .init(endpoint: $0, isPrimary: false) })
            }))
        }
        let before = map([(a, [a2], 0...8191), (b, [], 8192...16383)])
        #expect(RedisTopologyEvent.changes(from: nil, to: before) == [.discovered(primaries: 2, replicas: 1)])
        let failedOver = map([(a2, [], 0...8191), (b, [], 8192...16383)])
        #expect(RedisTopologyEvent.changes(from: before, to: failedOver) == [.nodeRemoved(a), .failover(from: a, to: a2, slots: 8192)])
        let moved = map([(a, [a2], 0...8000), (b, [], 8001...16383)])
        #expect(RedisTopologyEvent.changes(from: before, to: moved) == [.slotsMoved(count: 191, from: a, to: b)])
        let grown = map([(a, [a2], 0...8191), (b, [c], 8192...16383)])
        #expect(RedisTopologyEvent.changes(from: before, to: grown) == [.nodeAdded(c)])
        #expect(RedisTopologyEvent.changes(from: before, to: before).isEmpty)
    }

    @Test func clusterHealthVerdicts() {
        func node(_ role: String, _ reachable: Bool, _ slots: Int) -> RedisHealth.Node {
            .init(address: "x", role: role, reachable: reachable, latencyMilliseconds: nil, slots: slots, error: reachable ? nil : "refused")
        }
        let full = [node("primary", true, 8192), node("primary", true, 8192), node("replica", true, 0)]
        #expect(RedisHealth.cluster(modeReason: "", clusterState: "ok", nodes: full, unmappedSlots: 0).status == .healthy)
        let replicaDown = [node("primary", true, 8192), node("primary", true, 8192), node("replica", false, 0)]
        #expect(RedisHealth.cluster(modeReason: "", clusterState: "ok", nodes: replicaDown, unmappedSlots: 0).status == .degraded)
        let primaryDown = [node("primary", false, 8192), node("primary", true, 8192)]
        let down = RedisHealth.cluster(modeReason: "", clusterState: "ok", nodes: primaryDown, unmappedSlots: 0)
        #expect(down.status == .unhealthy)
        #expect(down.coveredSlots == 8192)
        let gap = RedisHealth.cluster(modeReason: "", clusterState: "fail", nodes: [node("primary", true, 16000)], unmappedSlots: 384)
        #expect(gap.status == .unhealthy)
        #expect(gap.problems.count == 2)  // the unmapped slots and the cluster state, not the same gap twice
    }
}
