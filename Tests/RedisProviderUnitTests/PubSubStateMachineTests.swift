import NIOCore
import RESP
import Testing

@testable import RedisProvider

/// Subscriptions without a server: routing, connecting, shared server subscriptions,
/// resubscribing after a loss, slot moves and refusals, with a made-up clock.
@Suite struct PubSubStateMachineTests {
    final class Connection {}
    typealias Machine = PubSubStateMachine<Connection>
    typealias Key = Machine.Key

    static let t0 = ContinuousClock.now
    static let a = RedisEndpoint(host: "127.0.0.1", port: 7000)
    static let b = RedisEndpoint(host: "127.0.0.1", port: 7001)

    static func machine() -> Machine {
        Machine(backoff: ReconnectBackoff(base: .milliseconds(100), cap: .milliseconds(400)))
    }

    static func words(_ commands: [RESPCommand]) -> [[String]] {
        commands.map { $0.arguments.map { String(buffer: $0) } }
    }

    /// Routes every homeless key to `endpoint` and opens its connection; returns the writes.
    static func bringUp(_ m: inout Machine, on endpoint: RedisEndpoint = a, connection: Connection) -> [[String]] {
        var written: [[String]] = []
        while true {
            switch m.nextRepair(now: t0) {
            case .route(let key, _):
                if let w = m.homed(key, on: endpoint) { written += words(w.commands) }
            case .connect(let e):
                if let w = m.connected(connection, to: e) { written += words(w.commands) }
            case .done, .wait, .sleep:
                return written
            }
        }
    }

    @Test func oneServerSubscriptionServesEverySubscriberOfAChannel() {
        var m = Self.machine()
        m.subscribe(1, [Key(kind: .channel, name: "news"), Key(kind: .pattern, name: "ev:*")])
        m.subscribe(2, [Key(kind: .channel, name: "news")])
        let c = Connection()
        #expect(Self.bringUp(&m, connection: c) == [["SUBSCRIBE", "news"], ["PSUBSCRIBE", "ev:*"]])
        #expect(!m.isActive(1))
        guard case .wake(let woken, gap: false) = m.received(.subscribed(.channel, "news"), from: Self.a) else {
            Issue.record("a confirmation wakes its subscribers")
            return
        }
        #expect(woken == [1, 2])
        #expect(m.isActive(2) && !m.isActive(1))
        _ = m.received(.subscribed(.pattern, "ev:*"), from: Self.a)
        #expect(m.isActive(1))
        guard case .deliver(let message, let to) = m.received(.message(.channel, channel: "news", pattern: nil, payload: ByteBuffer(string: "x")), from: Self.a)
        else {
            Issue.record("a message is delivered")
            return
        }
        #expect(message.channel == "news" && to == [1, 2])
        if case .deliver(let p, let to) = m.received(.message(.pattern, channel: "ev:1", pattern: "ev:*", payload: ByteBuffer()), from: Self.a) {
            #expect(p.pattern == "ev:*" && to == [1])
        } else {
            Issue.record("a pattern message goes to the pattern's subscribers")
        }
        // The second subscriber leaves: nothing is sent; the first leaves: UNSUBSCRIBE
        // would leave an empty connection, so it is closed instead.
        let leave2 = m.unsubscribe(2)
        #expect(leave2.writes.isEmpty && leave2.close.isEmpty)
        let leave1 = m.unsubscribe(1)
        #expect(leave1.writes.isEmpty && leave1.close.count == 1 && leave1.close[0] === c)
        #expect(m.wantedCount == 0)
    }

    @Test func aChannelNobodyWantsIsUnsubscribedWhileOthersStay() {
        var m = Self.machine()
        m.subscribe(1, [Key(kind: .channel, name: "a")])
        m.subscribe(2, [Key(kind: .shardChannel, name: "{x}b"), Key(kind: .shardChannel, name: "{x}c")])
        _ = Self.bringUp(&m, connection: Connection())
        let leave = m.unsubscribe(2)
        #expect(leave.close.isEmpty)
        #expect(leave.writes.flatMap { Self.words($0.commands) } == [["SUNSUBSCRIBE", "{x}b", "{x}c"]])
    }

