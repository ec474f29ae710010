import Logging
import NIOCore
import NIOPosix
import RESP
import Synchronization

/// A client for a Redis Cluster that behaves like one server.
///
/// It discovers the topology from the seeds (`CLUSTER SHARDS`, majority of several nodes),
/// routes each command by the hash slot of its keys (found from the servers' own command
/// metadata), follows MOVED and ASK, rides out failovers and resharding within a retry budget,
/// splits multi-key commands across slots, fans keyless commands out to every primary, and
/// scans the whole cluster.
///
/// ```swift
/// let cluster = try RedisClusterClient(url: "redis://redis-cluster.redis.svc.cluster.local:6379?cluster=true")
/// try await cluster.mset([(key: "a", value: "1"), (key: "b", value: "2")])   // two slots: split
/// let total = try await cluster.dbsize()                                        // sum over primaries
/// ```
public final class RedisClusterClient: RedisClientProtocol {
    /// The addresses from the URL (host names resolved again whenever every node is lost).
    public let seeds: [RedisEndpoint]
    let options: RedisClusterOptions
    let pool: ClusterNodePool
    let discovery: ClusterDiscovery
    let pubSub: PubSubHub
    let state: Mutex<ClusterStateMachine<RedisNodeClient, RefreshWaiter>>
    private let jitterSeeds = Atomic<UInt64>(UInt64.random(in: .min ... .max))
    /// Told about redirects, retries and topology changes (the provider's telemetry).
    let observer = Mutex(ClusterObserver())
    /// Refreshes asked for by MOVED replies, carried out by ``run()`` (a burst coalesces).
    let refreshRequests: AsyncStream<Void>
    let refreshRequester: AsyncStream<Void>.Continuation
    let running = Atomic<Bool>(false)
    let waiterIDs = Atomic<UInt64>(0)

    /// A caller waiting for the discovery another one runs.
    struct RefreshWaiter {
        let id: UInt64
        let continuation: CheckedContinuation<SlotMap, any Error>
    }

    /// Where the cluster stands as far as this client can tell: discovering, healthy, degraded
    /// (slots without a primary), unavailable (the last discovery reached no node), shut down.
    var phase: ClusterStateMachine<RedisNodeClient, RefreshWaiter>.Phase { state.withLock { $0.phase } }

