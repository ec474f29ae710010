/// The connections of one node as a pure machine: the shared (multiplexed) connection
/// slots with their reconnect backoff, the callers waiting for a slot to connect, and the
/// pool of dedicated connections for blocking commands, transactions and sessions.
///
/// ``RedisNodeClient`` holds it under one lock and performs what it decides: the caller that
/// finds a slot idle opens the connection itself (no background task), callers arriving
/// meanwhile park until it is open or failed. Time and randomness come with the events.
struct NodeStateMachine<Connection: AnyObject, Waiter> {
    private enum Slot {
        case idle(failures: Int)
        case connecting(waiters: [Waiter], failures: Int)
        case ready(Connection)
        case backingOff(RedisError, until: ContinuousClock.Instant, failures: Int)
    }

    /// What a caller that wants a shared connection does next.
    enum Step {
        /// Slot `slot`'s connection (check that it is still open; report it closed if not).
        case use(Connection, slot: Int)
        /// Open the connection for slot `slot` and report with `connected` or `connectFailed`.
        case connect(slot: Int)
        /// Another caller is opening slot `slot`: park with `park(_:slot:)`.
        case wait(slot: Int)
        /// The next connection attempt is due then (before the command would time out).
        case sleep(until: ContinuousClock.Instant)
        case fail(RedisError)
    }

    /// What a caller that wants a dedicated connection does next.
    enum Lease {
        /// An idle pooled connection (check that it is still open).
        case use(Connection)
        /// Open a new one and report with `openedDedicated`.
        case open
        case fail(RedisError)
    }

    private var slots: [Slot]
    private var next = 0
    private(set) var isShutdown = false
    /// Dedicated connections returned in good order, newest last.
    private var idleDedicated: [Connection] = []
    /// Dedicated connections in use; shutdown closes them so that nobody waits on them for ever.
    private var leasedDedicated: [ObjectIdentifier: Connection] = [:]
    let endpoint: String
    let backoff: ReconnectBackoff
    /// Whether a command may wait for a reconnect due within `commandTimeout`.
    let waitsForReconnect: Bool
    let commandTimeout: Duration?
    let maxIdleDedicated: Int

    init(endpoint: String, configuration: RedisClientConfiguration) {
        self.endpoint = endpoint
        self.slots = Array(repeating: .idle(failures: 0), count: max(1, configuration.connectionsPerNode))
        self.backoff = ReconnectBackoff(base: configuration.reconnectBaseDelay, cap: configuration.reconnectMaxDelay)
        self.waitsForReconnect = configuration.waitsForReconnect
        self.commandTimeout = configuration.commandTimeout
        self.maxIdleDedicated = configuration.maxIdleDedicatedConnections
    }

    // MARK: - Shared connections

    /// The open connection a command takes now, without waiting (`nil`: take the slow path).
    /// `home` is the slot of the caller's event loop, when it has one.
    mutating func readyConnection(home: Int?) -> Connection? {
        guard !isShutdown else { return nil }
        if case .ready(let c) = slots[pick(home)] { return c }
        return nil
    }

    /// A caller wants a shared connection at `now`.
    mutating func connectionRequested(home: Int?, now: ContinuousClock.Instant) -> Step {
        if isShutdown { return .fail(shutdownError) }
        let i = pick(home)
        switch slots[i] {
        case .ready(let c):
            return .use(c, slot: i)
        case .connecting:
            return .wait(slot: i)
        case .idle(let failures):
            slots[i] = .connecting(waiters: [], failures: failures)
            return .connect(slot: i)
        case .backingOff(let error, let until, let failures):
            if until <= now {
                slots[i] = .connecting(waiters: [], failures: failures)
                return .connect(slot: i)
            }
            // Wait for the next attempt only when it comes before this command would time out.
            if !waitsForReconnect || commandTimeout.map({ now + $0 < until }) == true {
                var e = error
                e.message += " (reconnecting in \(Int((until - now).nanoseconds / 1_000_000)) ms)"
                return .fail(e)
            }
            return .sleep(until: until)
        }
    }

    /// `waiter` parks until slot `slot` is open. When the slot changed since `.wait` was
    /// decided, it is answered at once instead.
    mutating func park(_ waiter: Waiter, slot: Int) -> Step? {
        if isShutdown { return .fail(shutdownError) }
        switch slots[slot] {
        case .connecting(var waiters, let failures):
            waiters.append(waiter)
            slots[slot] = .connecting(waiters: waiters, failures: failures)
            return nil
        case .ready(let c):
            return .use(c, slot: slot)
        case .idle, .backingOff:
            return .wait(slot: slot)  // ask again
        }
    }

    /// A parked caller was cancelled: takes its waiter out (`nil` when it was already told).
    mutating func removeWaiter(slot: Int, where matches: (Waiter) -> Bool) -> Waiter? {
        guard case .connecting(var waiters, let failures) = slots[slot], let i = waiters.firstIndex(where: matches) else { return nil }
        let waiter = waiters.remove(at: i)
        slots[slot] = .connecting(waiters: waiters, failures: failures)
        return waiter
    }

