import Logging
import NIOCore
import NIOPosix
import NIOSSL
import RESP
import Synchronization

/// All traffic to one node: a few multiplexed connections (one by default) opened on first
/// use, reopened after a loss with jittered backoff, and shared by every caller.
///
/// Connection *i* lives on event loop *i* mod the group's size. A caller already running on
/// one of those loops (tasks with an event-loop executor preference, or every task once NIO
/// is Swift Concurrency's global executor) uses that loop's connection, so its command and
/// reply never change threads; other callers take the connections round-robin. With
/// `connectionsPerNode` equal to the number of event loops, every loop has its own.
///
/// Commands that would block or take over a connection (BLPOP, SUBSCRIBE, MULTI …) go through
/// `withDedicatedConnection`.
public final class RedisNodeClient: Sendable {
    /// The node's address.
    public let endpoint: RedisEndpoint
    let configuration: RedisClientConfiguration
    let eventLoopGroup: any EventLoopGroup
    let sslContext: NIOSSLContext?
    /// The group's loops; connection *i* lives on `loops[i % loops.count]`.
    private let loops: [any EventLoop]
    private let backoff: ReconnectBackoff
    private let state: Mutex<State>

    private enum Slot {
        case idle(failures: Int)
        case connecting(Task<RedisConnection, any Error>, failures: Int)
        case ready(RedisConnection)
        case backingOff(RedisError, until: ContinuousClock.Instant, failures: Int)
    }

    private struct State {
        var slots: [Slot]
        var next = 0
        var shutdown = false
        /// Dedicated connections returned in good order, newest last.
        var idleDedicated: [RedisConnection] = []
        /// Dedicated connections in use, closed by shutdown so that nobody waits on them for ever.
        var leasedDedicated: [ObjectIdentifier: RedisConnection] = [:]
    }

    private enum Step {
        case use(RedisConnection)
        case wait(Task<RedisConnection, any Error>)
        case sleep(until: ContinuousClock.Instant)
        case fail(RedisError)
    }

