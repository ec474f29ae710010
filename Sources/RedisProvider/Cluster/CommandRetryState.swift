import RESP

/// The retry decisions for one cluster command, from its first attempt to its result: a
/// pure state machine. The client sends the command, feeds what came back to ``next(_:now:answeredBy:)``
/// and does what the returned ``Action`` says; time comes in as `now`, so tests drive it
/// with made-up instants.
///
/// Each call to `next` also sets ``effects``: changes to shared client state the client
/// must make *before* executing the action (patching the slot map for MOVED, scheduling a
/// background topology refresh). They are separate from the action because they concern
/// every command, not just this one.
///
/// The rules:
/// - `MOVED`: patch the slot, redirect at once, schedule a throttled refresh.
/// - `ASK`: redirect at once with `ASKING`; the slot map stays as it is.
/// - Redirections count toward ``ClusterRetryPolicy/maxRedirects``; one more fails with
///   `.redirectLimit`.
/// - `TRYAGAIN` (multi-key command during a slot migration) and `LOADING`: back off and
///   retry. `CLUSTERDOWN`, `MASTERDOWN`, `READONLY` (the map points at a former primary)
///   and `UNBLOCKED … state changed` (a blocking command released by a failover): back
///   off, refresh the topology, retry. The server rejected the command
///   without running it, so this holds for writes too.
/// - A lost connection or timeout before the command was written, or a failure to
///   connect: back off, refresh, retry. After it was written: retry only an idempotent
///   command; otherwise fail with `.outcomeUnknown`: the write may have been applied.
/// - Retries stop when ``ClusterRetryPolicy/budget`` (counted from `startedAt`) runs out;
///   the command fails with `.clusterDown`, saying what kept failing and what to check.
/// - Any other reply, error replies included, is delivered to the caller.
package struct CommandRetryState: Sendable {
    /// What came back from one attempt.
    package enum Outcome: Sendable {
        /// A reply: a normal value or an error reply (`.error`), which may be a redirection
        /// or a retryable rejection.
        case reply(RESPValue)
        /// The attempt failed below RESP (connect, connection lost, timeout).
        /// `sent: false` means the command was never written, so it is safe to retry
        /// anything.
        case transportError(RedisError, sent: Bool)
    }

    /// What the client should do next with this command.
    package enum Action: Sendable, Equatable {
        /// Give the reply (possibly an error reply) to the caller.
        case deliver
        /// Send the command again now, to `to`; with `asking`, send `ASKING` first on the
        /// same connection.
        case redirect(to: RedisEndpoint, asking: Bool)
        /// Wait `after`, refresh the topology first when `refreshTopology`, then route the
        /// command again from the slot map.
        case retry(after: Duration, refreshTopology: Bool)
        /// Give up; throw this error to the caller.
        case fail(RedisError)

        package static func == (a: Action, b: Action) -> Bool {
            switch (a, b) {
            case (.deliver, .deliver): return true
            case (.redirect(let x, let p), .redirect(let y, let q)): return x == y && p == q
            case (.retry(let x, let p), .retry(let y, let q)): return x == y && p == q
            case (.fail(let x), .fail(let y)):
                return x.kind == y.kind && x.message == y.message && x.endpoint == y.endpoint
                    && x.serverError == y.serverError
            default: return false
            }
        }
    }

    /// A change to shared client state that a step calls for.
    package enum Effect: Sendable, Hashable {
        /// MOVED: the slot map should say `slot` is served by `endpoint`
        /// (``SlotMap/apply(movedSlot:to:)``).
        case patchSlot(Int, RedisEndpoint)
        /// The topology changed under the client: refresh it in the background soon,
        /// throttled so a burst of redirections causes one refresh.
        case scheduleRefresh
    }

    package let policy: ClusterRetryPolicy
    package let startedAt: ContinuousClock.Instant
    package let isIdempotent: Bool
    /// The effects of the latest ``next(_:now:answeredBy:)`` call, to apply in order before
    /// executing its action. Empty when there are none.
    package private(set) var effects: [Effect] = []
    /// MOVED/ASK redirections followed so far.
    package private(set) var redirects = 0
    /// Backoff retries scheduled so far.
    package private(set) var retries = 0
    private var random: SplitMix64

    /// - Parameters:
    ///   - policy: the limits.
    ///   - startedAt: when the command was first attempted; the budget counts from here.
    ///   - isIdempotent: whether running the command twice has the same effect as once
    ///     (reads, `SET` without `GET`, `DEL` …); only such commands are replayed after
    ///     their connection failed mid-flight.
    ///   - jitterSeed: seeds the jitter of backoff delays; fix it in tests (or set
    ///     `policy.jitter` to 0) for repeatable delays.
    package init(
        policy: ClusterRetryPolicy, startedAt: ContinuousClock.Instant, isIdempotent: Bool,
        jitterSeed: UInt64 = .random(in: .min ... .max)
    ) {
        self.policy = policy
        self.startedAt = startedAt
        self.isIdempotent = isIdempotent
        self.random = SplitMix64(seed: jitterSeed)
    }

    /// When the retry budget runs out.
    package var deadline: ContinuousClock.Instant { startedAt + policy.budget }

    /// Decides what to do with what one attempt returned.
    ///
    /// - Parameters:
    ///   - outcome: the reply or the transport failure.
    ///   - now: the current time (inject a test clock's instant in tests).
    ///   - answeredBy: the node that replied. Needed to resolve redirections that name no
    ///     host (`MOVED 3999 :6381`, sent by nodes configured with
    ///     `cluster-preferred-endpoint-type unknown-endpoint`); without it such a
    ///     redirection becomes a refresh-and-retry.
    package mutating func next(_ outcome: Outcome, now: ContinuousClock.Instant, answeredBy: RedisEndpoint? = nil) -> Action {
        effects = []
        switch outcome {
        case .reply(let value):
            guard case .error(let error) = value else { return .deliver }
            return next(errorReply: error, now: now, answeredBy: answeredBy)
        case .transportError(let error, let sent):
            return next(transportError: error, sent: sent, now: now)
        }
    }

    /// The error replies the retry rules act on (every other one is delivered): the one list
    /// that the command loop and the pipeline both use.
    static func retries(_ error: RESPError) -> Bool {
        switch error.code {
        case "MOVED", "ASK", "TRYAGAIN", "LOADING", "CLUSTERDOWN", "MASTERDOWN", "READONLY": return true
        case "UNBLOCKED": return error.message.contains("state changed")
        default: return false
        }
    }

    private mutating func next(errorReply error: RESPError, now: ContinuousClock.Instant, answeredBy: RedisEndpoint?) -> Action {
        guard Self.retries(error) else { return .deliver }
        let from = answeredBy ?? RedisEndpoint(host: "", port: 0)
        if let redirect = ClusterRedirect(error, from: from) {
            if redirect.endpoint.host.isEmpty {
                // Names no host and we do not know who answered: ask the cluster instead.
                effects = [.scheduleRefresh]
                return backoff(now: now, refresh: true, cause: .server(error, endpoint: nil))
            }
            redirects += 1
            if redirects > policy.maxRedirects {
                effects = [.scheduleRefresh]
                return .fail(
                    RedisError(
                        .redirectLimit,
                        "Gave up after \(policy.maxRedirects) MOVED/ASK redirections for hash slot \(redirect.slot) "
                            + "(the last: \(error.message)). The nodes disagree about which one serves the slot; "
                            + "a reshard or failover may be stuck: compare CLUSTER SHARDS across the nodes and run "
                            + "redis-cli --cluster check.",
                        endpoint: redirect.endpoint.description, serverError: error))
            }
            switch redirect {
            case .moved(let slot, let endpoint):
                effects = [.patchSlot(slot, endpoint), .scheduleRefresh]
                return .redirect(to: endpoint, asking: false)
            case .ask(_, let endpoint):
                return .redirect(to: endpoint, asking: true)
            }
        }
        switch error.code {
        case "TRYAGAIN", "LOADING":
            return backoff(now: now, refresh: false, cause: .server(error, endpoint: answeredBy))
        case "CLUSTERDOWN", "MASTERDOWN", "READONLY":
            return backoff(now: now, refresh: true, cause: .server(error, endpoint: answeredBy))
        case "UNBLOCKED":
            // A blocked command released because its primary became a replica (a failover):
            // it did not run.
            return backoff(now: now, refresh: true, cause: .server(error, endpoint: answeredBy))
        default:
            return .deliver
        }
    }

    private mutating func next(transportError error: RedisError, sent: Bool, now: ContinuousClock.Instant) -> Action {
        switch error.kind {
        case .connectionRefused, .connectTimeout, .dnsFailure:
            // Failed to connect: nothing was written, whatever `sent` says.
            return backoff(now: now, refresh: true, cause: .transport(error))
        case .connectionClosed, .commandTimeout:
            if !sent || isIdempotent {
                return backoff(now: now, refresh: true, cause: .transport(error))
            }
            let what =
                error.kind == .commandTimeout
                ? "No reply arrived within the command timeout"
                : "The connection closed before the reply arrived"
            return .fail(
                RedisError(
                    .outcomeUnknown,
                    "\(what), after the command was sent. It is not idempotent, so it was not replayed: "
                        + "the write may or may not have been applied. Check the data before retrying.",
                    endpoint: error.endpoint))
        default:
            // Not a transient condition (shutdown, cancellation, authentication, TLS,
            // protocol violation, overload …): retrying would not help.
            return .fail(error)
        }
    }

    /// What kept a command from succeeding, for the message when the budget runs out.
    private enum Cause {
        case server(RESPError, endpoint: RedisEndpoint?)
        case transport(RedisError)
    }

    private mutating func backoff(now: ContinuousClock.Instant, refresh: Bool, cause: Cause) -> Action {
        guard now < deadline else { return .fail(budgetExhausted(cause, now: now)) }
        retries += 1
        var delay = policy.delay(forRetry: retries)
        if policy.jitter > 0 {
            let unit = Double(random.next() >> 11) / Double(1 << 53)  // 0 ..< 1
            delay = delay * (1 - policy.jitter * unit)
        }
        // Never sleep past the deadline: the last attempt happens as the budget ends.
        delay = min(delay, deadline - now)
        return .retry(after: delay, refreshTopology: refresh)
    }

    private func budgetExhausted(_ cause: Cause, now: ContinuousClock.Instant) -> RedisError {
        let spent = Self.format(now - startedAt)
        let budget = Self.format(policy.budget)
        let retried = "retried \(retries) time\(retries == 1 ? "" : "s") over \(spent), budget \(budget)"
        switch cause {
        case .server(let error, let endpoint):
            let advice: String
            switch error.code {
            case "TRYAGAIN":
                advice =
                    "A reshard is in progress: the command's keys are split between the source and the target "
                    + "of a slot migration. Wait for the migration to finish; if it never does, look for slots "
                    + "stuck in migrating/importing state in CLUSTER NODES and repair them with redis-cli --cluster fix."
            case "LOADING":
                advice =
                    "The node is still loading its data set after a restart or full sync. Check its progress "
                    + "with INFO persistence (loading_eta_seconds)."
            case "MASTERDOWN":
                advice =
                    "A replica lost its link to its primary. Check that the shard's primary is up or has failed "
                    + "over (CLUSTER SHARDS) and the replica-serve-stale-data setting."
            case "READONLY":
                advice =
                    "Writes kept reaching a replica: the shard's failover has not completed. Check CLUSTER SHARDS "
                    + "on the nodes and that the shard has a primary."
            default:
                advice =
                    "A shard has no primary able to serve. Check cluster_state in CLUSTER INFO, that every "
                    + "failed primary has a replica to promote, and that the budget covers a failover "
                    + "(about 3 × cluster-node-timeout + 4 s)."
            }
            return RedisError(
                .clusterDown,
                "The cluster did not recover within the retry budget (\(retried)); the last reply was "
                    + "\(error.message). \(advice)",
                endpoint: endpoint?.description, serverError: error)
        case .transport(let error):
            return RedisError(
                .clusterDown,
                "The cluster did not recover within the retry budget (\(retried)); the last attempt failed: "
                    + "\(error.message). Check that the node is up and reachable and, if it failed, that its shard "
                    + "has a replica to promote and the budget covers a failover (about 3 × cluster-node-timeout + 4 s).",
                endpoint: error.endpoint)
        }
    }

    /// `15 s`, `1.5 s`, `250 ms`.
    static func format(_ duration: Duration) -> String {
        let ms = Double(duration.nanoseconds) / 1_000_000
        if ms < 1000 { return "\(Int(ms.rounded())) ms" }
        let s = ms / 1000
        return s == s.rounded() ? "\(Int(s)) s" : "\((s * 10).rounded() / 10) s"
    }
}

/// A small, fast, seedable generator for backoff jitter (SplitMix64).
struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
