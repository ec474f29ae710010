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
    /// The node's address (for a node found through Sentinels, the latest one found).
    public var endpoint: RedisEndpoint { locator == nil ? initialEndpoint : located.withLock { $0 } }
    private let initialEndpoint: RedisEndpoint
    private let located: Mutex<RedisEndpoint>
    /// Finds the node's address before each connection is opened, when it can move (a
    /// primary watched by Sentinels); `nil` for a node at a fixed address.
    private let locator: (@Sendable () async throws(RedisError) -> RedisEndpoint)?
    let configuration: RedisClientConfiguration
    let eventLoopGroup: any EventLoopGroup
    /// The TLS context for the next connection (rebuilt when the certificate files change).
    var sslContext: NIOSSLContext? { tlsSource?.current }
    let tlsSource: TLSContextSource?
    /// The group's loops; connection *i* lives on `loops[i % loops.count]`.
    private let loops: [any EventLoop]
    private let state: Mutex<NodeStateMachine<RedisConnection, Waiter>>
    private let waiterIDs = Atomic<UInt64>(0)

    /// A caller parked until another one's connect finishes.
    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<RedisConnection, any Error>
    }

    /// A client for the node at `endpoint`. Nothing connects until the first command.
    public convenience init(
        endpoint: RedisEndpoint,
        configuration: RedisClientConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws(RedisError) {
        self.init(
            endpoint: endpoint, locator: nil, configuration: configuration, eventLoopGroup: eventLoopGroup,
            tlsSource: try configuration.tls.map { tls throws(RedisError) in try TLSContextSource(tls) })
    }

    /// A client sharing a TLS context source (a cluster's nodes share one).
    convenience init(
        endpoint: RedisEndpoint, configuration: RedisClientConfiguration, eventLoopGroup: any EventLoopGroup,
        tlsSource: TLSContextSource?
    ) {
        self.init(endpoint: endpoint, locator: nil, configuration: configuration, eventLoopGroup: eventLoopGroup, tlsSource: tlsSource)
    }

    /// A client for a node whose address `locator` finds before each connection is opened
    /// (`initial` until then): a primary or replica watched by Sentinels.
    convenience init(
        locatedBy locator: @escaping @Sendable () async throws(RedisError) -> RedisEndpoint, initial: RedisEndpoint,
        configuration: RedisClientConfiguration, eventLoopGroup: any EventLoopGroup
    ) throws(RedisError) {
        self.init(
            endpoint: initial, locator: locator, configuration: configuration, eventLoopGroup: eventLoopGroup,
            tlsSource: try configuration.tls.map { tls throws(RedisError) in try TLSContextSource(tls) })
    }

    private init(
        endpoint: RedisEndpoint, locator: (@Sendable () async throws(RedisError) -> RedisEndpoint)?,
        configuration: RedisClientConfiguration, eventLoopGroup: any EventLoopGroup, tlsSource: TLSContextSource?
    ) {
        self.initialEndpoint = endpoint
        self.located = Mutex(endpoint)
        self.locator = locator
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.tlsSource = tlsSource
        self.loops = Array(eventLoopGroup.makeIterator())
        self.state = Mutex(NodeStateMachine(endpoint: endpoint.description, configuration: configuration))
    }

    /// Where to open the next connection: the locator's answer, or the fixed address.
    private func target() async throws(RedisError) -> RedisEndpoint {
        guard let locator else { return endpoint }
        let found = try await locator()
        located.withLock { $0 = found }
        return found
    }

    /// The node is now at `endpoint` (a Sentinel announced it): connections to the old
    /// address are closed (shared ones gracefully, letting replies on their way arrive) and
    /// the next commands connect anew.
    func relocate(to endpoint: RedisEndpoint) async {
        located.withLock { $0 = endpoint }
        let (shared, idle) = state.withLock { $0.relocated() }
        for c in idle { await c.close(graceful: false) }
        for c in shared { await c.close(graceful: true) }
    }

    /// Authenticates this node's open connections again with fresh credentials from the
    /// configuration's ``RedisClientConfiguration/credentialProvider`` (nothing without one);
    /// new connections ask the provider anyway. Dedicated connections in use are left alone.
    public func reauthenticate() async throws(RedisError) {
        guard let provider = configuration.credentialProvider else { return }
        for c in state.withLock({ $0.connectionsAtRest }) where c.isActive {
            _ = try await c.reauthenticate(with: provider)
        }
    }

    /// How many of this node's shared connections are open now.
    public var openConnections: Int { state.withLock { $0.readyCount } }

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
    /// when needed. The caller that finds a connection missing opens it; callers arriving
    /// meanwhile wait for it.
    public func connection() async throws(RedisError) -> RedisConnection {
        let home = homeSlot()
        var now = ContinuousClock.now
        var step = state.withLock { $0.connectionRequested(home: home, now: now) }
        while true {
            switch step {
            case .use(let c, let slot):
                if c.isActive { return c }
                state.withLock { $0.connectionClosed(c, slot: slot) }
            case .fail(let e):
                throw e
            case .sleep(let until):
                do { try await Task.sleep(until: until, clock: .continuous) } catch {
                    throw RedisError(.cancelled, "The task was cancelled while waiting to reconnect", endpoint: endpoint.description)
                }
            case .connect(let slot):
                return try await connect(slot: slot)
            case .wait(let slot):
                if let next = try await park(slot: slot) {
                    step = next
                    continue
                }
            }
            now = .now  // read outside the lock
            step = state.withLock { $0.connectionRequested(home: home, now: now) }
        }
    }

    /// Waits for another caller to open slot `slot`; a step instead when the slot changed.
    /// A cancelled caller stops waiting at once.
    private func park(slot: Int) async throws(RedisError) -> NodeStateMachine<RedisConnection, Waiter>.Step? {
        enum AskAgain: Error { case step(NodeStateMachine<RedisConnection, Waiter>.Step) }
        let id = waiterIDs.wrappingAdd(1, ordering: .relaxed).newValue
        let cancelled = RedisError(.cancelled, "The task was cancelled while waiting for a connection", endpoint: endpoint.description)
            .markedNotSent()
        do {
            let c = try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<RedisConnection, any Error>) in
                    // Under the lock, so that the cancellation handler either finds the waiter or
                    // runs before it and is seen here.
                    let step = state.withLock { s -> NodeStateMachine<RedisConnection, Waiter>.Step? in
                        if Task.isCancelled { return .fail(cancelled) }
                        return s.park(Waiter(id: id, continuation: continuation), slot: slot)
                    }
                    if let step { continuation.resume(throwing: AskAgain.step(step)) }
                }
            } onCancel: {
                state.withLock { $0.removeWaiter(slot: slot) { $0.id == id } }?.continuation.resume(throwing: cancelled)
            }
            return .use(c, slot: slot)
        } catch AskAgain.step(let step) {
            return step
        } catch {
            throw error as? RedisError ?? RedisError(.connectionRefused, "\(error)", endpoint: endpoint.description)
        }
    }

    /// Opens slot `slot`'s connection and hands it to the callers waiting for it.
    private func connect(slot: Int) async throws(RedisError) -> RedisConnection {
        let c: RedisConnection
        do {
            c = try await RedisConnection.connect(
                to: try await target(), configuration: configuration, eventLoopGroup: loops[slot % loops.count], sslContext: sslContext)
        } catch {
            var generator = SystemRandomNumberGenerator()
            let now = ContinuousClock.now
            let waiters = state.withLock { $0.connectFailed(slot: slot, error, now: now, using: &generator) }
            for waiter in waiters { waiter.continuation.resume(throwing: error) }
            throw error
        }
        guard let waiters = state.withLock({ $0.connected(c, slot: slot) }) else {
            await c.close(graceful: false)
            throw RedisError.clientShutDown(endpoint: endpoint.description)
        }
        c.closeFuture.whenComplete { [weak self] _ in self?.state.withLock { $0.connectionClosed(c, slot: slot) } }
        for waiter in waiters { waiter.continuation.resume(returning: c) }
        return c
    }

    /// The connection a command takes now when it is open (the common case), without the
    /// suspension point of `connection()`; `nil` when one must be opened or awaited.
    func readyConnection() -> RedisConnection? {
        let home = homeSlot()
        guard let c = state.withLock({ $0.readyConnection(home: home) }), c.isActive else { return nil }
        return c
    }

    /// The connection that lives on the event loop the caller runs on, if any (only looked
    /// for when there are several connections).
    private func homeSlot() -> Int? {
        guard configuration.connectionsPerNode > 1, loops.count > 1, let current = MultiThreadedEventLoopGroup.currentEventLoop,
            let i = loops.firstIndex(where: { $0 === current }), i < configuration.connectionsPerNode
        else { return nil }
        return i
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
        while true {
            switch state.withLock({ $0.leaseDedicated() }) {
            case .fail(let error):
                throw error
            case .use(let idle):
                if idle.isActive { return idle }
                await giveBack(idle, reusable: false)
            case .open:
                let c: RedisConnection
                do {
                    c = try await RedisConnection.connect(
                        to: try await target(), configuration: configuration, eventLoopGroup: eventLoopGroup, sslContext: sslContext)
                } catch {
                    throw error.markedNotSent()
                }
                guard state.withLock({ $0.openedDedicated(c) }) else {
                    await c.close(graceful: false)
                    throw RedisError.clientShutDown(endpoint: endpoint.description).markedNotSent()
                }
                return c
            }
        }
    }

    /// Returns a dedicated connection to the pool when it is in good order and there is room,
    /// else closes it (closing also ends a command the server is still blocking on).
    private func giveBack(_ connection: RedisConnection, reusable: Bool) async {
        let inGoodOrder = reusable ? await connection.isReusable() : false
        if !state.withLock({ $0.returnedDedicated(connection, reusable: inGoodOrder) }) { await connection.close(graceful: false) }
    }

    /// How many dedicated connections wait in the pool.
    var idleDedicatedConnections: Int { state.withLock { $0.idleDedicatedCount } }

    /// Stops accepting commands; with `graceful`, replies already on their way are awaited.
    public func shutdown(graceful: Bool = true) async {
        let (shared, dedicated, waiters) = state.withLock { $0.shutdown() }
        let error = RedisError.clientShutDown(endpoint: endpoint.description)
        for waiter in waiters { waiter.continuation.resume(throwing: error) }
        // Dedicated connections close at once: a command blocking on one would hold
        // shutdown for as long as its timeout, or for ever.
        for c in dedicated { await c.close(graceful: false) }
        for c in shared { await c.close(graceful: graceful) }
    }
}
