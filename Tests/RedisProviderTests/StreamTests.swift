import NIOCore
import RESP
import RedisProviderTestSupport
import Synchronization
import Testing

@testable import RedisProvider

/// Streams with consumer groups: the typed commands on a real server, and workers that
/// process every entry once, however they stop.
@Suite struct StreamTests {
    @Test func groupCommandsReadTheirReplies() async throws {
        try await withClient { client, _ in
            #expect(try await client.xgroupCreate("s", group: "g", startingAfter: "0"))
            #expect(try await client.xgroupCreate("s", group: "g") == false, "an existing group is kept")
            var ids: [String] = []
            for i in 0..<5 { ids.append(try #require(try await client.xadd("s", fields: [("n", i), ("who", "test")]))) }
            #expect(try await client.xadd("absent", fields: [("n", 1)], createStream: false) == nil)
            #expect(try await client.xlen("s") == 5)
            #expect(try await client.xrange("s", count: 2).map(\.id) == Array(ids.prefix(2)))

            let read = try #require(try await client.xreadgroup(group: "g", consumer: "alice", streams: [("s", ">")], count: 3))
            #expect(read.first?.entries.map(\.id) == Array(ids.prefix(3)))
            #expect(read.first?.entries.first?["who"].map { String(buffer: $0) } == "test")
            let summary = try await client.xpending("s", group: "g")
            #expect(summary.count == 3 && summary.smallest == ids[0] && summary.largest == ids[2] && summary.consumers == ["alice": 3])
            let pending = try await client.xpending("s", group: "g", count: 10, consumer: "alice")
            #expect(pending.map(\.id) == Array(ids.prefix(3)))
            #expect(pending.allSatisfy { $0.consumer == "alice" && $0.deliveries == 1 })

            #expect(try await client.xack("s", group: "g", ids: [ids[0]]) == 1)
            #expect(try await client.xack("s", group: "g", ids: [ids[0]]) == 0, "acknowledged twice counts once")
            try await Task.sleep(for: .milliseconds(30))
            #expect(try await client.xpending("s", group: "g", count: 10, minIdle: .milliseconds(20)).count == 2)
            // Bob claims what alice left idle; an entry deleted meanwhile is reported, not handed out.
            #expect(try await client.xdel("s", ids: [ids[2]]) == 1)
            let claim = try await client.xautoclaim("s", group: "g", consumer: "bob", minIdle: .milliseconds(20))
            #expect(claim.next == "0-0")
            #expect(claim.entries.map(\.id) == [ids[1]])
            #expect(claim.deleted == [ids[2]])
            #expect(try await client.xpending("s", group: "g").consumers == ["bob": 1])

            #expect(try await client.xtrim("s", .maxLength(1, exact: true)) == 3)
            #expect(try await client.xrange("s").map(\.id) == [ids[4]])
            #expect(try await client.xgroupDestroy("s", group: "g"))
            let noGroup = await redisError { _ = try await client.xreadgroup(group: "g", consumer: "a", streams: [("s", ">")]) }
            #expect(noGroup?.serverError?.code == "NOGROUP")
        }
    }

    /// Processes entries with `consumer`, recording each id whose handler completed, until
    /// `done` says so or the task is cancelled.
    static func work(
        _ consumer: RedisStreamConsumer, into processed: Collector<String>, handler: @Sendable (RedisStreamEntry) async throws -> Void = { _ in }
    ) async throws {
        for try await entry in consumer {
            try await handler(entry)
            processed.append(entry.id)
        }
    }

    static func quickClaims() -> RedisStreamConsumer.Options {
        var options = RedisStreamConsumer.Options()
        options.batchSize = 10
        options.block = .milliseconds(200)
        options.claimIdle = .milliseconds(300)
        options.claimInterval = .milliseconds(100)
        return options
    }

    /// A worker cancelled in the middle of an entry (a batch half done) leaves that entry and
    /// the rest of its batch pending; a second worker claims them once idle, and every entry is
    /// processed exactly once, all of them acknowledged.
    @Test func entriesOfAStoppedWorkerAreClaimedAndProcessedOnce() async throws {
        try await withClient { client, _ in
            let produced = try await (0..<100).asyncMap { i in try #require(try await client.xadd("jobs", fields: [("n", i)])) }
            let processed = Collector<String>()
            let reachedFifteen = AsyncStream<Void>.makeStream()
            let first = Task {
                try await Self.work(
                    RedisStreamConsumer(stream: "jobs", group: "workers", consumer: "first", on: client, options: Self.quickClaims()),
                    into: processed
                ) { entry in
                    if String(buffer: entry["n"]!) == "15" {
                        reachedFifteen.continuation.yield()
                        try await Task.sleep(for: .seconds(60))  // "killed" here, mid-batch
                    }
                }
            }
            for await _ in reachedFifteen.stream { break }
            first.cancel()
            _ = await first.result
            #expect(processed.all.count == 15)
            let left = try await client.xpending("jobs", group: "workers")
            #expect(left.consumers == ["first": 5], "entry 15 and the rest of its batch of 10")

            let second = Task {
                try await Self.work(
                    RedisStreamConsumer(stream: "jobs", group: "workers", consumer: "second", on: client, options: Self.quickClaims()),
                    into: processed)
            }
            #expect(try await eventually(.seconds(20)) { processed.all.count >= 100 })
            // The worker acknowledges the last entry when it asks for the next one.
            #expect(try await eventually(.seconds(20)) { try await client.xpending("jobs", group: "workers").count == 0 }, "all acknowledged")
            try await Task.sleep(for: .milliseconds(100))  // any duplicate would arrive meanwhile
            second.cancel()
            _ = await second.result
            #expect(processed.all.sorted() == produced.sorted(), "each entry processed exactly once")
        }
    }

    /// A worker restarted under its name first finishes the entries it held, in order.
    @Test func aRestartedWorkerFirstFinishesItsOwnEntries() async throws {
        try await withClient { client, _ in
            for i in 0..<6 { _ = try await client.xadd("q", fields: [("n", i)]) }
            var options = RedisStreamConsumer.Options()
            options.batchSize = 4
            options.claimIdle = nil
            let consumer = RedisStreamConsumer(stream: "q", group: "g", consumer: "pod-1", on: client, options: options)
            var iterator = consumer.makeAsyncIterator()
            #expect(try await iterator.next().map { String(buffer: $0["n"]!) } == "0")
            #expect(try await iterator.next().map { String(buffer: $0["n"]!) } == "1")  // 0 acknowledged now
            // The process stops here: 1, 2 and 3 were delivered, none of them acknowledged.
            // (0's acknowledgement left without waiting for its reply.)
            #expect(try await eventually { try await client.xpending("q", group: "g").count == 3 })
            _ = try await client.xadd("q", fields: [("n", 6)])
            var restarted = consumer.makeAsyncIterator()
            var seen: [String] = []
            for _ in 0..<6 {
                guard let entry = try await restarted.next() else { break }
                seen.append(String(buffer: entry["n"]!))
            }
            #expect(seen == ["1", "2", "3", "4", "5", "6"])
        }
    }

    /// Four workers and a producer at once, on Redis and Valkey clusters: every entry
    /// processed once, by whichever worker got it.
    @Test(arguments: ClusterServer.available) func fourWorkersShareAStreamInACluster(server: ClusterServer) async throws {
        try await withCluster(server) { client, _ in
            let processed = Collector<String>()
            let produced = Collector<String>()
            // No claims: on a busy test machine a batch can sit in a worker longer than a short
            // claim time, and another worker would rightly claim and process it again.
            var noClaims = RedisStreamConsumer.Options()
            noClaims.block = .milliseconds(200)
            noClaims.claimIdle = nil
            let options = noClaims
            let workers = (0..<4).map { i in
                Task {
                    try await Self.work(
                        RedisStreamConsumer(stream: "orders", group: "billing", consumer: "worker-\(i)", on: client, options: options),
                        into: processed)
                }
            }
            for i in 0..<400 { produced.append(try #require(try await client.xadd("orders", fields: [("n", i)]))) }
            #expect(try await eventually(.seconds(20)) { processed.all.count >= 400 })
            try await Task.sleep(for: .milliseconds(100))
            for worker in workers { worker.cancel() }
            for worker in workers { _ = await worker.result }
            #expect(processed.all.sorted() == produced.all.sorted())
            let summary = try await client.xpending("orders", group: "billing")
            #expect(summary.count == 0)
        }
    }

    /// A stream deleted under a blocked worker (and its group with it) is created again, and
    /// the entries added afterwards are processed.
    @Test func aWorkerRidesOutItsStreamBeingDeleted() async throws {
        try await withClient { client, _ in
            let processed = Collector<String>()
            var options = RedisStreamConsumer.Options()
            options.block = .seconds(2)
            let worker = Task {
                try await Self.work(RedisStreamConsumer(stream: "events", group: "g", consumer: "w", on: client, options: options), into: processed)
            }
            _ = try await client.xadd("events", fields: [("n", 1)])
            #expect(try await eventually { processed.all.count == 1 })
            try await Task.sleep(for: .milliseconds(100))  // blocked for the next entry
            #expect(try await client.del(["events"]) == 1)
            #expect(try await eventually { (try? await client.xpending("events", group: "g").count) == 0 }, "the group is back")
            let later = try #require(try await client.xadd("events", fields: [("n", 2)]))
            #expect(try await eventually { processed.all.count == 2 })
            #expect(processed.all.last == later)
            worker.cancel()
            #expect(try await worker.value == (), "a cancelled worker ends without an error")
        }
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
