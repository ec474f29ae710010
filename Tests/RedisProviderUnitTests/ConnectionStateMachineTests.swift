import NIOCore
import NIOEmbedded
import RESP
import Testing

@testable import RedisProvider

/// The connection's life, fed events by the test with a clock of its own: no socket.
@Suite struct ConnectionStateMachineTests {
    struct Request: ConnectionRequest, Equatable {
        var id: Int
        var replyCount = 1
        var replyTimeout: TimeAmount?
        var isCancelled = false
    }

    typealias Machine = ConnectionStateMachine<Request>

    static let endpoint = "127.0.0.1:6379"
    static let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)
    static let ok: RESPValue = .simpleString(ByteBuffer(string: "OK"))

    /// A machine past its handshake (RESP3, no password), with a 1 s command timeout.
    static func active(commandTimeout: TimeAmount? = .seconds(1)) -> Machine {
        var m = Machine(
            handshake: HandshakeStateMachine(configuration: RedisClientConfiguration(), endpoint: endpoint),
            commandTimeout: commandTimeout)
        _ = m.channelActive()
        _ = m.received(.map([]))
        _ = m.received(ok)
        guard case .handshakeSucceeded(3) = m.received(ok) else { preconditionFailure("handshake") }
        return m
    }

    @Test func handshakeRunsBeforeTheConnectionIsActive() {
        var m = Machine(
            handshake: HandshakeStateMachine(configuration: RedisClientConfiguration(), endpoint: Self.endpoint),
            commandTimeout: .seconds(1))
        #expect(!m.isActive)
        guard case .write(let hello) = m.channelActive() else { Issue.record("no HELLO written"); return }
        #expect(hello.map(\.name) == ["HELLO"])
        // A command cannot be written before the handshake finished.
        guard case .fail(_, let early) = m.sent(Request(id: 1), now: Self.t0) else { Issue.record("accepted too early"); return }
        #expect(early.commandWasNotSent)
        guard case .write(let setup) = m.received(.map([])) else { Issue.record("no set-up written"); return }
        #expect(setup.count == 2)
        guard case .none = m.received(Self.ok) else { Issue.record("finished after one of two replies"); return }
        guard case .handshakeSucceeded(protocolVersion: 3) = m.received(Self.ok) else { Issue.record("not finished"); return }
        #expect(m.isActive)
    }

    @Test func handshakeTimeoutAndEarlyCloseFailIt() {
        var slow = Machine(
            handshake: HandshakeStateMachine(configuration: RedisClientConfiguration(), endpoint: Self.endpoint), commandTimeout: nil)
        _ = slow.channelActive()
        guard case .close(let failing, let error) = slow.handshakeTimedOut(after: .seconds(5)) else {
            Issue.record("the timeout did not close"); return
        }
        #expect(failing.isEmpty)
        #expect(error.kind == .connectTimeout)
        #expect(error.message.contains("did not finish the handshake within 5s"))
        #expect(error.message.contains("rediss://"))
        guard case .none = slow.handshakeTimedOut(after: .seconds(5)) else { Issue.record("closed twice"); return }

        var refused = Machine(
            handshake: HandshakeStateMachine(configuration: RedisClientConfiguration(), endpoint: Self.endpoint), commandTimeout: nil)
        _ = refused.channelActive()
        guard case .close(_, let closed) = refused.channelInactive() else { Issue.record("inactive did not close"); return }
        #expect(closed.kind == .connectionClosed)
        #expect(closed.message.contains("during set-up"))
    }

    @Test func repliesGoToRequestsInTheOrderTheyWereWritten() {
        var m = Self.active()
        for id in 1...3 { guard case .none = m.sent(Request(id: id), now: Self.t0) else { Issue.record("refused"); return } }
        for (id, value) in [(1, RESPValue(integerLiteral: 10)), (2, 20), (3, 30)] {
            guard case .succeed(let request, let reply) = m.received(value) else { Issue.record("no reply for \(id)"); return }
            #expect(request.id == id)
            #expect(reply == value)
        }
        #expect(m.takeAnswered() == 3)
        #expect(m.takeAnswered() == 0)
    }

    @Test func aPipelineGetsAllItsRepliesAtOnce() {
        var m = Self.active()
        _ = m.sent(Request(id: 1, replyCount: 3), now: Self.t0)
        _ = m.sent(Request(id: 2), now: Self.t0)
        guard case .none = m.received(1), case .none = m.received(2) else { Issue.record("delivered early"); return }
        guard case .succeedAll(let request, let replies) = m.received(3) else { Issue.record("not delivered"); return }
        #expect(request.id == 1)
        #expect(replies == [1, 2, 3])
        guard case .succeed(let next, _) = m.received(4) else { Issue.record("next request lost"); return }
        #expect(next.id == 2)
    }

    @Test func pushesAreNotReplies() {
        var m = Self.active()
        _ = m.sent(Request(id: 1), now: Self.t0)
        let push = RESPValue.push(["message", "chan", "hi"])
        guard case .deliverPush(let value) = m.received(push) else { Issue.record("push not delivered"); return }
        #expect(value == push)
        guard case .succeed(let request, _) = m.received(Self.ok) else { Issue.record("reply lost"); return }
        #expect(request.id == 1)
    }

    @Test func aTimedOutRequestKeepsItsPlaceAndItsLateReplyIsDropped() {
        var m = Self.active()
        _ = m.sent(Request(id: 1), now: Self.t0)
        _ = m.sent(Request(id: 2), now: Self.t0 + .milliseconds(600))
        guard case .none = m.timerFired(now: Self.t0 + .milliseconds(900)) else { Issue.record("expired early"); return }
        guard case .failAll(let expired, let error) = m.timerFired(now: Self.t0 + .milliseconds(1_100)) else {
            Issue.record("not expired"); return
        }
        #expect(expired.map(\.id) == [1])
        #expect(error.kind == .commandTimeout)
        #expect(error.message.contains("1000 ms"))
        guard case .none = m.received("late") else { Issue.record("late reply delivered"); return }
        guard case .succeed(let second, let value) = m.received("second") else { Issue.record("second lost"); return }
        #expect(second.id == 2)
        #expect(value == "second")
    }

    @Test func aBlockingRequestWaitsForItsOwnTimeout() {
        var m = Self.active()
        _ = m.sent(Request(id: 1, replyTimeout: .seconds(10)), now: Self.t0)
        guard case .none = m.timerFired(now: Self.t0 + .seconds(5)) else { Issue.record("expired at the command timeout"); return }
        guard case .failAll(let expired, _) = m.timerFired(now: Self.t0 + .milliseconds(10_500)) else {
            Issue.record("not expired at its own timeout"); return
        }
        #expect(expired.map(\.id) == [1])
    }

    @Test func aReplyOverdueByTwiceTheTimeoutClosesTheConnection() {
        var m = Self.active()
        _ = m.sent(Request(id: 1), now: Self.t0)
        _ = m.sent(Request(id: 2), now: Self.t0 + .seconds(2))
        guard case .close(let failing, let error) = m.timerFired(now: Self.t0 + .milliseconds(2_100)) else {
            Issue.record("a dead connection stayed open"); return
        }
        #expect(failing.map(\.id) == [1, 2])
        #expect(error.message.contains("more than twice the command timeout"))
        guard case .fail(_, let refused) = m.sent(Request(id: 3), now: Self.t0) else { Issue.record("accepted after close"); return }
        #expect(refused.commandWasNotSent)
    }

    @Test func cancellationMidFlightFailsAtOnceAndDropsTheReply() {
        var m = Self.active()
        _ = m.sent(Request(id: 1), now: Self.t0)
        _ = m.sent(Request(id: 2), now: Self.t0)
        guard case .fail(let cancelled, let error) = m.cancel(1) else { Issue.record("not cancelled"); return }
        #expect(cancelled.id == 1)
        #expect(error.kind == .cancelled)
        guard case .none = m.cancel(1) else { Issue.record("cancelled twice"); return }
        guard case .none = m.received("for 1") else { Issue.record("cancelled request answered"); return }
        guard case .succeed(let second, _) = m.received("for 2") else { Issue.record("second lost"); return }
        #expect(second.id == 2)
        #expect(m.takeAnswered() == 2)
    }

    @Test func aRequestCancelledBeforeItWasWrittenFailsAndKeepsItsPlace() {
        var m = Self.active()
        guard case .fail(let request, let error) = m.sent(Request(id: 1, isCancelled: true), now: Self.t0) else {
            Issue.record("a cancelled request was kept"); return
        }
        #expect(request.id == 1)
        #expect(error.kind == .cancelled)
        _ = m.sent(Request(id: 2), now: Self.t0)
        guard case .none = m.received("for 1"), case .succeed(let second, _) = m.received("for 2") else {
            Issue.record("replies out of step"); return
        }
        #expect(second.id == 2)
    }

    @Test func gracefulCloseWaitsForRepliesThenCloses() {
        var m = Self.active()
        _ = m.sent(Request(id: 1), now: Self.t0)
        let shutdown = RedisError(.shutdown, "closed by the client")
        guard case .none = m.close(graceful: true, error: shutdown) else { Issue.record("closed at once"); return }
        #expect(m.isClosing)
        guard case .fail(_, let late) = m.sent(Request(id: 2), now: Self.t0) else { Issue.record("accepted while closing"); return }
        #expect(late.kind == .shutdown)
        guard case .none = m.readComplete() else { Issue.record("closed before the reply"); return }
        guard case .succeed(let request, _) = m.received(Self.ok) else { Issue.record("reply lost"); return }
        #expect(request.id == 1)
        guard case .close(let failing, _) = m.readComplete() else { Issue.record("did not close after the last reply"); return }
        #expect(failing.isEmpty)
    }

    @Test func gracefulCloseGivesUpAfterItsDeadline() {
        var m = Self.active()
        _ = m.sent(Request(id: 1), now: Self.t0)
        _ = m.close(graceful: true, error: RedisError(.shutdown, "closed by the client"))
        guard case .close(let failing, let error) = m.closeTimedOut() else { Issue.record("still waiting"); return }
        #expect(failing.map(\.id) == [1])
        #expect(error.kind == .shutdown)
    }

    @Test func aReplyNobodyAskedForIsAProtocolViolation() {
        var m = Self.active()
        guard case .close(let failing, let error) = m.received(Self.ok) else { Issue.record("stayed open"); return }
        #expect(failing.isEmpty)
        #expect(error.kind == .protocolViolation)
    }

    @Test func theChannelGoingAwayFailsEveryWaitingRequest() {
        var m = Self.active()
        _ = m.sent(Request(id: 1), now: Self.t0)
        _ = m.sent(Request(id: 2, replyCount: 2), now: Self.t0)
        _ = m.received(Self.ok)
        guard case .close(let failing, let error) = m.channelInactive() else { Issue.record("not closed"); return }
        #expect(failing.map(\.id) == [2])
        #expect(error.kind == .connectionClosed)
        #expect(!error.commandWasNotSent)
        guard case .none = m.channelInactive() else { Issue.record("closed twice"); return }
    }

    @Test func withoutACommandTimeoutNothingExpires() {
        var m = Self.active(commandTimeout: nil)
        _ = m.sent(Request(id: 1), now: nil)
        guard case .none = m.timerFired(now: Self.t0 + .hours(10)) else { Issue.record("expired"); return }
    }
}

/// When a caller on the connection's loop writes before the scheduled drain.
@Suite struct OutboxEarlyWriteTests {
    @Test func writesEarlyOnceAsManyAreQueuedAsTheLoopHasOnTheWire() {
        #expect(Outbox.earlyWrite(onTheWire: 0) == 4)
        #expect(Outbox.earlyWrite(onTheWire: 4) == 4)
        #expect(Outbox.earlyWrite(onTheWire: 20) == 20)
        #expect(Outbox.earlyWrite(onTheWire: 5000) == 5000)
    }

    @Test func everyConnectionOfALoopSharesItsTraffic() {
        let first = EmbeddedEventLoop(), second = EmbeddedEventLoop()
        #expect(LoopTraffic.of(first) === LoopTraffic.of(first))
        #expect(LoopTraffic.of(first) !== LoopTraffic.of(second))
        LoopTraffic.of(first).written(3)
        LoopTraffic.of(first).answered(1)
        #expect(LoopTraffic.of(first).onTheWire == 2)
        #expect(LoopTraffic.of(second).onTheWire == 0)
    }
}
