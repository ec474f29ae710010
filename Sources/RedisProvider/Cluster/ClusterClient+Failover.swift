import RESP

extension RedisClusterClient {
    /// How a command's wait for an unreachable primary ended.
    enum PromotionWait {
        /// A replica took over: route again now, without waiting for a refresh.
        case promoted
        /// Nothing yet when the backoff ended.
        case notYet
        /// The node is not a primary with replicas in the map: back off as usual.
        case unwatched
    }

    /// The longest one look at a shard's replicas may take.
    static var probeTimeout: Duration { .milliseconds(100) }

    /// Backs off until `deadline` from `primary`, which could not be reached, while the
    /// shard's replicas are asked (by one command at a time, every 10 ms) whether one was
    /// promoted; returns as soon as one was. The other shards are not touched.
    func waitForPromotion(of primary: RedisEndpoint, until deadline: ContinuousClock.Instant) async throws(RedisError) -> PromotionWait {
        var watched = false
        while true {
            let now = ContinuousClock.now
            if watched, now >= deadline { return .notYet }
            switch state.withLock({ $0.unreachable(primary: primary, now: now) }) {
            case .promoted:
                return .promoted
            case .unwatched:
                return .unwatched
            case .probe(let replicas, let at):
                watched = true
                let found = await probe(replicas, at: at)
                let waiters = state.withLock { $0.probed(primary, found: found, now: .now) }
                for waiter in waiters { waiter.continuation.resume(throwing: AskAgain()) }
                if Task.isCancelled { throw Self.cancelledWhileBackingOff }
                if let found {
                    observer.withLock { $0 }.promotionFound(primary, found)
                    scheduleRefresh()
                    return .promoted
                }
            case .wait:
                watched = true
                try await parkUntilProbed(primary)
            }
        }
    }

    static var cancelledWhileBackingOff: RedisError {
        RedisError(.cancelled, "The task was cancelled while the command waited to be retried")
    }

    /// The first of `replicas` whose `ROLE` says it is a primary now, asked at `at`.
    private func probe(_ replicas: [RedisEndpoint], at: ContinuousClock.Instant) async -> RedisEndpoint? {
        do { try await Task.sleep(until: at, clock: .continuous) } catch { return nil }
        let pool = self.pool
        let found = await firstResult(before: .now + Self.probeTimeout) { () async -> RedisEndpoint? in
            await withTaskGroup(of: RedisEndpoint?.self) { group in
                for replica in replicas {
                    group.addTask {
                        let role = try? await pool.node(replica).send(RESPCommand("ROLE"))
                        return role.map(Self.saysPrimary) == true ? replica : nil
                    }
                }
                for await case let found? in group {
                    group.cancelAll()
                    return found
                }
                return nil
            }
        }
        return found ?? nil
    }

    /// Whether a `ROLE` reply comes from a primary (`master` on Redis and Valkey).
    static func saysPrimary(_ role: RESPValue) -> Bool {
        guard let first = role.elements?.first?.string?.lowercased() else { return false }
        return first == "master" || first == "primary"
    }

    /// Waits for the coming probe of `primary`'s replicas to end; a cancelled caller stops
    /// waiting at once.
    private func parkUntilProbed(_ primary: RedisEndpoint) async throws(RedisError) {
        _ = try await parkWaiter(
            cancelled: Self.cancelledWhileBackingOff,
            park: { s, waiter in s.park(waiter, untilProbed: primary) },
            remove: { s, id in s.removeProbeWaiter { $0.id == id } })
    }
}
