import MetricsTestKit
import NIOCore
import RESP
import RedisProviderTestSupport
import Testing

@testable import RedisProvider

/// Topology events describe what changed in the cluster, whichever path learned of it first:
/// a refresh, or a MOVED reply that patched the routing table before the refresh ran.
@Suite(.serialized) struct TopologyEventTests {
    @Test(arguments: ClusterServer.available) func slotsLearnedFromMovedAreStillReported(server: ClusterServer) async throws {
        var options = RedisCluster.Options()
        options.binary = server.binary
        let cluster = try await RedisCluster.start(options)
        defer { cluster.stop() }
        let metrics = TestMetrics()
        // No periodic refresh: the only refreshes are the ones MOVED replies schedule, which
        // run after the reply patched the slot map.
        let provider = try RedisProvider(
            url: cluster.seedURL, clusterOptions: RedisClusterOptions(refreshInterval: nil),
            observability: .init(metricsFactory: metrics, tracer: nil, clientName: "events-test"))
        let events = EventRecorder(provider.topologyEvents)
        defer { events.stop() }
        // run() carries out the refreshes MOVED replies ask for.
        try await whileRunning(provider) {
            // 200 slots of one primary, with a key in 7 of them that the provider reads after the
            // move: each read is redirected and patches its slot before any refresh compares.
            let source = try await cluster.node(owningSlot: 0)
            let target = try #require(try await cluster.primaries().first { $0.port != source.port })
            let slots = Array(0..<200)
            var keys: [String] = []
            var n = 0
            while keys.count < 7 {
                let key = "moved:\(n)"
                if HashSlot.slot(for: key) < 200, !keys.contains(where: { HashSlot.slot(for: $0) == HashSlot.slot(for: key) }) {
                    keys.append(key)
                }
                n += 1
            }
            for key in keys { try await provider.set(key, key) }
            #expect(try await events.first { if case .discovered = $0 { true } else { false } } != nil)

            try await cluster.migrate(slots: slots, to: target)
            for key in keys { #expect(try await provider.get(key).text == key) }
            let sourceEndpoint = cluster.announcedEndpoint(of: source)
            let targetEndpoint = cluster.announcedEndpoint(of: target)
            let moved = try await events.first { if case .slotsMoved = $0 { true } else { false } }
            #expect(moved == .slotsMoved(count: 200, from: sourceEndpoint, to: targetEndpoint), "\(events.all)")
            #expect(
                metrics.counterTotal(label: RedisMetricNames.topologyRefreshes, dimensions: [("redis.client", "events-test"), ("outcome", "ok")]) >= 2)
        }
    }
}

/// Records a provider's topology events in the background, so a test can wait for one.
final class EventRecorder: Sendable {
    private let seen = Collector<RedisTopologyEvent>()
    private let task: Task<Void, Never>

    init(_ stream: AsyncStream<RedisTopologyEvent>) {
        let seen = seen
        task = Task { for await event in stream { seen.append(event) } }
    }

    var all: [RedisTopologyEvent] { seen.all }

    /// The first event `matching`, waiting up to `timeout` for it; `nil` when none came.
    func first(
        within timeout: Duration = .seconds(15), _ matching: (RedisTopologyEvent) -> Bool
    ) async throws -> RedisTopologyEvent? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let event = seen.all.first(where: matching) { return event }
            try await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    func stop() { task.cancel() }
}
