import Testing

@testable import RedisProvider

/// A node's connection slots, reconnect backoff and dedicated pool, with a made-up clock and
/// a seeded random source: no server.
@Suite struct NodeStateMachineTests {
    final class Connection {}
    typealias Machine = NodeStateMachine<Connection, Int>

    static let t0 = ContinuousClock.now

    static func machine(
        connections: Int = 1, waitsForReconnect: Bool = true, commandTimeout: Duration? = .seconds(1), maxIdle: Int = 2
    ) -> Machine {
        var configuration = RedisClientConfiguration(
            commandTimeout: commandTimeout, connectionsPerNode: connections, reconnectBaseDelay: .milliseconds(100),
            reconnectMaxDelay: .milliseconds(400))
        configuration.waitsForReconnect = waitsForReconnect
        configuration.maxIdleDedicatedConnections = maxIdle
        return Machine(endpoint: "127.0.0.1:6379", configuration: configuration)
    }

    static let refused = RedisError(.connectionRefused, "Connection refused by 127.0.0.1:6379", endpoint: "127.0.0.1:6379")

    @Test func theFirstCallerConnectsAndTheOthersWaitForIt() throws {
        var m = Self.machine()
        guard case .connect(let slot) = m.connectionRequested(home: nil, now: Self.t0) else { Issue.record("nobody connects"); return }
        guard case .wait(slot) = m.connectionRequested(home: nil, now: Self.t0) else { Issue.record("a second connect"); return }
        let r1 = m.park(1, slot: slot)
        #expect(r1 == nil)
        let r2 = m.park(2, slot: slot)
        #expect(r2 == nil)
        let r3 = m.readyConnection(home: nil)
        #expect(r3 == nil)
        let c = Connection()
        let r4 = m.connected(c, slot: slot)
        #expect(r4 == [1, 2])
        let r5 = m.readyConnection(home: nil)
        #expect(r5 === c)
        guard case .use(let used, _) = m.connectionRequested(home: nil, now: Self.t0) else { Issue.record("not used"); return }
        #expect(used === c)
        #expect(m.readyCount == 1)
    }

    @Test func aCancelledWaiterLeavesAndTheOthersStillGetTheConnection() {
        var m = Self.machine()
        guard case .connect(let slot) = m.connectionRequested(home: nil, now: Self.t0) else { return }
        _ = m.park(1, slot: slot)
        _ = m.park(2, slot: slot)
        let removed = m.removeWaiter(slot: slot) { $0 == 1 }
        #expect(removed == 1)
        let again = m.removeWaiter(slot: slot) { $0 == 1 }
        #expect(again == nil)
        let told = m.connected(Connection(), slot: slot)
        #expect(told == [2])
    }