    /// Slot `slot`'s connection opened. Returns the waiters to hand it to, or `nil` when the
    /// client shut down meanwhile: close the connection.
    mutating func connected(_ connection: Connection, slot: Int) -> [Waiter]? {
        guard case .connecting(let waiters, _) = slots[slot] else { return nil }
        if isShutdown {
            slots[slot] = .idle(failures: 0)
            return nil
        }
        slots[slot] = .ready(connection)
        return waiters
    }

    /// Slot `slot` failed to connect at `now`: it backs off (full jitter) and its waiters
    /// get the error.
    mutating func connectFailed<G: RandomNumberGenerator>(
        slot: Int, _ error: RedisError, now: ContinuousClock.Instant, using generator: inout G
    ) -> [Waiter] {
        guard case .connecting(let waiters, let failures) = slots[slot] else { return [] }
        let until = now + backoff.delay(attempt: failures + 1, using: &generator)
        slots[slot] = .backingOff(error, until: until, failures: failures + 1)
        return waiters
    }

    /// `connection` of slot `slot` closed (or was found closed): the next command reopens it.
    mutating func connectionClosed(_ connection: Connection, slot: Int) {
        if case .ready(let c) = slots[slot], c === connection { slots[slot] = .idle(failures: 0) }
    }

    /// How many slots hold a connection.
    var readyCount: Int {
        slots.reduce(0) { n, slot in
            if case .ready = slot { return n + 1 }
            return n
        }
    }

    // MARK: - Dedicated connections

    /// A caller wants a dedicated connection.
    mutating func leaseDedicated() -> Lease {
        if isShutdown { return .fail(shutdownError.markedNotSent()) }
        if let c = idleDedicated.popLast() {
            leasedDedicated[ObjectIdentifier(c)] = c
            return .use(c)
        }
        return .open
    }

    /// A new dedicated connection opened; `false` when the client shut down meanwhile:
    /// close it.
    mutating func openedDedicated(_ connection: Connection) -> Bool {
        guard !isShutdown else { return false }
        leasedDedicated[ObjectIdentifier(connection)] = connection
        return true
    }

    /// A dedicated connection comes back; `true` when the pool keeps it, else close it.
    mutating func returnedDedicated(_ connection: Connection, reusable: Bool) -> Bool {
        leasedDedicated[ObjectIdentifier(connection)] = nil
        guard reusable, !isShutdown, idleDedicated.count < maxIdleDedicated else { return false }
        idleDedicated.append(connection)
        return true
    }

    var idleDedicatedCount: Int { idleDedicated.count }

    /// The open shared connections and the idle dedicated ones: those a new `AUTH` may go to
    /// (a leased one may be inside a transaction).
    var connectionsAtRest: [Connection] {
        var all: [Connection] = []
        for slot in slots { if case .ready(let c) = slot { all.append(c) } }
        return all + idleDedicated
    }

    // MARK: - Relocation

    /// The node moved to another address (a Sentinel announced a new primary): every slot is
    /// reopened by the next command, at once (no backoff), and the pooled dedicated
    /// connections are dropped. Returns the open shared connections and the idle dedicated
    /// ones, to close; leased dedicated connections end with their command.
    mutating func relocated() -> (shared: [Connection], idleDedicated: [Connection]) {
        var shared: [Connection] = []
        for i in slots.indices {
            switch slots[i] {
            case .ready(let c):
                shared.append(c)
                slots[i] = .idle(failures: 0)
            case .backingOff:
                slots[i] = .idle(failures: 0)
            case .idle, .connecting:
                break
            }
        }
        defer { idleDedicated = [] }
        return (shared, idleDedicated)
    }

    // MARK: - Shutdown

    /// Stops everything: the connections to close (shared and dedicated) and the waiters to
    /// fail with `.shutdown`.
    mutating func shutdown() -> (shared: [Connection], dedicated: [Connection], waiters: [Waiter]) {
        isShutdown = true
        var shared: [Connection] = []
        var waiters: [Waiter] = []
        for i in slots.indices {
            switch slots[i] {
            case .ready(let c): shared.append(c)
            case .connecting(let w, let failures):
                waiters += w
                slots[i] = .connecting(waiters: [], failures: failures)
                continue
            case .idle, .backingOff: break
            }
            slots[i] = .idle(failures: 0)
        }
        let dedicated = idleDedicated + leasedDedicated.values
        idleDedicated = []
        leasedDedicated = [:]
        return (shared, dedicated, waiters)
    }

    private var shutdownError: RedisError { .clientShutDown(endpoint: endpoint) }

    /// The slot for the next command: the caller's event loop's, else the next in turn.
    private mutating func pick(_ home: Int?) -> Int {
        if let home, home < slots.count { return home }
        defer { next &+= 1 }
        return next % slots.count
    }
}

/// A step crosses tasks (a parked caller is resumed with it) when its connection can.
extension NodeStateMachine.Step: Sendable where Connection: Sendable {}
