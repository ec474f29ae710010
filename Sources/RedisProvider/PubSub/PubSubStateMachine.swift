import DequeModule
import RESP

/// The subscriptions of one client as a pure machine: which channels are wanted and by whom
/// (one server subscription per channel, however many local subscribers share it), which node
/// each lives on, and the subscription connection to each such node.
///
/// ``PubSubHub`` holds it under one lock and performs what it decides. The consumers' own
/// tasks do the work (no background task): a consumer that finds a channel without a home or
/// a node without a connection asks ``nextRepair(now:)`` what to do, routes or connects, and
/// reports back; consumers arriving meanwhile wait to be woken. Time and randomness come with
/// the events.
struct PubSubStateMachine<Connection: AnyObject> {
    typealias SubscriberID = UInt64

    /// A channel, pattern or sharded channel; `pin`, when set, places it on the primary that
    /// owns that hash slot instead of the one its name hashes to (a subscription on every
    /// primary is one key per primary, each pinned to a slot of that primary).
    struct Key: Hashable {
        var kind: RedisSubscriptionKind
        var name: String
        var pin: Int? = nil

        /// The slot whose owner the subscription belongs on.
        var slot: Int { pin ?? HashSlot.slot(for: name) }
    }

    /// What the server names in its messages and confirmations.
    private struct Name: Hashable {
        var kind: RedisSubscriptionKind
        var name: String
    }

    /// Where a wanted channel's server subscription stands.
    enum Home: Equatable {
        /// Not placed on a node yet, or lost from one: a consumer must route it.
        case homeless(refreshTopology: Bool)
        /// Assigned to a node; SUBSCRIBE is written (or will be, when the node connects).
        case pending(RedisEndpoint)
        /// The node confirmed the subscription.
        case active(RedisEndpoint)

        var endpoint: RedisEndpoint? {
            switch self {
            case .homeless: return nil
            case .pending(let e), .active(let e): return e
            }
        }
    }

    private struct Channel {
        var subscribers: Set<SubscriberID>
        var home: Home
    }

    private enum Link {
        case idle(failures: Int)
        case connecting(failures: Int)
        case open(Connection)
        case backingOff(until: ContinuousClock.Instant, failures: Int)
    }

    /// What a consumer that repairs the subscriptions does next.
    enum RepairStep {
        /// Nothing to repair.
        case done
        /// Find the node for `key` (refreshing the cluster's topology first when asked) and
        /// report with `homed` or `routeFailed`.
        case route(Key, refreshTopology: Bool)
        /// Open a subscription connection to the node and report with `connected` or
        /// `connectFailed`.
        case connect(RedisEndpoint)
        /// Another consumer is connecting or routing: wait to be woken.
        case wait
        /// The next attempt is due then.
        case sleep(until: ContinuousClock.Instant)
    }

    /// Commands to write on a node's open connection.
    struct Write {
        var connection: Connection
        var commands: [RESPCommand]
    }

    private var channels: [Key: Channel] = [:]
    /// The pinned keys of each name, for the few subscriptions made on every primary.
    private var pinned: [Name: Set<Int>] = [:]
    private var subscribers: [SubscriberID: [Key]] = [:]
    private var links: [RedisEndpoint: Link] = [:]
    /// A route is being looked up by some consumer (one at a time).
    private var routing = false
    private var routeBackoff: (until: ContinuousClock.Instant, failures: Int)?
    /// When the channels of a node that cannot be reached are routed again next.
    private var nextReroute: [RedisEndpoint: ContinuousClock.Instant] = [:]
    private(set) var isShutdown = false
    let backoff: ReconnectBackoff
    /// How often the channels of an unreachable node are routed again while its reconnect
    /// backs off (a cluster: its replica may have been promoted); `nil` never (standalone).
    let rerouteInterval: Duration?

    init(backoff: ReconnectBackoff, rerouteInterval: Duration? = nil) {
        self.backoff = backoff
        self.rerouteInterval = rerouteInterval
    }

    /// How many channels, patterns and sharded channels have a server subscription wanted.
    var wantedCount: Int { channels.count }

    // MARK: - Subscribers