    @Test func aFailedConnectBacksOffWithFullJitterThatGrowsToTheCap() throws {
        var m = Self.machine(waitsForReconnect: false)
        var random = SplitMix64(seed: 7)
        var now = Self.t0
        var steps: [Duration] = []
        guard case .connect(var slot) = m.connectionRequested(home: nil, now: now) else { Issue.record("nobody connects"); return }
        #expect(m.park(9, slot: slot) == nil)
        for failure in 1...5 {
            let waiters = m.connectFailed(slot: slot, Self.refused, now: now, using: &random)
            #expect(waiters == (failure == 1 ? [9] : []))
            // Before the next attempt is due, a command fails at once, saying when it is.
            guard case .fail(let error) = m.connectionRequested(home: nil, now: now) else { Issue.record("did not fail"); return }
            #expect(error.kind == .connectionRefused)
            #expect(error.message.contains("reconnecting in"))
            // When it is due: the first instant at which a request connects again.
            var waited: Duration = .zero
            for _ in 0..<200 {  // 1 s at most: the cap is 400 ms
                waited += .milliseconds(5)
                if case .connect(let again) = m.connectionRequested(home: nil, now: now + waited) {
                    slot = again
                    break
                }
            }
            steps.append(waited)
            now += waited
        }
        // Attempt n waits at most base · 2^(n-1), capped at 400 ms (plus the 5 ms probe step).
        let caps: [Duration] = [.milliseconds(105), .milliseconds(205), .milliseconds(405), .milliseconds(405), .milliseconds(405)]
        for (waited, cap) in zip(steps, caps) { #expect(waited <= cap) }
    }

    @Test func aCommandSleepsForAReconnectDueWithinItsTimeout() {
        var m = Self.machine(waitsForReconnect: true, commandTimeout: .seconds(1))
        var random = SplitMix64(seed: 1)
        guard case .connect(let slot) = m.connectionRequested(home: nil, now: Self.t0) else { return }
        _ = m.connectFailed(slot: slot, Self.refused, now: Self.t0, using: &random)
        guard case .sleep(let until) = m.connectionRequested(home: nil, now: Self.t0) else {
            Issue.record("did not wait for the reconnect"); return
        }
        #expect(until <= Self.t0 + .milliseconds(100))
        guard case .connect = m.connectionRequested(home: nil, now: until) else { Issue.record("no reconnect when due"); return }
    }

    @Test func aClosedConnectionIsReopenedByTheNextCommand() {
        var m = Self.machine()
        guard case .connect(let slot) = m.connectionRequested(home: nil, now: Self.t0) else { return }
        let c = Connection()
        _ = m.connected(c, slot: slot)
        m.connectionClosed(Connection(), slot: slot)  // another connection: ignored
        let r6 = m.readyConnection(home: nil)
        #expect(r6 === c)
        m.connectionClosed(c, slot: slot)
        let r7 = m.readyConnection(home: nil)
        #expect(r7 == nil)
        guard case .connect = m.connectionRequested(home: nil, now: Self.t0) else { Issue.record("not reopened"); return }
    }

    @Test func callersOnAnEventLoopUseItsSlotOthersTakeTurns() {
        var m = Self.machine(connections: 2)
        guard case .connect(0) = m.connectionRequested(home: 0, now: Self.t0) else { Issue.record("home 0"); return }
        guard case .connect(1) = m.connectionRequested(home: 1, now: Self.t0) else { Issue.record("home 1"); return }
        let (a, b) = (Connection(), Connection())
        _ = m.connected(a, slot: 0)
        _ = m.connected(b, slot: 1)
        let r8 = m.readyConnection(home: 1)
        #expect(r8 === b)
        let turns = (0..<4).map { _ in m.readyConnection(home: nil) }
        #expect(turns.map { $0 === a } == [true, false, true, false])
    }

    @Test func shutdownFailsWaitersAndClosesWhatOpensLate() {
        var m = Self.machine()
        guard case .connect(let slot) = m.connectionRequested(home: nil, now: Self.t0) else { return }
        _ = m.park(1, slot: slot)
        let (shared, dedicated, waiters) = m.shutdown()
        #expect(shared.isEmpty && dedicated.isEmpty)
        #expect(waiters == [1])
        let r9 = m.connected(Connection(), slot: slot)
        #expect(r9 == nil)  // close it
        guard case .fail(let error) = m.connectionRequested(home: nil, now: Self.t0) else { Issue.record("accepted"); return }
        #expect(error.kind == .shutdown)
        let r10 = m.readyConnection(home: nil)
        #expect(r10 == nil)
    }

    @Test func dedicatedConnectionsArePooledUpToTheLimit() {
        var m = Self.machine(maxIdle: 1)
        guard case .open = m.leaseDedicated() else { Issue.record("nothing to open"); return }
        let (a, b) = (Connection(), Connection())
        let r11 = m.openedDedicated(a)
        #expect(r11)
        let r12 = m.openedDedicated(b)
        #expect(r12)
        let r13 = m.returnedDedicated(a, reusable: true)
        #expect(r13)
        let r14 = m.returnedDedicated(b, reusable: true)
        #expect(!r14)  // the pool is full: close it
        #expect(m.idleDedicatedCount == 1)
        guard case .use(let reused) = m.leaseDedicated() else { Issue.record("not reused"); return }
        #expect(reused === a)
        let r15 = m.returnedDedicated(a, reusable: false)
        #expect(!r15)  // its state changed: close it
        #expect(m.idleDedicatedCount == 0)
        // Shutdown closes leased ones too: a command blocking on one must not hold it up.
        let r16 = m.openedDedicated(b)
        #expect(r16)
        let (_, dedicated, _) = m.shutdown()
        #expect(dedicated.count == 1 && dedicated[0] === b)
        guard case .fail(let error) = m.leaseDedicated() else { Issue.record("leased after shutdown"); return }
        #expect(error.kind == .shutdown && error.commandWasNotSent)
        let r17 = m.openedDedicated(Connection())
        #expect(!r17)
    }
}
