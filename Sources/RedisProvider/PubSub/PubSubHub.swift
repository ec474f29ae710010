import Logging
import NIOCore
import RESP
import Synchronization

/// The subscriptions of one client: the I/O around ``PubSubStateMachine``.
///
/// Every subscriber of a channel shares one server subscription, on a connection of its
/// own per node (never the auto-pipelined command connection). The consumers' tasks do the
/// work the machine asks for — route a channel to its node, open a connection, back off — so
/// the hub runs no task of its own; messages arrive on the connection's event loop and go
/// straight into each subscriber's bounded ``SubscriptionSink``.
final class PubSubHub: Sendable {
    /// Finds the node for a channel; `refreshTopology` asks a cluster to re-read its slot map
    /// first (after a slot moved or a node failed).
    typealias Route = @Sendable (PubSubStateMachine<RedisConnection>.Key, _ refreshTopology: Bool) async throws(RedisError) -> RedisEndpoint
    /// The client of a node, for its connection settings.
    typealias NodeLookup = @Sendable (RedisEndpoint) -> RedisNodeClient

    private struct State {
        var machine: PubSubStateMachine<RedisConnection>
        var sinks: [UInt64: SubscriptionSink] = [:]
    }

    private let state: Mutex<State>
    /// Set once, right after the owning client is made (a cluster routes through itself).
    private let router: Mutex<Route?>
    private let node: NodeLookup
    private let ids = Atomic<UInt64>(0)
    let bufferCapacity: Int
    let instruments: PubSubInstruments

    init(
        configuration: RedisClientConfiguration, instruments: PubSubInstruments = .init(), rerouteInterval: Duration? = nil,
        node: @escaping NodeLookup, route: Route? = nil
    ) {
        let backoff = ReconnectBackoff(base: configuration.reconnectBaseDelay, cap: configuration.reconnectMaxDelay)
        self.state = Mutex(State(machine: PubSubStateMachine(backoff: backoff, rerouteInterval: rerouteInterval)))
        self.router = Mutex(route)
        self.node = node
        self.bufferCapacity = configuration.subscriptionBufferSize
        self.instruments = instruments
    }

    /// Sets how channels find their node (for a client that cannot give it at `init`).
    func route(by route: @escaping Route) {
        router.withLock { $0 = route }
    }

    private func route(_ key: PubSubStateMachine<RedisConnection>.Key, refresh: Bool) async throws(RedisError) -> RedisEndpoint {
        guard let route = router.withLock({ $0 }) else { throw RedisError(.invalidConfiguration, "Subscriptions are not set up on this client") }
        return try await route(key, refresh)
    }

    // MARK: - Subscribers

    /// Registers a subscriber for `keys`; its messages go to the returned sink.
    func subscribe(_ keys: [PubSubStateMachine<RedisConnection>.Key]) -> (id: UInt64, sink: SubscriptionSink) {
        let id = ids.wrappingAdd(1, ordering: .relaxed).newValue
        let sink = SubscriptionSink(capacity: bufferCapacity)
        let shutDown = state.withLock { s -> Bool in
            guard !s.machine.isShutdown else { return true }
            s.machine.subscribe(id, keys)
            s.sinks[id] = sink
            return false
        }
        if shutDown { sink.fail(RedisError(.shutdown, "The client was shut down")) }
        instruments.subscribed()
        return (id, sink)
    }

    /// Forgets subscriber `id`; channels nobody else wants are unsubscribed on the server.
    func unsubscribe(_ id: UInt64) {
        let (writes, close, existed) = state.withLock { s in
            let existed = s.sinks.removeValue(forKey: id) != nil
            let (writes, close) = s.machine.unsubscribe(id)
            return (writes, close, existed)
        }
        guard existed else { return }
        instruments.unsubscribed()
        for write in writes { write.connection.write(unanswered: write.commands) }
        for connection in close { connection.closeNow() }
    }

    /// Whether every channel of subscriber `id` is confirmed by its node.
    func isActive(_ id: UInt64) -> Bool {
        state.withLock { $0.machine.isActive(id) }
    }

    // MARK: - Repair (run by consumers)

