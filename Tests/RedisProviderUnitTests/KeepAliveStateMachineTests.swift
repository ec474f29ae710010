import NIOCore
import Testing

@testable import RedisProvider

/// The health check's decisions, on a made-up clock.
@Suite struct KeepAliveStateMachineTests {
    @Test func probesAnIdleConnectionAndClosesASilentOne() {
        let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)
        var m = KeepAliveStateMachine(interval: .seconds(30), timeout: .seconds(5), now: t0)
        #expect(m.tickPeriod == .milliseconds(500))
        #expect(m.tick(now: t0 + .seconds(29)) == .none)
        #expect(m.tick(now: t0 + .seconds(30)) == .probe)
        #expect(m.tick(now: t0 + .seconds(31)) == .none, "one probe at a time")
        #expect(m.tick(now: t0 + .seconds(35)) == .close(silentFor: .seconds(35)))
    }

    @Test func anyReadKeepsItAlive() {
        let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)
        var m = KeepAliveStateMachine(interval: .seconds(30), timeout: .seconds(5), now: t0)
        m.read(now: t0 + .seconds(20))
        #expect(m.tick(now: t0 + .seconds(40)) == .none, "30 s after the last read, not after the start")
        #expect(m.tick(now: t0 + .seconds(50)) == .probe)
        m.read(now: t0 + .seconds(51))  // the PONG
        #expect(m.tick(now: t0 + .seconds(60)) == .none)
        #expect(m.tick(now: t0 + .seconds(81)) == .probe)
    }
}