    /// A subscriber wants `keys`. Keys nobody wanted before need a home (see `nextRepair`).
    mutating func subscribe(_ id: SubscriberID, _ keys: [Key]) {
        guard !isShutdown else { return }
        var unique: [Key] = []
        for key in keys where !unique.contains(key) {
            unique.append(key)
            channels[key, default: Channel(subscribers: [], home: .homeless(refreshTopology: false))].subscribers.insert(id)
            if let pin = key.pin { pinned[Name(kind: key.kind, name: key.name), default: []].insert(pin) }
        }
        subscribers[id] = unique
    }

    /// A subscriber is gone. Channels nobody wants any more are unsubscribed on their node;
    /// a node left with no channel has its connection closed instead (which ends them all).
    mutating func unsubscribe(_ id: SubscriberID) -> (writes: [Write], close: [Connection]) {
        guard let keys = subscribers.removeValue(forKey: id) else { return ([], []) }
        var dropped: [RedisEndpoint: [Key]] = [:]
        for key in keys {
            channels[key]?.subscribers.remove(id)
            guard let channel = channels[key], channel.subscribers.isEmpty else { continue }
            channels[key] = nil
            if let pin = key.pin {
                let name = Name(kind: key.kind, name: key.name)
                pinned[name]?.remove(pin)
                if pinned[name]?.isEmpty == true { pinned[name] = nil }
            }
            // Another key of the same name on that node keeps the server subscription.
            if let endpoint = channel.home.endpoint, !variants(of: key).contains(where: { channels[$0]?.home.endpoint == endpoint }) {
                dropped[endpoint, default: []].append(key)
            }
        }
        var writes: [Write] = []
        var close: [Connection] = []
        for (endpoint, keys) in dropped {
            guard case .open(let connection) = links[endpoint] else { continue }
            if channels.values.contains(where: { $0.home.endpoint == endpoint }) {
                writes.append(Write(connection: connection, commands: Self.commands(keys, subscribe: false)))
            } else {
                links[endpoint] = nil
                close.append(connection)
            }
        }
        return (writes, close)
    }

    /// Whether every key of subscriber `id` is confirmed by its node.
    func isActive(_ id: SubscriberID) -> Bool {
        guard let keys = subscribers[id] else { return false }
        return keys.allSatisfy { if case .active = channels[$0]?.home { return true } else { return false } }
    }

    // MARK: - Repair

    /// What the consumer asking should do to bring every wanted channel to an open connection.
    mutating func nextRepair(now: ContinuousClock.Instant) -> RepairStep {
        guard !isShutdown else { return .done }
        if let (key, channel) = channels.first(where: { if case .homeless = $0.value.home { return true } else { return false } }) {
            if routing { return .wait }
            if let b = routeBackoff, b.until > now { return .sleep(until: b.until) }
            routing = true
            guard case .homeless(let refresh) = channel.home else { return .wait }
            return .route(key, refreshTopology: refresh)
        }
        var waitingFor: ContinuousClock.Instant?
        var someoneConnecting = false
        for endpoint in Set(channels.values.compactMap(\.home.endpoint)) {
            switch links[endpoint] ?? .idle(failures: 0) {
            case .open:
                continue
            case .connecting:
                someoneConnecting = true
            case .idle(let failures):
                links[endpoint] = .connecting(failures: failures)
                return .connect(endpoint)
            case .backingOff(let until, let failures):
                if until <= now {
                    links[endpoint] = .connecting(failures: failures)
                    return .connect(endpoint)
                }
                waitingFor = min(waitingFor ?? until, until)
                guard let rerouteInterval else { continue }
                let due = nextReroute[endpoint] ?? now
                if due <= now, !routing {
                    // Ask again where its channels belong: a promoted replica is served at
                    // once instead of after the rest of the backoff.
                    nextReroute[endpoint] = now + rerouteInterval
                    rehome(endpoint, refreshTopology: true)
                    return nextRepair(now: now)
                }
                waitingFor = min(waitingFor ?? due, due)
            }
        }
        if someoneConnecting { return .wait }
        if let waitingFor { return .sleep(until: waitingFor) }
        return .done
    }

