import Testing

@testable import RedisProvider

/// One discovery at a time, waiters share it, and unforced refreshes are throttled.
@Suite struct TopologyRefreshGateTests {
    static let t0 = ContinuousClock.now

    @Test func oneDiscoveryAtATimeAndTheOthersWaitForIt() {
        var gate = TopologyRefreshGate<Int>(minimumInterval: .milliseconds(100))
        let d1 = gate.requested(force: true, haveMap: false, now: Self.t0)
        #expect(d1 == .discover)
        #expect(gate.isRefreshing)
        let d2 = gate.requested(force: true, haveMap: false, now: Self.t0)
        #expect(d2 == .wait)
        let parked = [gate.park(1), gate.park(2)]
        #expect(parked == [true, true])
        let told = gate.finished(now: Self.t0 + .milliseconds(30))
        #expect(told == [1, 2])
        #expect(!gate.isRefreshing)
        let late = gate.park(3)
        #expect(!late)  // finished meanwhile: ask again
        #expect(gate.lastRefresh == Self.t0 + .milliseconds(30))
    }

    @Test func unforcedRefreshesAreThrottledButNotWithoutAMap() {
        var gate = TopologyRefreshGate<Int>(minimumInterval: .milliseconds(100))
        _ = gate.requested(force: true, haveMap: false, now: Self.t0)
        _ = gate.finished(now: Self.t0)
        #expect(gate.requested(force: false, haveMap: true, now: Self.t0 + .milliseconds(50)) == .useCurrent)
        // A MOVED storm asks again and again: still one refresh per interval.
        for ms in stride(from: 51, to: 100, by: 7) {
            #expect(gate.requested(force: false, haveMap: true, now: Self.t0 + .milliseconds(ms)) == .useCurrent)
        }
        #expect(gate.requested(force: false, haveMap: false, now: Self.t0 + .milliseconds(50)) == .discover)
        _ = gate.finished(now: Self.t0 + .milliseconds(60))
        #expect(gate.requested(force: true, haveMap: true, now: Self.t0 + .milliseconds(61)) == .discover)
        _ = gate.finished(now: Self.t0 + .milliseconds(70))
        #expect(gate.requested(force: false, haveMap: true, now: Self.t0 + .milliseconds(171)) == .discover)
    }
}