    /// Brings wanted channels to open connections as far as this caller can now: routes,
    /// connects and backs off as the machine says, returning when nothing is left to do or
    /// another consumer is doing it. Throws when the task is cancelled.
    func repair() async throws(RedisError) {
        while true {
            let now = ContinuousClock.now
            let step = state.withLock { $0.machine.nextRepair(now: now) }
            switch step {
            case .done, .wait:
                return
            case .sleep(let until):
                do { try await Task.sleep(until: until, clock: .continuous) } catch {
                    throw RedisError(.cancelled, "The task was cancelled while its subscription waited to reconnect")
                }
            case .route(let key, let refresh):
                do {
                    let endpoint = try await route(key, refresh: refresh)
                    let write = state.withLock { $0.machine.homed(key, on: endpoint) }
                    if let write { write.connection.write(unanswered: write.commands) }
                } catch {
                    var generator = SystemRandomNumberGenerator()
                    let now = ContinuousClock.now
                    state.withLock { $0.machine.routeFailed(now: now, using: &generator) }
                    wakeAll()
                    if error.kind == .cancelled { throw error }
                }
            case .connect(let endpoint):
                await connect(endpoint)
            }
        }
    }

    private func connect(_ endpoint: RedisEndpoint) async {
        let node = node(endpoint)
        let connection: RedisConnection
        do {
            connection = try await RedisConnection.connect(
                to: endpoint, configuration: node.configuration, eventLoopGroup: node.eventLoopGroup, sslContext: node.sslContext,
                isSubscriber: true
            ) { [weak self] value in self?.received(value, from: endpoint) }
        } catch {
            failedToConnect(endpoint, error)
            return
        }
        let write = state.withLock { $0.machine.connected(connection, to: endpoint) }
        guard let write else {
            connection.closeNow()
            wakeAll()
            return
        }
        connection.closeFuture.whenComplete { [weak self] _ in self?.disconnected(connection, from: endpoint) }
        write.connection.write(unanswered: write.commands)
        wakeAll()
    }

    private func failedToConnect(_ endpoint: RedisEndpoint, _ error: RedisError) {
        var generator = SystemRandomNumberGenerator()
        let now = ContinuousClock.now
        state.withLock { $0.machine.connectFailed(to: endpoint, now: now, using: &generator) }
        instruments.logger.debug(
            "Redis subscription connection failed; retrying with backoff",
            metadata: ["redis.node": "\(endpoint)", "redis.error.kind": "\(error.kind)"])
        if [.authentication, .tls, .invalidConfiguration].contains(error.kind) {
            // Retrying cannot help: tell the consumers.
            let sinks = state.withLock { Array($0.sinks.values) }
            for sink in sinks { sink.fail(error) }
        }
        wakeAll()
    }

    // MARK: - Events from connections (on their event loops)

    private func received(_ value: RESPValue, from endpoint: RedisEndpoint) {
        let event = PubSubEvent(value)
        let (outcome, sinks) = state.withLock { s -> (PubSubStateMachine<RedisConnection>.Received, [SubscriptionSink]) in
            let outcome = s.machine.received(event, from: endpoint)
            switch outcome {
            case .none: return (outcome, [])
            case .deliver(_, let ids), .wake(let ids, _), .fail(let ids, _): return (outcome, ids.compactMap { s.sinks[$0] })
            }
        }
        switch outcome {
        case .none:
            break
        case .deliver(let message, _):
            instruments.received()
            for sink in sinks where sink.deliver(message) { instruments.dropped() }
        case .wake(_, let gap):
            if gap {
                instruments.logger.info(
                    "Redis subscription moved: the server ended it (its slot moved); subscribing again on the new owner",
                    metadata: ["redis.node": "\(endpoint)"])
            }
            for sink in sinks { if gap { sink.markGap() } else { sink.wake() } }
        case .fail(_, let error):
            for sink in sinks { sink.fail(RedisError.server(error, endpoint: endpoint.description)) }
        }
    }

    private func disconnected(_ connection: RedisConnection, from endpoint: RedisEndpoint) {
        let sinks = state.withLock { s in s.machine.disconnected(connection, from: endpoint).compactMap { s.sinks[$0] } }
        guard !sinks.isEmpty else { return }
        instruments.resubscribing()
        instruments.logger.info(
            "Redis subscription connection lost; resubscribing (messages published meanwhile are lost)",
            metadata: ["redis.node": "\(endpoint)", "redis.subscribers": "\(sinks.count)"])
        for sink in sinks { sink.markGap() }
    }

    private func wakeAll() {
        for sink in state.withLock({ Array($0.sinks.values) }) { sink.wake() }
    }

    /// Closes every subscription connection; consumers' sequences end.
    func shutdown() {
        let (connections, sinks) = state.withLock { s in
            let sinks = Array(s.sinks.values)
            s.sinks.removeAll()
            return (s.machine.shutdown(), sinks)
        }
        for connection in connections { connection.closeNow() }
        for sink in sinks { sink.fail(RedisError(.shutdown, "The client was shut down")) }
    }
}