    /// `key` belongs on `endpoint`. Returns the SUBSCRIBE to write when that node's connection
    /// is open already.
    mutating func homed(_ key: Key, on endpoint: RedisEndpoint) -> Write? {
        routing = false
        routeBackoff = nil
        guard channels[key] != nil else { return nil }
        channels[key]?.home = .pending(endpoint)
        guard case .open(let connection) = links[endpoint] else { return nil }
        return Write(connection: connection, commands: Self.commands([key], subscribe: true))
    }

    /// No node could be found for a channel (the cluster is down, say): routes wait.
    mutating func routeFailed(now: ContinuousClock.Instant, using generator: inout some RandomNumberGenerator) {
        routing = false
        let failures = (routeBackoff?.failures ?? 0) + 1
        routeBackoff = (now + backoff.delay(attempt: failures, using: &generator), failures)
    }

    /// The subscription connection to `endpoint` is open: everything homed there is
    /// subscribed on it. Returns `nil` (close it) when nobody needs it any more.
    mutating func connected(_ connection: Connection, to endpoint: RedisEndpoint) -> Write? {
        guard !isShutdown, case .connecting = links[endpoint] else { return nil }
        nextReroute[endpoint] = nil
        let keys = channels.filter { $0.value.home.endpoint == endpoint }.map(\.key)
        guard !keys.isEmpty else {
            links[endpoint] = nil
            return nil
        }
        links[endpoint] = .open(connection)
        for key in keys { channels[key]?.home = .pending(endpoint) }
        return Write(connection: connection, commands: Self.commands(keys, subscribe: true))
    }

    /// Connecting to `endpoint` failed: the next attempt waits a jittered backoff. Its
    /// channels are routed again first (in a cluster the node may have been replaced).
    mutating func connectFailed(to endpoint: RedisEndpoint, now: ContinuousClock.Instant, using generator: inout some RandomNumberGenerator) {
        guard case .connecting(let failures) = links[endpoint] else { return }
        links[endpoint] = .backingOff(until: now + backoff.delay(attempt: failures + 1, using: &generator), failures: failures + 1)
        if let rerouteInterval { nextReroute[endpoint] = now + rerouteInterval }
        rehome(endpoint, refreshTopology: true)
    }

    /// The connection to `endpoint` closed. Returns the subscribers that lost messages: their
    /// channels are routed and subscribed again by the next consumer that repairs.
    mutating func disconnected(_ connection: Connection, from endpoint: RedisEndpoint) -> Set<SubscriberID> {
        guard case .open(let current) = links[endpoint], current === connection else { return [] }
        links[endpoint] = .idle(failures: 0)
        return rehome(endpoint, refreshTopology: true)
    }

    // MARK: - What the server sent

    /// Who receives what a node sent: a message goes to the subscribers of its channel (or
    /// pattern); a confirmation or a loss wakes the subscribers concerned.
    enum Received {
        case none
        case deliver(RedisPubSubMessage, to: Set<SubscriberID>)
        /// Subscriptions changed state; `gap` when they lost messages.
        case wake(Set<SubscriberID>, gap: Bool)
        /// The server refused a subscription (`-NOPERM` …): fail these subscribers.
        case fail(Set<SubscriberID>, RESPError)
    }

