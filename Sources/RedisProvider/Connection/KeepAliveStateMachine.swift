import NIOCore

/// When an idle connection is probed, and when it is given up, decided without I/O: after
/// `interval` with nothing read, a `PING` goes out; when nothing at all is read within
/// `timeout` of it, the connection is half-open (a peer gone without a FIN, a load balancer
/// that dropped the flow, a stopped server) and is closed, so that it is replaced.
struct KeepAliveStateMachine {
    enum Action: Equatable {
        case none
        /// Send a `PING`.
        case probe
        /// Close the connection: nothing was read for this long, the probe included.
        case close(silentFor: TimeAmount)
    }

    let interval: TimeAmount
    let timeout: TimeAmount
    private var lastRead: NIODeadline
    private var probeSentAt: NIODeadline?

    init(interval: TimeAmount, timeout: TimeAmount, now: NIODeadline) {
        self.interval = interval
        self.timeout = timeout
        self.lastRead = now
    }

    /// How often to call ``tick(now:)``: often enough to act within a tenth of the interval
    /// or timeout, whichever is shorter.
    var tickPeriod: TimeAmount {
        .nanoseconds(max(min(interval.nanoseconds, timeout.nanoseconds) / 10, 1_000_000))
    }

    /// Bytes arrived: the connection is alive.
    mutating func read(now: NIODeadline) {
        lastRead = now
        probeSentAt = nil
    }

    mutating func tick(now: NIODeadline) -> Action {
        if let sent = probeSentAt {
            return now - sent >= timeout ? .close(silentFor: now - lastRead) : .none
        }
        guard now - lastRead >= interval else { return .none }
        probeSentAt = now
        return .probe
    }
}
