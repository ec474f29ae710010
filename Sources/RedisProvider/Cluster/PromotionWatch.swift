/// Watching the replicas of a primary that cannot be reached, as a pure machine: while
/// commands for its slots back off, one of them at a time asks the shard's replicas whether
/// one was promoted (`ROLE`), at most once per ``interval``; the others park and are all
/// woken by its answer, in arrival order. A promotion found is kept for a while so that a discovery whose majority
/// view has not caught up yet does not route back to the dead primary.
///
/// ``ClusterStateMachine`` holds it; the caller told to `.probe` runs the probe and reports
/// with ``probed(_:found:now:)``. Only the shard that is down is watched.
struct PromotionWatch<Waiter> {
    /// What a command backing off from an unreachable primary does next.
    enum Step: Equatable {
        /// The primary was replaced: route the command again now.
        case promoted
        /// Ask these replicas at `at` (no one else will), then report with `probed`.
        case probe([RedisEndpoint], at: ContinuousClock.Instant)
        /// Another command asks: park with `park(_:for:)` until its answer.
        case wait
        /// The primary has no replica to watch: back off as usual.
        case unwatched
    }

    /// A promotion learned by asking a replica.
    struct Promotion: Equatable {
        var replica: RedisEndpoint
        var at: ContinuousClock.Instant
    }

    private struct Watch {
        var replicas: [RedisEndpoint]
        var probing = false
        var lastProbe: ContinuousClock.Instant?
        var waiters: [Waiter] = []
    }

    /// How often the replicas of one shard are asked, at most.
    let interval: Duration
    /// How long a promotion overrides discoveries that still name the old primary.
    let memory: Duration
    private var watches: [RedisEndpoint: Watch] = [:]
    /// Promotions found, by the primary they replaced.
    private(set) var promotions: [RedisEndpoint: Promotion] = [:]

    init(interval: Duration = .milliseconds(10), memory: Duration = .seconds(10)) {
        self.interval = interval
        self.memory = memory
    }

    /// A command for a shard whose `primary` it could not reach wants to know what to do at
    /// `now`; `replicas` are the shard's replicas in the current map.
    mutating func step(primary: RedisEndpoint, replicas: [RedisEndpoint], now: ContinuousClock.Instant) -> Step {
        if promotions[primary] != nil { return .promoted }
        guard !replicas.isEmpty else { return .unwatched }
        var watch = watches[primary] ?? Watch(replicas: replicas)
        watch.replicas = replicas
        defer { watches[primary] = watch }
        if watch.probing { return .wait }
        let at = watch.lastProbe.map { max(now, $0 + interval) } ?? now
        watch.probing = true
        watch.lastProbe = at
        return .probe(replicas, at: at)
    }

    /// Waits for the coming probe of `primary`'s replicas; `false` when none is coming (ask again).
    mutating func park(_ waiter: Waiter, for primary: RedisEndpoint) -> Bool {
        guard watches[primary]?.probing == true else { return false }
        watches[primary]!.waiters.append(waiter)
        return true
    }

    /// A parked command was cancelled: takes its waiter out (`nil` when it was already woken).
    mutating func removeWaiter(where matches: (Waiter) -> Bool) -> Waiter? {
        for (primary, watch) in watches {
            if let i = watch.waiters.firstIndex(where: matches) { return watches[primary]!.waiters.remove(at: i) }
        }
        return nil
    }

    /// The probe of `primary`'s replicas ended at `now`: `found` is the replica that says it
    /// is a primary now, if any. Returns the parked commands to wake, in arrival order.
    mutating func probed(_ primary: RedisEndpoint, found: RedisEndpoint?, now: ContinuousClock.Instant) -> [Waiter] {
        guard var watch = watches[primary] else { return [] }
        let waiters = watch.waiters
        if let found {
            promotions[primary] = Promotion(replica: found, at: now)
            watches[primary] = nil
        } else {
            watch.probing = false
            watch.waiters = []
            watches[primary] = watch
        }
        return waiters
    }

    /// A discovery published a map at `now`: promotions it confirms, or that are older than
    /// ``memory``, are forgotten, and so are watches of nodes that are no longer primaries.
    /// Returns the promotions still to apply over the map (its view is behind them).
    mutating func discovered(_ map: SlotMap, now: ContinuousClock.Instant) -> [(from: RedisEndpoint, to: RedisEndpoint)] {
        let primaries = Set(map.primaries)
        promotions = promotions.filter { old, promotion in
            primaries.contains(old) && !primaries.contains(promotion.replica) && now - promotion.at < memory
        }
        watches = watches.filter { primaries.contains($0.key) || $0.value.probing }
        return promotions.map { ($0.key, $0.value.replica) }
    }
}