    mutating func received(_ event: PubSubEvent, from endpoint: RedisEndpoint) -> Received {
        switch event {
        case .message(let kind, let channel, let pattern, let payload):
            let key = Key(kind: kind, name: pattern ?? channel)
            var subscribers = channels[key]?.subscribers ?? []
            if !pinned.isEmpty, pinned[Name(kind: kind, name: key.name)] != nil {  // no hashing when nothing is pinned
                for variant in variants(of: key) where channels[variant]?.home.endpoint == endpoint {
                    subscribers.formUnion(channels[variant]?.subscribers ?? [])
                }
            }
            guard !subscribers.isEmpty else { return .none }
            return .deliver(RedisPubSubMessage(channel: channel, pattern: pattern, payload: payload), to: subscribers)
        case .subscribed(let kind, let name):
            var woken = Set<SubscriberID>()
            for key in [Key(kind: kind, name: name)] + variants(of: Key(kind: kind, name: name))
            where channels[key]?.home == .pending(endpoint) {
                channels[key]?.home = .active(endpoint)
                woken.formUnion(channels[key]?.subscribers ?? [])
            }
            return woken.isEmpty ? .none : .wake(woken, gap: false)
        case .unsubscribed(let kind, let name):
            // Asked-for unsubscriptions concern channels already forgotten. A wanted one that
            // the server ended moved away with its slot: find its new home.
            guard let name else { return .none }
            var lost = Set<SubscriberID>()
            for key in [Key(kind: kind, name: name)] + variants(of: Key(kind: kind, name: name))
            where channels[key]?.home.endpoint == endpoint {
                channels[key]?.home = .homeless(refreshTopology: true)
                lost.formUnion(channels[key]?.subscribers ?? [])
            }
            return lost.isEmpty ? .none : .wake(lost, gap: true)
        case .error(let error):
            return refused(error, by: endpoint)
        case .pong, .other:
            return .none
        }
    }

    /// An error reply to a subscribe command. A redirection or a cluster in transition sends
    /// the node's pending channels to be routed again; anything else (`NOPERM`, an unknown
    /// command on an old server) fails the subscribers of those channels.
    private mutating func refused(_ error: RESPError, by endpoint: RedisEndpoint) -> Received {
        let pending = channels.filter { $0.value.home == .pending(endpoint) }
        let subscribers = pending.values.reduce(into: Set<SubscriberID>()) { $0.formUnion($1.subscribers) }
        if ["MOVED", "ASK", "TRYAGAIN", "CLUSTERDOWN", "LOADING", "MASTERDOWN"].contains(error.code) {
            for key in pending.keys { channels[key]?.home = .homeless(refreshTopology: true) }
            return .wake(subscribers, gap: false)
        }
        return .fail(subscribers, error)
    }

    /// Stops everything: returns the open connections to close.
    mutating func shutdown() -> [Connection] {
        isShutdown = true
        let open = links.values.compactMap { link -> Connection? in
            if case .open(let c) = link { return c }
            return nil
        }
        links.removeAll()
        channels.removeAll()
        pinned.removeAll()
        subscribers.removeAll()
        return open
    }

    // MARK: - Helpers

    /// The pinned keys sharing `key`'s kind and name (not `key` itself).
    private func variants(of key: Key) -> [Key] {
        (pinned[Name(kind: key.kind, name: key.name)] ?? []).compactMap { pin in
            pin == key.pin ? nil : Key(kind: key.kind, name: key.name, pin: pin)
        } + (key.pin != nil && channels[Key(kind: key.kind, name: key.name)] != nil ? [Key(kind: key.kind, name: key.name)] : [])
    }

    /// Sends every channel homed on `endpoint` back to be routed; returns their subscribers.
    @discardableResult
    private mutating func rehome(_ endpoint: RedisEndpoint, refreshTopology: Bool) -> Set<SubscriberID> {
        var lost = Set<SubscriberID>()
        for (key, channel) in channels where channel.home.endpoint == endpoint {
            channels[key]?.home = .homeless(refreshTopology: refreshTopology)
            lost.formUnion(channel.subscribers)
        }
        return lost
    }

    /// One SUBSCRIBE (or UNSUBSCRIBE) per kind naming its keys; sharded channels one command
    /// per hash slot, as the server requires.
    static func commands(_ keys: [Key], subscribe: Bool) -> [RESPCommand] {
        RedisSubscriptionKind.allCases.flatMap { kind -> [RESPCommand] in
            let names = Set(keys.filter { $0.kind == kind }.map(\.name)).sorted()
            guard !names.isEmpty else { return [] }
            let name = subscribe ? kind.subscribeCommand : kind.unsubscribeCommand
            guard kind == .shardChannel else { return [RESPCommand(name, arguments: names)] }
            let bySlot = Dictionary(grouping: names) { HashSlot.slot(for: $0) }
            return bySlot.keys.sorted().map { RESPCommand(name, arguments: bySlot[$0]!) }
        }
    }
}