    /// A client for the cluster the seeds belong to. Nothing connects until the first command.
    public init(
        seeds: [RedisEndpoint],
        configuration: RedisClientConfiguration = .init(),
        options: RedisClusterOptions = .init(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws(RedisError) {
        guard !seeds.isEmpty else { throw RedisError(.invalidConfiguration, "A cluster client needs at least one seed address") }
        if configuration.database != 0 {
            throw RedisError(
                .invalidConfiguration,
                "Redis Cluster has only database 0; remove /\(configuration.database) from the URL")
        }
        self.seeds = seeds
        self.options = options
        self.pool = try ClusterNodePool(configuration: configuration, options: options, eventLoopGroup: eventLoopGroup)
        self.discovery = ClusterDiscovery(pool: pool)
        let pool = self.pool
        // While a node is unreachable, its channels are routed again as often as the topology
        // may be refreshed: a promoted replica takes them over as soon as the map says so.
        self.pubSub = PubSubHub(configuration: configuration, rerouteInterval: options.minimumRefreshInterval, node: { pool.node($0) })
        self.state = Mutex(
            ClusterStateMachine(
                minimumRefreshInterval: options.minimumRefreshInterval, retryPolicy: options.retryPolicy,
                readPolicy: options.readPolicy))
        (refreshRequests, refreshRequester) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        pubSub.route { [weak self] key, refreshTopology async throws(RedisError) -> RedisEndpoint in
            guard let self else { throw RedisError(.shutdown, "The cluster client was shut down") }
            return try await self.subscriptionHome(of: key, refreshTopology: refreshTopology)
        }
    }

    /// A client configured by a URL: its nodes are the seeds, its credentials and options apply.
    public convenience init(
        url: RedisURL, options: RedisClusterOptions = .init(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws(RedisError) {
        try self.init(seeds: url.endpoints, configuration: RedisClientConfiguration(url: url), options: options, eventLoopGroup: eventLoopGroup)
    }

    /// A client configured by the URL text `url`.
    public convenience init(
        url: String, options: RedisClusterOptions = .init(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws(RedisError) {
        try self.init(url: try RedisURL(url), options: options, eventLoopGroup: eventLoopGroup)
    }

    // MARK: - Commands

    nonisolated(nonsending) public func execute(_ command: RESPCommand) async throws(RedisError) -> RESPValue {
        if let use = ConnectionTakeover.of(command) {
            guard use == .blocking else { throw RedisError(.unsupportedCommand, use.refusal!) }
            return try await executeBlocking(command)
        }
        let route = try ClusterRoute(command)
        switch route.target {
        case .slot(let slot):
            return try await send(command, slot: slot, readOnly: route.readOnly, idempotent: route.idempotent)
        case .anyPrimary:
            return try await send(command, slot: nil, readOnly: route.readOnly, idempotent: route.idempotent)
        case .split(let parts):
            return try await executeSplit(route, parts)
        case .fanOut(let allNodes):
            return try await executeFanOut(route, allNodes: allNodes)
        }
    }

    /// Sends `command` to the owner of `slot` (any primary when `nil`), following redirects
    /// and retrying per the retry policy. An error reply that is final is thrown as a `.server`
    /// error naming the node that sent it; with `raw`, it is returned as a value.
    nonisolated(nonsending) func send(
        _ command: RESPCommand, slot: Int?, readOnly: Bool, idempotent: Bool, raw: Bool = false
    ) async throws(RedisError) -> RESPValue {
        // The common case: the slot's node has an open connection and answers with a value.
        // It takes one lock and one await, and makes no retry state.
        guard case .picked(let target?, let policy) = pick(slot: slot, readOnly: readOnly),
            let connection = target.node.readyConnection()
        else {
            return try await send(command, slot: slot, readOnly: readOnly, idempotent: idempotent, after: nil).final(raw: raw)
        }
        let outcome: CommandRetryState.Outcome
        do {
            let value = try await connection.send(command)
            if !value.isError { return value }
            outcome = .reply(value)
        } catch where error.mayRunOnAnotherConnection {
            // The connection closed as the command arrived: try again as if for the first time.
            return try await send(command, slot: slot, readOnly: readOnly, idempotent: idempotent, after: nil).final(raw: raw)
        } catch {
            outcome = .transportError(annotated(error, for: target.endpoint), sent: !error.commandWasNotSent)
        }
        return try await send(
            command, slot: slot, readOnly: readOnly, idempotent: idempotent,
            after: ((outcome, target.endpoint), policy)
        ).final(raw: raw)
    }

    /// What a first attempt that did not simply succeed returned, and where.
    typealias Attempt = (outcome: CommandRetryState.Outcome, endpoint: RedisEndpoint?)

    /// The retrying part of `send`, entered before any attempt or with the outcome of a first
    /// one that did not simply succeed. The retry budget counts from here.
    ///
    /// A `blocking` command goes out on a dedicated connection with the time left of its
    /// own timeout, and its retry budget counts from its first failure, not from the start
    /// of its wait.
    func send(
        _ command: RESPCommand, slot: Int?, readOnly: Bool, idempotent: Bool,
        after first: (attempt: Attempt, policy: ClusterRetryPolicy)?, blocking: BlockingCommand? = nil
    ) async throws(RedisError) -> ClusterReply {
        let startedAt = ContinuousClock.now
        var retryState: CommandRetryState?
        var redirect: (endpoint: RedisEndpoint, asking: Bool)?
        var last = first?.attempt
        while true {
            if let (outcome, endpoint) = last {
                // A reply that is not an error is delivered whatever the retry rules say.
                if case .reply(let value) = outcome, !value.isError { return ClusterReply(value: value, endpoint: endpoint) }
                if case .transportError(_, let sent) = outcome, let endpoint, readOnly, !sent || idempotent,
                    state.withLock({ $0.replicaUnreachable(endpoint) })
                {
                    // A replica serving reads is gone: the read goes to another one (or the
                    // primary) at once.
                    last = nil
                    continue
                }
                var retry =
                    retryState
                    ?? makeRetryState(first?.policy ?? state.withLock { $0.retryPolicy }, blocking == nil ? startedAt : .now, idempotent)
                let action = retry.next(outcome, now: .now, answeredBy: endpoint)
                retryState = retry
                apply(retry.effects)
                switch action {
                case .deliver, .fail: break
                case .redirect(_, let asking): observer.withLock { $0 }.redirected(asking)
                case .retry: observer.withLock { $0 }.retried(ClusterObserver.reason(outcome))
                }
                if case .deliver = action, case .reply(let value) = outcome { return ClusterReply(value: value, endpoint: endpoint) }
                var unreachable: RedisEndpoint?
                if case .transportError = outcome { unreachable = endpoint }
                if case .fail(let error) = try await follow(action, redirect: &redirect, unreachable: unreachable) { throw error }
            }
            let target: (endpoint: RedisEndpoint, node: RedisNodeClient)
            if let r = redirect {
                target = (r.endpoint, pool.node(r.endpoint))
            } else {
                switch pick(slot: slot, readOnly: readOnly) {
                case .shutdown:
                    throw RedisError(.shutdown, "The cluster client was shut down")
                case .noMap:
                    try await refresh(force: true)
                    last = nil
                    continue
                case .picked(nil, _):
                    // No node serves the slot right now: let the policy wait for the cluster.
                    last = (.reply(.error(RESPError(message: "CLUSTERDOWN Hash slot \(slot ?? -1) is not served by any known node"))), nil)
                    continue
                case .picked(let picked?, _):
                    target = picked
                }
            }
            do {
                if let blocking {
                    let remaining = retryState == nil ? nil : blocking.remaining(since: startedAt, now: .now)
                    let reply = try await target.node.send(
                        blocking: blocking.command(remaining: remaining), asking: redirect?.asking == true,
                        replyTimeout: blocking.replyTimeout(remaining: remaining, grace: pool.configuration.commandTimeout))
                    last = (.reply(reply), target.endpoint)
                } else if redirect?.asking == true {
                    let replies = try await target.node.send(pipeline: [RESPCommand("ASKING"), command])
                    last = (.reply(replies[1]), target.endpoint)
                } else {
                    last = (.reply(try await target.node.send(command)), target.endpoint)
                }
            } catch {
                last = (.transportError(annotated(error, for: target.endpoint), sent: !error.commandWasNotSent), target.endpoint)
            }
        }
    }

    private enum Followed { case again, fail(RedisError) }

    /// A command's retry state, counting from its first attempt at `startedAt`.
    private func makeRetryState(
        _ policy: ClusterRetryPolicy, _ startedAt: ContinuousClock.Instant, _ idempotent: Bool
    ) -> CommandRetryState {
        // A distinct jitter seed per command without a random-number system call.
        let seed = jitterSeeds.wrappingAdd(0x9E37_79B9_7F4A_7C15, ordering: .relaxed).newValue
        return CommandRetryState(policy: policy, startedAt: startedAt, isIdempotent: idempotent, jitterSeed: seed)
    }

    /// Performs what the retry policy decided; `.fail` ends the command. A backoff from an
    /// `unreachable` primary ends as soon as one of its replicas says it was promoted.
    private func follow(
        _ action: CommandRetryState.Action, redirect: inout (endpoint: RedisEndpoint, asking: Bool)?,
        unreachable: RedisEndpoint?
    ) async throws(RedisError) -> Followed {
        switch action {
        case .deliver:
            return .fail(RedisError(.protocolViolation, "The retry policy delivered a transport failure"))
        case .redirect(let endpoint, let asking):
            redirect = (endpoint, asking)
            return .again
        case .retry(let delay, let refreshTopology):
            redirect = nil
            // Wait first, then look at the topology: the retry goes where the cluster is now.
            let deadline = ContinuousClock.now + delay
            if let unreachable {
                do throws(RedisError) {
                    if try await waitForPromotion(of: unreachable, until: deadline) == .promoted { return .again }
                } catch {
                    return .fail(error)
                }
            }
            do { try await Task.sleep(until: deadline, clock: .continuous) } catch {
                return .fail(Self.cancelledWhileBackingOff)
            }
            if refreshTopology { _ = try? await refresh(force: false) }
            return .again
        case .fail(let error):
            return .fail(error)
        }
    }

    /// Carries out the side effects of a retry decision: MOVED patches the slot map at once
    /// and asks for a throttled background refresh.
    private func apply(_ effects: [CommandRetryState.Effect]) {
        for effect in effects {
            switch effect {
            case .patchSlot(let slot, let endpoint):
                state.withLock { $0.moved(slot: slot, to: endpoint) }
            case .scheduleRefresh:
                scheduleRefresh()
            }
        }
    }

    /// Adds the address-map hint to failures reaching an announced address that is not mapped.
    private func annotated(_ error: RedisError, for endpoint: RedisEndpoint) -> RedisError {
        guard [.dnsFailure, .connectionRefused, .connectTimeout].contains(error.kind), !options.mapsAddresses,
            !seeds.contains(endpoint)
        else { return error }
        var e = error
        e.message += ". The cluster announces \(endpoint) for this node; if that address is not reachable from here (NAT, Docker, Kubernetes), map it to one that is with RedisClusterOptions.addressMap"
        return e
    }

    // MARK: - Routing

    /// The node a command for `slot` goes to under the read policy (`nil` when no node
    /// serves the slot now).
    nonisolated(nonsending) func target(slot: Int?, readOnly: Bool) async throws(RedisError) -> RedisEndpoint? {
        try await targetNode(slot: slot, readOnly: readOnly)?.endpoint
    }

    /// The node that serves `slot` under the read policy, and its client (discovering the
    /// topology first when there is none); nil when no node serves it now.
    nonisolated(nonsending) func targetNode(slot: Int?, readOnly: Bool) async throws(RedisError) -> (endpoint: RedisEndpoint, node: RedisNodeClient)? {
        while true {
            switch pick(slot: slot, readOnly: readOnly) {
            case .noMap: try await refresh(force: true)
            case .shutdown: throw RedisError(.shutdown, "The cluster client was shut down")
            case .picked(let target, _): return target
            }
        }
    }

    private typealias Pick = ClusterStateMachine<RedisNodeClient, RefreshWaiter>.Pick

    /// One lock for the hot path: the slot's node under the read policy, its client, and the
    /// retry policy.
    private func pick(slot: Int?, readOnly: Bool) -> Pick {
        state.withLock { $0.pick(slot: slot, readOnly: readOnly, makeNode: pool.node) }
    }

    /// The current slot map, discovering the topology first when there is none.
    func slotMap() async throws(RedisError) -> SlotMap {
        if let map = state.withLock({ $0.slotMap }) { return map }
        return try await refresh(force: true)
    }

    /// Installs the telemetry hooks (one observer; a later call replaces it).
    func observe(_ hooks: ClusterObserver) {
        observer.withLock { $0 = hooks }
    }

    /// The nodes the client holds clients for, and their open connections.
    public var connectionCounts: RedisConnectionCounts { pool.connectionCounts }

    /// Ends ``run()`` and closes every connection; replies already on their way are awaited
    /// first.
    /// Authenticates every node's open connections again with fresh credentials from the
    /// configuration's ``RedisClientConfiguration/credentialProvider`` (a rotated secret).
    public func reauthenticate() async throws(RedisError) {
        for node in pool.all { try await node.reauthenticate() }
    }

    public func shutdown() async {
        state.withLock { $0.shutdown() }
        pubSub.shutdown()
        refreshRequester.finish()
        await pool.shutdown()
    }
}

extension RedisClusterClient {
    /// Routes like `execute`, but a final error reply comes back as an `.error` value instead
    /// of being thrown (for tools that print replies, such as `redis-provider call`).
    nonisolated(nonsending) public func send(raw command: RESPCommand) async throws(RedisError) -> RESPValue {
        let route = try ClusterRoute(command)
        if ConnectionTakeover.of(command) == .blocking { return try await send(blocking: command, route).value }
        switch route.target {
        case .slot(let slot):
            return try await send(command, slot: slot, readOnly: route.readOnly, idempotent: route.idempotent, raw: true)
        case .anyPrimary:
            return try await send(command, slot: nil, readOnly: route.readOnly, idempotent: route.idempotent, raw: true)
        case .split, .fanOut:
            do {
                return try await execute(command)
            } catch where error.kind == .server && error.serverError != nil {
                return .error(error.serverError!)
            }
        }
    }
}
