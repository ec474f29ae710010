import NIOCore
import Testing

@testable import RedisProvider

/// A stream consumer's steps, fed made-up replies: no server.
@Suite struct StreamConsumerStateMachineTests {
    typealias Machine = StreamConsumerStateMachine

    static func entry(_ id: String, deleted: Bool = false) -> RedisStreamEntry {
        RedisStreamEntry(id: id, fields: deleted ? nil : [("f", ByteBuffer(string: "v"))])
    }

    /// The action as text, for comparing.
    static func describe(_ action: Machine.Action) -> String {
        switch action {
        case .createGroup: return "create"
        case .acknowledge(let ids): return "ack " + ids.joined(separator: ",")
        case .acknowledgeInBackground(let ids): return "ack without waiting " + ids.joined(separator: ",")
        case .awaitAcknowledgements: return "await acks"
        case .readOwnPending(let after): return "own after " + after
        case .claim(let start): return "claim from " + start
        case .readNew(let block): return "new block \(block.milliseconds)"
        case .deliver(let entry): return "deliver " + entry.id
        }
    }

    static func options(batches: Bool = false, claimIdle: Duration? = .seconds(60)) -> RedisStreamConsumer.Options {
        var options = RedisStreamConsumer.Options()
        options.acknowledgeInBatches = batches
        options.claimIdle = claimIdle
        options.claimInterval = .seconds(10)
        options.block = .seconds(5)
        return options
    }

    @Test func createsTheGroupDrainsOwnEntriesClaimsThenBlocks() {
        let t0 = ContinuousClock.now
        var m = Machine(options: Self.options(), now: t0)
        #expect(Self.describe(m.next(now: t0)) == "create")
        m.groupCreated()
        #expect(Self.describe(m.next(now: t0)) == "own after 0")
        m.received([Self.entry("1-0"), Self.entry("2-0")])
        #expect(Self.describe(m.next(now: t0)) == "deliver 1-0")
        #expect(Self.describe(m.next(now: t0)) == "ack without waiting 1-0", "acknowledged once asked for the next")
        #expect(Self.describe(m.next(now: t0)) == "deliver 2-0")
        #expect(Self.describe(m.next(now: t0)) == "await acks", "before anything else is read")
        m.acknowledgementsSettled(failed: [])
        #expect(Self.describe(m.next(now: t0)) == "ack 2-0", "the batch's last entry")
        m.acknowledged()
        #expect(Self.describe(m.next(now: t0)) == "own after 2-0")
        m.received([])
        #expect(Self.describe(m.next(now: t0)) == "claim from 0-0", "claims once at the start")
        m.claimed(RedisAutoClaim(next: "0-0", entries: [], deleted: []), now: t0)
        #expect(Self.describe(m.next(now: t0 + .seconds(7))) == "new block 3000", "the wait ends when the next claim is due")
        m.received([])
        #expect(Self.describe(m.next(now: t0 + .seconds(10))) == "claim from 0-0")
    }

    @Test func batchesAcknowledgeTogetherAndDeletedEntriesAreAcknowledgedUnprocessed() {
        let t0 = ContinuousClock.now
        var m = Machine(options: Self.options(batches: true, claimIdle: nil), now: t0)
        _ = m.next(now: t0)
        m.groupCreated()
        _ = m.next(now: t0)
        m.received([])
        #expect(Self.describe(m.next(now: t0)) == "new block 5000")
        m.received([Self.entry("1-0"), Self.entry("2-0", deleted: true), Self.entry("3-0")])
        #expect(Self.describe(m.next(now: t0)) == "deliver 1-0")
        #expect(Self.describe(m.next(now: t0)) == "deliver 3-0", "a deleted entry is not handed out")
        #expect(Self.describe(m.next(now: t0)) == "ack 1-0,2-0,3-0")
        m.acknowledged()
        #expect(Self.describe(m.next(now: t0)) == "new block 5000")
    }

    /// A partial claim goes on from its cursor; a failed read starts over from the group (own
    /// pending entries first); a failed acknowledgement is sent again.
    @Test func claimsContinueAndFailuresStartOver() {
        let t0 = ContinuousClock.now
        var m = Machine(options: Self.options(), now: t0)
        _ = m.next(now: t0)
        m.groupCreated()
        _ = m.next(now: t0)
        m.received([])
        #expect(Self.describe(m.next(now: t0)) == "claim from 0-0")
        m.claimed(RedisAutoClaim(next: "9-0", entries: [Self.entry("5-0"), Self.entry("6-0")], deleted: []), now: t0)
        #expect(Self.describe(m.next(now: t0)) == "deliver 5-0")
        #expect(Self.describe(m.next(now: t0)) == "ack without waiting 5-0")
        #expect(Self.describe(m.next(now: t0)) == "deliver 6-0")
        let collect = m.next(now: t0)
        #expect(Self.describe(collect) == "await acks")
        m.acknowledgementsSettled(failed: ["5-0"])
        m.failed(collect)
        let ack = m.next(now: t0)
        #expect(Self.describe(ack) == "ack 5-0,6-0", "the failed one sent again")
        m.failed(ack)
        #expect(Self.describe(m.next(now: t0)) == "ack 5-0,6-0")
        m.acknowledged()
        #expect(Self.describe(m.next(now: t0)) == "claim from 9-0")
        let claim = m.next(now: t0)
        m.failed(claim)
        #expect(Self.describe(m.next(now: t0)) == "create")
        m.groupCreated()
        #expect(Self.describe(m.next(now: t0)) == "own after 0")
    }
}