    @Test func shardedChannelsAreSubscribedOneSlotPerCommand() {
        let keys = ["{a}1", "{b}1", "{a}2"].map { Key(kind: .shardChannel, name: $0) }
        let words = Self.words(Machine.commands(keys, subscribe: true))
        #expect(words.count == 2)
        #expect(words.contains(["SSUBSCRIBE", "{a}1", "{a}2"]) && words.contains(["SSUBSCRIBE", "{b}1"]))
    }

    @Test func theFirstConsumerConnectsAndTheOthersWait() {
        var m = Self.machine()
        m.subscribe(1, [Key(kind: .channel, name: "n")])
        guard case .route(let key, refreshTopology: false) = m.nextRepair(now: Self.t0) else {
            Issue.record("a new channel is routed")
            return
        }
        guard case .wait = m.nextRepair(now: Self.t0) else {
            Issue.record("one route at a time")
            return
        }
        #expect(m.homed(key, on: Self.a) == nil)  // no connection yet
        guard case .connect(Self.a) = m.nextRepair(now: Self.t0) else {
            Issue.record("then the node is connected")
            return
        }
        guard case .wait = m.nextRepair(now: Self.t0) else {
            Issue.record("one connect at a time")
            return
        }
        var random = SplitMix64(seed: 1)
        m.connectFailed(to: Self.a, now: Self.t0, using: &random)
        // A failed connect sends its channels to be routed again, refreshing the topology.
        guard case .route(_, refreshTopology: true) = m.nextRepair(now: Self.t0) else {
            Issue.record("routed again after a failed connect")
            return
        }
        _ = m.homed(key, on: Self.a)
        guard case .sleep(let until) = m.nextRepair(now: Self.t0), until > Self.t0, until <= Self.t0 + .milliseconds(100) else {
            Issue.record("the reconnect waits a jittered backoff")
            return
        }
        guard case .connect(Self.a) = m.nextRepair(now: until) else {
            Issue.record("and connects when it is due")
            return
        }
    }

    /// In a cluster the channels of an unreachable node are routed again while its reconnect
    /// backs off: a promoted replica takes them over without waiting out the backoff.
    @Test func anUnreachableNodesChannelsAreRoutedAgainWhileItBacksOff() {
        var m = Machine(backoff: ReconnectBackoff(base: .seconds(1), cap: .seconds(2)), rerouteInterval: .milliseconds(100))
        m.subscribe(1, [Key(kind: .shardChannel, name: "{o}x")])
        guard case .route(let key, _) = m.nextRepair(now: Self.t0) else { Issue.record("routed"); return }
        _ = m.homed(key, on: Self.a)
        guard case .connect(Self.a) = m.nextRepair(now: Self.t0) else { Issue.record("connects"); return }
        var random = SplitMix64(seed: 7)
        m.connectFailed(to: Self.a, now: Self.t0, using: &random)
        guard case .route(key, refreshTopology: true) = m.nextRepair(now: Self.t0) else { Issue.record("routed again"); return }
        _ = m.homed(key, on: Self.a)  // the map still names the dead node
        // Backing off: the next look is due after the reroute interval, not the whole backoff.
        guard case .sleep(let until) = m.nextRepair(now: Self.t0), until <= Self.t0 + .milliseconds(100) else {
            Issue.record("sleeps until the next reroute")
            return
        }
        guard case .route(key, refreshTopology: true) = m.nextRepair(now: until) else { Issue.record("rerouted"); return }
        _ = m.homed(key, on: Self.b)  // the replica was promoted
        guard case .connect(Self.b) = m.nextRepair(now: until) else { Issue.record("connects to the new primary"); return }
        // Standalone (no reroute) just waits out the backoff.
        var s = Self.machine()
        s.subscribe(1, [Key(kind: .channel, name: "n")])
        _ = s.nextRepair(now: Self.t0)
        _ = s.homed(Key(kind: .channel, name: "n"), on: Self.a)
        _ = s.nextRepair(now: Self.t0)
        s.connectFailed(to: Self.a, now: Self.t0, using: &random)
        _ = s.nextRepair(now: Self.t0)
        _ = s.homed(Key(kind: .channel, name: "n"), on: Self.a)
        guard case .sleep = s.nextRepair(now: Self.t0) else { Issue.record("standalone waits"); return }
    }

