import NIOCore
import RESP

extension RedisClusterClient {
    /// Discovers the topology again. Concurrent callers share one discovery, run by the first
    /// of them; without `force`, a refresh within `minimumRefreshInterval` of the last one is
    /// skipped.
    @discardableResult
    public func refresh(force: Bool = true) async throws(RedisError) -> SlotMap {
        while true {
            let now = ContinuousClock.now
            switch state.withLock({ $0.refreshRequested(force: force, now: now) }) {
            case .shutdown:
                throw RedisError(.shutdown, "The cluster client was shut down")
            case .use(let map):
                return map
            case .discover:
                return try await discoverAndTell()
            case .wait:
                if let map = try await waitForRefresh() { return map }
            }
        }
    }

    /// Runs one discovery and gives its outcome to the callers that waited for it. A caller
    /// cancelled meanwhile ends the discovery; its waiters then ask again.
    private func discoverAndTell() async throws(RedisError) -> SlotMap {
        let map: SlotMap
        do {
            map = try await discover()
        } catch {
            let cancelled = error.kind == .cancelled || Task.isCancelled
            let now = ContinuousClock.now
            let waiters = state.withLock { $0.discoveryFailed(now: now, cancelled: cancelled || error.kind == .shutdown) }
            for waiter in waiters { waiter.continuation.resume(throwing: cancelled ? AskAgain() : error) }
            if error.kind != .shutdown { observer.withLock { $0 }.refreshFailed(error) }
            throw error
        }
        let now = ContinuousClock.now
        let (previous, waiters) = state.withLock { $0.discovered(map, now: now) }
        await pool.retain(only: map.endpoints, keeping: Set(seeds))
        observer.withLock { $0 }.topologyChanged(previous, map)
        for waiter in waiters { waiter.continuation.resume(returning: map) }
        return map
    }

    /// What a parked caller is woken with when it should ask again instead of taking a map.
    struct AskAgain: Error {}

    /// Waits for the discovery another caller runs; `nil` when it ended without an answer for
    /// this caller (it finished meanwhile, or its caller was cancelled): ask again. A
    /// cancelled caller stops waiting at once.
    private func waitForRefresh() async throws(RedisError) -> SlotMap? {
        try await parkWaiter(
            cancelled: RedisError(.cancelled, "The task was cancelled while waiting for the cluster topology"),
            park: { s, waiter in s.park(waiter) },
            remove: { s, id in s.removeWaiter { $0.id == id } })
    }

    /// Parks the caller in the state machine (`park`; `false`: nothing to wait for) until it is
    /// woken: with a map, with ``AskAgain`` (`nil`: ask again) or with an error. A cancelled
    /// caller is taken out (`remove`) and gets `cancelled` at once. The one way every caller
    /// of the cluster client waits for another.
    func parkWaiter(
        cancelled: RedisError,
        park: (inout ClusterStateMachine<RedisNodeClient, RefreshWaiter>, RefreshWaiter) -> Bool,
        remove: @escaping @Sendable (inout ClusterStateMachine<RedisNodeClient, RefreshWaiter>, UInt64) -> RefreshWaiter?
    ) async throws(RedisError) -> SlotMap? {
        let id = waiterIDs.wrappingAdd(1, ordering: .relaxed).newValue
        do {
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<SlotMap, any Error>) in
                    let parked = state.withLock { s -> Bool? in
                        if Task.isCancelled { return nil }
                        return park(&s, RefreshWaiter(id: id, continuation: continuation))
                    }
                    switch parked {
                    case true?: break
                    case false?: continuation.resume(throwing: AskAgain())
                    case nil: continuation.resume(throwing: cancelled)
                    }
                }
            } onCancel: {
                state.withLock { remove(&$0, id) }?.continuation.resume(throwing: cancelled)
            }
        } catch is AskAgain {
            return nil
        } catch {
            throw error as? RedisError ?? RedisError(.connectionRefused, "\(error)")
        }
    }

    /// One discovery: ask known nodes (or the seeds, resolved again when every known node is
    /// lost), take the majority view and connect to its primaries; the caller publishes it.
    private func discover() async throws(RedisError) -> SlotMap {
        let known = state.withLock { $0.slotMap.map { Array($0.endpoints) } } ?? []
        var view: ClusterTopology
        do {
            guard !known.isEmpty else { throw RedisError(.connectionRefused, "no known nodes") }
            view = try await discovery.majorityView(of: known.shuffled(), quorum: options.topologyQuorum)
        } catch let error as RedisError where error.kind == .invalidConfiguration {
            throw error
        } catch {
            let resolved = await SeedResolver.resolve(seeds)
            do throws(RedisError) {
                view = try await discovery.majorityView(of: resolved, quorum: options.topologyQuorum)
            } catch {
                var e = error
                e.message = "Cannot reach any node of the cluster (seeds: \(seeds.map(\.description).joined(separator: ", "))): \(error.message)"
                throw e
            }
        }
        if state.withLock({ $0.wantsRetryPolicySized }),
            let primary = view.primaries.first, let timeout = await discovery.nodeTimeout(from: primary.endpoint)
        {
            state.withLock { $0.nodeTimeoutFound(timeout) }
        }
        let map = SlotMap(view)
        // Make before break: connections to the primaries open before the map is published.
        await withTaskGroup(of: Void.self) { group in
            for endpoint in map.primaries {
                group.addTask { _ = try? await self.pool.node(endpoint).connection() }
            }
        }
        if options.readPolicy == .lowestLatency { await measureLatencies(map) }
        return map
    }

    private func measureLatencies(_ map: SlotMap) async {
        var measured: [RedisEndpoint: Duration] = [:]
        for endpoint in map.endpoints {
            let start = ContinuousClock.now
            if (try? await pool.node(endpoint).send(RESPCommand("PING"))) != nil { measured[endpoint] = .now - start }
        }
        state.withLock { $0.measured(measured) }
    }

    /// Asks ``run()`` for a refresh (throttled) after a MOVED.
    func scheduleRefresh() {
        refreshRequester.yield()
    }

    /// Runs the client's background work until the task is cancelled or the client shut down:
    /// the periodic topology refresh (`refreshInterval`) and the refreshes that MOVED replies
    /// ask for. Commands work without it, and a command that needs the topology refreshes it
    /// itself; without it, the map is only refreshed when a command needs it. Call it once
    /// (``RedisProvider/run()`` does).
    public func run() async {
        guard running.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
        defer { running.store(false, ordering: .relaxed) }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in self.refreshRequests { _ = try? await self.refresh(force: false) }
            }
            if let interval = options.refreshInterval {
                group.addTask {
                    while true {
                        do { try await Task.sleep(for: interval) } catch { return }
                        if self.state.withLock({ $0.slotMap }) != nil { _ = try? await self.refresh(force: true) }
                    }
                }
            }
            // The requests end at shutdown (or cancellation): stop the periodic refresh too.
            _ = await group.next()
            group.cancelAll()
        }
    }
}
