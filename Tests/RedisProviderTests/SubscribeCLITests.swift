import Foundation
import RedisProvider
import RedisProviderTestSupport
import Testing

/// `redis-provider subscribe`, `psubscribe` and `ssubscribe` against a real server.
@Suite struct SubscribeCLITests {
    @Test func subscribePrintsAsRedisCLIAndStopsAfterCount() async throws {
        try await withClient { redis, server in
            let run = Task { try await CLITests.cli(["subscribe", "--url", server.url, "--count", "2", "news", "sport"]) }
            let subscribed = try await eventually(.seconds(20)) { try await numsub(redis, "sport") == 1 }
            #expect(subscribed)
            try await redis.publish("hello", to: "news")
            try await redis.publish("goal", to: "sport")
            let result = try await run.value
            #expect(result.status == 0, "\(result.stderr)")
            #expect(
                result.text == """
                    Reading messages... (press Ctrl-C to quit)
                    1) "subscribe"
                    2) "news"
                    3) (integer) 1
                    1) "subscribe"
                    2) "sport"
                    3) (integer) 2
                    1) "message"
                    2) "news"
                    3) "hello"
                    1) "message"
                    2) "sport"
                    3) "goal"

                    """)
        }
    }

    @Test func psubscribeRawPrintsThePattern() async throws {
        try await withClient { redis, server in
            let run = Task { try await CLITests.cli(["psubscribe", "--url", server.url, "--raw", "--count", "1", "ev:*"]) }
            let subscribed = try await eventually(.seconds(20)) { try await redis.send("PUBSUB", "NUMPAT") == .integer(1) }
            #expect(subscribed)
            try await redis.publish("x", to: "ev:1")
            let result = try await run.value
            #expect(result.text == "psubscribe\nev:*\n1\npmessage\nev:*\nev:1\nx\n", "\(result.stderr)")
        }
    }

    /// Ctrl-C ends it with status 0, and the server sees the subscription go.
    @Test func interruptEndsCleanly() async throws {
        try await withClient { redis, server in
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("sub-\(UUID().uuidString)").path
            defer {
                try? FileManager.default.removeItem(atPath: output + ".out")
                try? FileManager.default.removeItem(atPath: output + ".err")
            }
            let child = try ChildProcess(
                path: CLITests.executable.path, arguments: ["ssubscribe", "--url", server.url, "{r}:chat"],
                environment: ProcessInfo.processInfo.environment, standardOutput: output + ".out", standardError: output + ".err")
            defer { if child.isRunning { child.terminate() } }
            let subscribed = try await eventually(.seconds(20)) { try await numsub(redis, "{r}:chat", sharded: true) == 1 }
            #expect(subscribed)
            child.signal(SIGINT)
            let ended = try await eventually(.seconds(10)) { !child.isRunning }
            #expect(ended && child.exitStatus == 0)
            let gone = try await eventually { try await numsub(redis, "{r}:chat", sharded: true) == 0 }
            #expect(gone)
        }
    }
}