    @Test func aLostConnectionResubscribesAndReportsAGap() {
        var m = Self.machine()
        m.subscribe(1, [Key(kind: .shardChannel, name: "{o}x")])
        let c = Connection()
        _ = Self.bringUp(&m, connection: c)
        _ = m.received(.subscribed(.shardChannel, "{o}x"), from: Self.a)
        #expect(m.isActive(1))
        // A stale close (another connection) changes nothing.
        #expect(m.disconnected(Connection(), from: Self.a).isEmpty)
        #expect(m.disconnected(c, from: Self.a) == [1])
        #expect(!m.isActive(1))
        // After a failover the channel's slot belongs to another node: it is subscribed there.
        let c2 = Connection()
        #expect(Self.bringUp(&m, on: Self.b, connection: c2) == [["SSUBSCRIBE", "{o}x"]])
        // A late confirmation from the old node does not count.
        guard case .none = m.received(.subscribed(.shardChannel, "{o}x"), from: Self.a) else {
            Issue.record("a confirmation from the wrong node is ignored")
            return
        }
        _ = m.received(.subscribed(.shardChannel, "{o}x"), from: Self.b)
        #expect(m.isActive(1))
    }

    @Test func aSlotThatMovedIsFollowed() {
        var m = Self.machine()
        m.subscribe(1, [Key(kind: .shardChannel, name: "{o}x")])
        _ = Self.bringUp(&m, connection: Connection())
        _ = m.received(.subscribed(.shardChannel, "{o}x"), from: Self.a)
        // The old owner ends the subscription by itself when the slot leaves it.
        guard case .wake([1], gap: true) = m.received(.unsubscribed(.shardChannel, "{o}x"), from: Self.a) else {
            Issue.record("an unasked sunsubscribe sends the channel to its new owner")
            return
        }
        guard case .route(_, refreshTopology: true) = m.nextRepair(now: Self.t0) else {
            Issue.record("routed again with a fresh topology")
            return
        }
    }

    @Test func aRedirectRoutesAgainAndARefusalFails() {
        var m = Self.machine()
        m.subscribe(1, [Key(kind: .shardChannel, name: "{o}x")])
        _ = Self.bringUp(&m, connection: Connection())
        guard case .wake([1], gap: false) = m.received(.error(RESPError(message: "MOVED 1234 127.0.0.1:7001")), from: Self.a) else {
            Issue.record("MOVED routes the channel again")
            return
        }
        _ = Self.bringUp(&m, on: Self.b, connection: Connection())
        guard case .fail([1], let error) = m.received(.error(RESPError(message: "NOPERM no permissions")), from: Self.b) else {
            Issue.record("a refusal fails the subscriber")
            return
        }
        #expect(error.code == "NOPERM")
    }