    /// A client for the node at `endpoint`. Nothing connects until the first command.
    public init(
        endpoint: RedisEndpoint,
        configuration: RedisClientConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws(RedisError) {
        self.endpoint = endpoint
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.sslContext = try configuration.tls?.makeContext()
        self.loops = Array(eventLoopGroup.makeIterator())
        self.backoff = ReconnectBackoff(base: configuration.reconnectBaseDelay, cap: configuration.reconnectMaxDelay)
        self.state = Mutex(State(slots: Array(repeating: .idle(failures: 0), count: max(1, configuration.connectionsPerNode))))
    }

    /// A client sharing an already built TLS context (a cluster's nodes share one).
    init(
        endpoint: RedisEndpoint, configuration: RedisClientConfiguration, eventLoopGroup: any EventLoopGroup,
        sslContext: NIOSSLContext?
    ) {
        self.endpoint = endpoint
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.sslContext = sslContext
        self.loops = Array(eventLoopGroup.makeIterator())
        self.backoff = ReconnectBackoff(base: configuration.reconnectBaseDelay, cap: configuration.reconnectMaxDelay)
        self.state = Mutex(State(slots: Array(repeating: .idle(failures: 0), count: max(1, configuration.connectionsPerNode))))
    }

    /// How many of this node's shared connections are open now.
    public var openConnections: Int {
        state.withLock { s in
            s.slots.reduce(0) { n, slot in
                if case .ready(let c) = slot, c.isActive { return n + 1 }
                return n
            }
        }
    }

    /// Sends a command on a shared connection; error replies come back as `.error` values.
    nonisolated(nonsending) public func send(_ command: RESPCommand) async throws(RedisError) -> RESPValue {
        if let c = readyConnection() {
            do { return try await c.send(command) } catch where !error.mayRunOnAnotherConnection { throw error }
        }
        return try await connectionForRetry().send(command)
    }

    /// Sends commands back to back on one shared connection; replies in order.
    nonisolated(nonsending) public func send(pipeline commands: [RESPCommand]) async throws(RedisError) -> [RESPValue] {
        if let c = readyConnection() {
            do { return try await c.send(pipeline: commands) } catch where !error.mayRunOnAnotherConnection { throw error }
        }
        return try await connectionForRetry().send(pipeline: commands)
    }

    /// The connection for an attempt that found none open (or found it closing): one is
    /// opened or awaited. Failing to get one means the command was not sent.
    private func connectionForRetry() async throws(RedisError) -> RedisConnection {
        do { return try await connection() } catch { throw error.markedNotSent() }
    }

    /// A connection of this node's shared set, connecting (or waiting for a reconnect) first
    /// when needed.
    public func connection() async throws(RedisError) -> RedisConnection {
        let home = homeSlot()
        while true {
            let step: Step = state.withLock { s in
                if s.shutdown { return .fail(RedisError(.shutdown, "The client was shut down", endpoint: endpoint.description)) }
                let i = Self.pick(&s, home: home)
                switch s.slots[i] {
                case .ready(let c) where c.isActive:
                    return .use(c)
                case .ready:
                    return .wait(startConnecting(&s, slot: i, failures: 0))
                case .connecting(let task, _):
                    return .wait(task)
                case .idle(let failures):
                    return .wait(startConnecting(&s, slot: i, failures: failures))
                case .backingOff(let error, let until, let failures):
                    let now = ContinuousClock.now
                    if until <= now { return .wait(startConnecting(&s, slot: i, failures: failures)) }
                    // Wait for the next attempt when it comes before this command would time out.
                    if !configuration.waitsForReconnect || configuration.commandTimeout.map({ now + $0 < until }) == true {
                        var e = error
                        e.message += " (reconnecting in \(Int((until - now).nanoseconds / 1_000_000)) ms)"
                        return .fail(e)
                    }
                    return .sleep(until: until)
                }
            }
            switch step {
            case .use(let c):
                return c
            case .fail(let e):
                throw e
            case .sleep(let until):
                do { try await Task.sleep(until: until, clock: .continuous) } catch {
                    throw RedisError(.cancelled, "The task was cancelled while waiting to reconnect", endpoint: endpoint.description)
                }
            case .wait(let task):
                return try await task.redisValue(.connectionRefused, endpoint: endpoint.description)
            }
        }
    }

    /// The connection a command takes now when it is open (the common case), without the
    /// suspension point of `connection()`; `nil` when one must be opened or awaited.
    func readyConnection() -> RedisConnection? {
        let home = homeSlot()
        return state.withLock { s in
            guard !s.shutdown else { return nil }
            let i = Self.pick(&s, home: home)
            if case .ready(let c) = s.slots[i], c.isActive { return c }
            return nil
        }
    }

    /// The connection slot for the next command: the caller's event loop's, else the next in turn.
    private static func pick(_ s: inout State, home: Int?) -> Int {
        if let home { return home }
        defer { s.next &+= 1 }
        return s.next % s.slots.count
    }

    /// The connection that lives on the event loop the caller runs on, if any (only looked
    /// for when there are several connections).
    private func homeSlot() -> Int? {
        guard configuration.connectionsPerNode > 1, loops.count > 1, let current = MultiThreadedEventLoopGroup.currentEventLoop,
            let i = loops.firstIndex(where: { $0 === current }), i < configuration.connectionsPerNode
        else { return nil }
        return i
    }

    private func startConnecting(_ s: inout State, slot: Int, failures: Int) -> Task<RedisConnection, any Error> {
        let task = Task { () async throws -> RedisConnection in
            do {
                let c = try await RedisConnection.connect(
                    to: endpoint, configuration: configuration, eventLoopGroup: loops[slot % loops.count], sslContext: sslContext)
                let stillWanted = state.withLock { s in
                    guard !s.shutdown else { return false }
                    s.slots[slot] = .ready(c)
                    return true
                }
                if !stillWanted { await c.close(graceful: false) }
                c.closeFuture.whenComplete { [weak self] _ in self?.connectionClosed(c, slot: slot) }
                return c
            } catch {
                let error = error as? RedisError ?? RedisError(.connectionRefused, "\(error)", endpoint: endpoint.description)
                let until = ContinuousClock.now + backoff.delay(attempt: failures + 1)
                state.withLock { s in
                    if case .connecting = s.slots[slot] {
                        s.slots[slot] = .backingOff(error, until: until, failures: failures + 1)
                    }
                }
                throw error
            }
        }
        s.slots[slot] = .connecting(task, failures: failures)
        return task
    }

    private func connectionClosed(_ connection: RedisConnection, slot: Int) {
        state.withLock { s in
            if case .ready(let c) = s.slots[slot], c === connection { s.slots[slot] = .idle(failures: 0) }
        }
    }

    /// Runs `body` on a connection of its own: for blocking commands, transactions
    /// (WATCH/MULTI/EXEC) and anything that changes connection state. The connection comes
    /// from the node's pool of dedicated connections (or is opened) and goes back to it when
    /// `body` returns with nothing awaiting a reply; when `body` throws, or its result says
    /// the connection's state changed (`reusable` false), the connection is closed.
    func onDedicatedConnection<T: Sendable>(
        _ body: (RedisConnection) async throws -> (result: T, reusable: Bool)
    ) async throws -> T {
        let c = try await leaseDedicated()
        do {
            let (result, reusable) = try await body(c)
            await giveBack(c, reusable: reusable)
            return result
        } catch {
            await giveBack(c, reusable: false)
            throw error
        }
    }

    /// Runs `body` on a dedicated connection from the node's pool, returned to it afterwards.
    /// `body` must leave the connection as it found it (no MULTI or WATCH left open, no
    /// SELECT) for it to be reused; when it throws, the connection is closed.
    public func withDedicatedConnection<T: Sendable>(
        _ body: (RedisConnection) async throws -> T
    ) async throws -> T {
        try await onDedicatedConnection { c in (try await body(c), true) }
    }

    /// Sends a blocking command on a dedicated connection (with `ASKING` first when
    /// `asking`), waiting for its reply up to `replyTimeout`; error replies come back as values.
    func send(blocking command: RESPCommand, asking: Bool, replyTimeout: Duration?) async throws(RedisError) -> RESPValue {
        let c = try await leaseDedicated()
        do {
            let reply: RESPValue
            if asking {
                _ = try await c.send(RESPCommand("ASKING"))
            }
            reply = try await c.send(command, replyTimeout: replyTimeout)
            await giveBack(c, reusable: true)
            return reply
        } catch {
            await giveBack(c, reusable: false)
            throw error
        }
    }

    /// An open dedicated connection: an idle one from the pool, else a new one. Failing to
    /// get one means nothing was sent.
    private func leaseDedicated() async throws(RedisError) -> RedisConnection {
        while let idle = state.withLock({ s in s.idleDedicated.popLast().map { c in s.leasedDedicated[ObjectIdentifier(c)] = c; return c } }) {
            if idle.isActive { return idle }
            await giveBack(idle, reusable: false)
        }
        let shutdown = RedisError(.shutdown, "The client was shut down", endpoint: endpoint.description).markedNotSent()
        if state.withLock({ $0.shutdown }) { throw shutdown }
        let c: RedisConnection
        do {
            c = try await RedisConnection.connect(
                to: endpoint, configuration: configuration, eventLoopGroup: eventLoopGroup, sslContext: sslContext)
        } catch {
            throw error.markedNotSent()
        }
        let leased = state.withLock { s in
            guard !s.shutdown else { return false }
            s.leasedDedicated[ObjectIdentifier(c)] = c
            return true
        }
        if !leased {
            await c.close(graceful: false)
            throw shutdown
        }
        return c
    }

    /// Returns a dedicated connection to the pool when it is in good order and there is room,
    /// else closes it (closing also ends a command the server is still blocking on).
    private func giveBack(_ connection: RedisConnection, reusable: Bool) async {
        let inGoodOrder = reusable ? await connection.isReusable() : false
        let kept = state.withLock { s in
            s.leasedDedicated[ObjectIdentifier(connection)] = nil
            guard inGoodOrder, !s.shutdown, s.idleDedicated.count < configuration.maxIdleDedicatedConnections else { return false }
            s.idleDedicated.append(connection)
            return true
        }
        if !kept { await connection.close(graceful: false) }
    }

    /// How many dedicated connections wait in the pool.
    var idleDedicatedConnections: Int { state.withLock { $0.idleDedicated.count } }

    /// Stops accepting commands; with `graceful`, replies already on their way are awaited.
    public func shutdown(graceful: Bool = true) async {
        let (slots, dedicated) = state.withLock { s in
            s.shutdown = true
            defer { s.idleDedicated = []; s.leasedDedicated = [:] }
            return (s.slots, s.idleDedicated + s.leasedDedicated.values)
        }
        // Dedicated connections close at once: a command blocking on one would hold
        // shutdown for as long as its timeout, or for ever.
        for c in dedicated { await c.close(graceful: false) }
        for slot in slots {
            switch slot {
            case .ready(let c): await c.close(graceful: graceful)
            case .connecting(let task, _):
                task.cancel()
                if let c = try? await task.value { await c.close(graceful: graceful) }
            case .idle, .backingOff: break
            }
        }
    }
}
