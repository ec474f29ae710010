import NIOCore
import RESP
import Testing

@testable import RedisProvider

/// Blocking commands without a server: which commands block, the timeout each carries, and
/// the command sent again with the time left.
@Suite struct BlockingCommandTests {
    func words(_ command: RESPCommand) -> [String] { command.arguments.map { String(buffer: $0) } }

    @Test func whichCommandsBlock() {
        #expect(ConnectionTakeover.of(RESPCommand("BLPOP", "q", 1)) == .blocking)
        #expect(ConnectionTakeover.of(RESPCommand("bzpopmax", "z", 1)) == .blocking)
        #expect(ConnectionTakeover.of(RESPCommand("WAIT", 1, 100))?.refusal?.contains("withDedicatedConnection") == true)
        #expect(ConnectionTakeover.of(RESPCommand("XREAD", "COUNT", 1, "BLOCK", 10, "STREAMS", "s", "$")) == .blocking)
        // Without BLOCK, or with BLOCK as a stream name after STREAMS, XREAD does not block.
        #expect(ConnectionTakeover.of(RESPCommand("XREAD", "STREAMS", "s", "0")) == nil)
        #expect(ConnectionTakeover.of(RESPCommand("XREAD", "STREAMS", "BLOCK", "0")) == nil)
        #expect(ConnectionTakeover.of(RESPCommand("GET", "BLPOP")) == nil)
        #expect(ConnectionTakeover.of(RESPCommand("MULTI"))?.refusal?.contains("transaction") == true)
        if case .takesOver = ConnectionTakeover.of(RESPCommand("SUBSCRIBE", "c")) {} else { Issue.record("SUBSCRIBE takes over") }
    }

    @Test(arguments: [
        (RESPCommand("BLPOP", "a", "b", "2.5"), Duration.milliseconds(2500), RESPCommand("BLPOP", "a", "b", "1.5")),
        (RESPCommand("BLMOVE", "a", "b", "LEFT", "RIGHT", "3"), .seconds(3), RESPCommand("BLMOVE", "a", "b", "LEFT", "RIGHT", "1.5")),
        (RESPCommand("BLMPOP", "2", "2", "a", "b", "LEFT"), .seconds(2), RESPCommand("BLMPOP", "1.5", "2", "a", "b", "LEFT")),
        (RESPCommand("XREAD", "BLOCK", "2000", "STREAMS", "s", "$"), .seconds(2), RESPCommand("XREAD", "BLOCK", "1500", "STREAMS", "s", "$")),
        (
            RESPCommand("XREADGROUP", "GROUP", "g", "c", "BLOCK", "900", "STREAMS", "s", ">"), .milliseconds(900),
            RESPCommand("XREADGROUP", "GROUP", "g", "c", "BLOCK", "1500", "STREAMS", "s", ">")
        ),
        (RESPCommand("WAIT", "1", "250"), .milliseconds(250), RESPCommand("WAIT", "1", "1500")),
    ] as [(RESPCommand, Duration, RESPCommand)])
    func timeoutIsReadAndRewritten(command: RESPCommand, timeout: Duration, retried: RESPCommand) {
        let blocking = BlockingCommand(command)
        #expect(blocking.timeout == timeout)
        #expect(words(blocking.command(remaining: nil)) == words(command))
        #expect(words(blocking.command(remaining: .milliseconds(1500))) == words(retried))
        // Never 0 on a retry: 0 would mean "for ever".
        let late = words(blocking.command(remaining: .milliseconds(-40)))
        #expect(late.count == words(command).count && !late.contains("0") && (late.contains("0.001") || late.contains("1")), "\(late)")
        #expect(blocking.replyTimeout(remaining: nil, grace: .seconds(1)) == timeout + .seconds(1))
        #expect(blocking.replyTimeout(remaining: .milliseconds(100), grace: .seconds(1)) == .milliseconds(1100))
        #expect(blocking.replyTimeout(remaining: nil, grace: nil) == nil)
        let start = ContinuousClock.now
        #expect(blocking.remaining(since: start, now: start + .milliseconds(100)) == timeout - .milliseconds(100))
    }

    @Test func zeroWaitsForEverAndIsNeverRewritten() {
        let blocking = BlockingCommand(RESPCommand("BLPOP", "q", "0"))
        #expect(blocking.timeout == nil)
        #expect(words(blocking.command(remaining: .seconds(1))) == ["BLPOP", "q", "0"])
        #expect(blocking.replyTimeout(remaining: nil, grace: .seconds(5)) == nil)
        #expect(blockingSeconds(nil) == "0")
        #expect(blockingSeconds(.microseconds(10)) == "0.001")
        #expect(blockingSeconds(.milliseconds(2500)) == "2.5")
        #expect(blockingMilliseconds(.seconds(2)) == 2000)
    }

    @Test func aFailoverThatUnblocksACommandIsRetried() {
        var state = CommandRetryState(policy: ClusterRetryPolicy(jitter: 0), startedAt: .now, isIdempotent: false)
        let failover = RESPValue.error(RESPError(message: "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)"))
        guard case .retry(_, refreshTopology: true) = state.next(.reply(failover), now: .now) else {
            Issue.record("a failover's UNBLOCKED is retried after a refresh")
            return
        }
        // CLIENT UNBLOCK … ERROR is the application's own doing: delivered.
        let byClient = RESPValue.error(RESPError(message: "UNBLOCKED client unblocked via CLIENT UNBLOCK"))
        #expect(state.next(.reply(byClient), now: .now) == .deliver)
    }

    @Test func streamRepliesInBothProtocols() throws {
        func bulk(_ s: String) -> RESPValue { .bulkString(ByteBuffer(string: s)) }
        let entries = RESPValue.array([
            .array([bulk("1-0"), .array([bulk("f"), bulk("v"), bulk("g"), bulk("w")])]),
            .array([bulk("2-0"), .null]),
        ])
        let resp2 = RESPValue.array([.array([bulk("s"), entries])])
        let resp3 = RESPValue.map([RESPMapEntry(key: bulk("s"), value: entries)])
        for reply in [resp2, resp3] {
            let reads = try #require(try RedisClient.streamReads(reply))
            #expect(reads.map(\.stream) == ["s"])
            #expect(reads[0].entries.map(\.id) == ["1-0", "2-0"])
            #expect(reads[0].entries[0]["g"].map { String(buffer: $0) } == "w")
            #expect(reads[0].entries[1].fields == nil)
        }
        #expect(try RedisClient.streamReads(.null) == nil)
    }
}

/// Small pieces the review of the core found wrong, pinned.
@Suite struct RandomnessTests {
    @Test func splitMix64MatchesTheReferenceSequence() {
        // Vigna's splitmix64.c seeded with 0.
        var g = SplitMix64(seed: 0)
        #expect(g.next() == 0xE220_A839_7B1D_CDAF)
        #expect(g.next() == 0x6E78_9E6A_A1B9_65F4)
    }

    @Test func reconnectBackoffDrawsFullJitter() {
        let backoff = ReconnectBackoff(base: .milliseconds(100), cap: .seconds(2))
        var g = SplitMix64(seed: 7)
        let delays = (0..<2000).map { _ in backoff.delay(attempt: 1, using: &g) }
        #expect(delays.allSatisfy { $0 >= .zero && $0 <= .milliseconds(100) })
        // Full jitter spans the whole step, not only its upper half.
        #expect(delays.contains { $0 < .milliseconds(25) })
        #expect(delays.contains { $0 > .milliseconds(75) })
        #expect(backoff.delay(attempt: 30, using: &g) <= .seconds(2))
    }
}