    /// A subscription on every primary: one key per primary, each pinned to a slot; the
    /// server's single name maps back to the key homed on the node that sent it.
    @Test func aPatternOnEveryPrimaryIsOneKeyPerNode() {
        var m = Self.machine()
        let onA = Key(kind: .pattern, name: "__key*__:*", pin: 0)
        let onB = Key(kind: .pattern, name: "__key*__:*", pin: 8000)
        m.subscribe(1, [onA, onB])
        guard case .route(let first, _) = m.nextRepair(now: Self.t0) else { Issue.record("routed"); return }
        _ = m.homed(first, on: first == onA ? Self.a : Self.b)
        guard case .route(let second, _) = m.nextRepair(now: Self.t0) else { Issue.record("routed"); return }
        _ = m.homed(second, on: second == onA ? Self.a : Self.b)
        let (ca, cb) = (Connection(), Connection())
        for _ in 0..<2 {
            guard case .connect(let e) = m.nextRepair(now: Self.t0) else { Issue.record("connects"); return }
            #expect(Self.words(m.connected(e == Self.a ? ca : cb, to: e)?.commands ?? []) == [["PSUBSCRIBE", "__key*__:*"]])
        }
        _ = m.received(.subscribed(.pattern, "__key*__:*"), from: Self.a)
        #expect(!m.isActive(1))
        _ = m.received(.subscribed(.pattern, "__key*__:*"), from: Self.b)
        #expect(m.isActive(1))
        let event = PubSubEvent.message(.pattern, channel: "__keyevent@0__:set", pattern: "__key*__:*", payload: ByteBuffer(string: "k"))
        guard case .deliver(_, let to) = m.received(event, from: Self.b) else { Issue.record("delivered"); return }
        #expect(to == [1])
        // Node A's connection is lost: only its key is routed again.
        #expect(m.disconnected(ca, from: Self.a) == [1])
        guard case .route(onA, refreshTopology: true) = m.nextRepair(now: Self.t0) else { Issue.record("A's key routed again"); return }
        let leave = m.unsubscribe(1)
        #expect(leave.close.count == 1 && leave.close[0] === cb)
    }

    @Test func shutdownClosesEveryConnection() {
        var m = Self.machine()
        m.subscribe(1, [Key(kind: .channel, name: "n")])
        let c = Connection()
        _ = Self.bringUp(&m, connection: c)
        let closed = m.shutdown()
        #expect(closed.count == 1 && closed[0] === c)
        guard case .done = m.nextRepair(now: Self.t0) else {
            Issue.record("nothing to repair after shutdown")
            return
        }
    }

    @Test(arguments: [
        (RESPValue.push([.bulkString(ByteBuffer(string: "message")), .bulkString(ByteBuffer(string: "c")), .bulkString(ByteBuffer(string: "p"))]),
         PubSubEvent.message(.channel, channel: "c", pattern: nil, payload: ByteBuffer(string: "p"))),
        (RESPValue.array([.bulkString(ByteBuffer(string: "pmessage")), .bulkString(ByteBuffer(string: "e:*")), .bulkString(ByteBuffer(string: "e:1")), .bulkString(ByteBuffer(string: "p"))]),
         PubSubEvent.message(.pattern, channel: "e:1", pattern: "e:*", payload: ByteBuffer(string: "p"))),
        (RESPValue.push([.bulkString(ByteBuffer(string: "smessage")), .bulkString(ByteBuffer(string: "s")), .bulkString(ByteBuffer(string: "p"))]),
         PubSubEvent.message(.shardChannel, channel: "s", pattern: nil, payload: ByteBuffer(string: "p"))),
        (RESPValue.array([.bulkString(ByteBuffer(string: "ssubscribe")), .bulkString(ByteBuffer(string: "s")), .integer(1)]),
         PubSubEvent.subscribed(.shardChannel, "s")),
        (RESPValue.push([.bulkString(ByteBuffer(string: "punsubscribe")), .null, .integer(0)]),
         PubSubEvent.unsubscribed(.pattern, nil)),
        (RESPValue.array([.bulkString(ByteBuffer(string: "pong")), .bulkString(ByteBuffer())]), PubSubEvent.pong),
        (RESPValue.simpleString(ByteBuffer(string: "PONG")), PubSubEvent.pong),
        (RESPValue.push([.bulkString(ByteBuffer(string: "invalidate")), .array([])]), PubSubEvent.other),
        (RESPValue.push([.bulkString(ByteBuffer(string: "message")), .bulkString(ByteBuffer(string: "c"))]), PubSubEvent.other),
    ] as [(RESPValue, PubSubEvent)])
    func eventsAreReadFromRESP3PushesAndRESP2Arrays(value: RESPValue, event: PubSubEvent) {
        #expect(PubSubEvent(value) == event)
    }
}
