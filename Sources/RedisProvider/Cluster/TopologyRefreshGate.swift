/// Who runs a topology refresh, as a pure machine: one discovery at a time, the callers
/// arriving meanwhile wait for its result, and refreshes that are not forced are throttled
/// to one per `minimumInterval`.
///
/// The cluster client holds it under its lock; the caller told to `.discover` runs the
/// discovery itself (no background task) and reports with ``finished(now:)``.
struct TopologyRefreshGate<Waiter> {
    enum Decision: Equatable {
        /// The current map is fresh enough.
        case useCurrent
        /// Run the discovery, then call `finished`.
        case discover
        /// A discovery is running: park with `park(_:)`.
        case wait
    }

    let minimumInterval: Duration
    private var waiters: [Waiter]?
    private(set) var lastRefresh: ContinuousClock.Instant?

    init(minimumInterval: Duration) {
        self.minimumInterval = minimumInterval
    }

    var isRefreshing: Bool { waiters != nil }

    /// A refresh is asked for at `now`; `force` skips the throttle.
    mutating func requested(force: Bool, haveMap: Bool, now: ContinuousClock.Instant) -> Decision {
        if waiters != nil { return .wait }
        if !force, haveMap, let lastRefresh, now - lastRefresh < minimumInterval { return .useCurrent }
        waiters = []
        return .discover
    }

    /// Waits for the running discovery; `false` when it finished meanwhile (ask again).
    mutating func park(_ waiter: Waiter) -> Bool {
        guard waiters != nil else { return false }
        waiters!.append(waiter)
        return true
    }

    /// A waiting caller was cancelled: takes its waiter out (`nil` when it was already told).
    mutating func removeWaiter(where matches: (Waiter) -> Bool) -> Waiter? {
        guard let i = waiters?.firstIndex(where: matches) else { return nil }
        return waiters!.remove(at: i)
    }

    /// The discovery ended (with a map or not) at `now`: the waiters to tell.
    mutating func finished(now: ContinuousClock.Instant) -> [Waiter] {
        defer { waiters = nil }
        lastRefresh = now
        return waiters ?? []
    }
}
