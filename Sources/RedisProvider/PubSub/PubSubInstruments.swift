import CoreMetrics
import Logging

/// The metrics and log of the subscriptions, from swift-metrics' and swift-log's global
/// backends (what the application bootstrapped; nothing otherwise).
struct PubSubInstruments: Sendable {
    let logger: Logger
    private let subscriptions: Meter
    private let messages: Counter
    private let drops: Counter
    private let resubscribes: Counter

    init(logger: Logger = Logger(label: "RedisProvider.PubSub")) {
        self.logger = logger
        subscriptions = Meter(label: RedisMetricNames.subscriptions)
        messages = Counter(label: RedisMetricNames.pubSubMessages)
        drops = Counter(label: RedisMetricNames.pubSubDropped)
        resubscribes = Counter(label: RedisMetricNames.resubscribes)
    }

    func subscribed() { subscriptions.increment() }
    func unsubscribed() { subscriptions.decrement() }
    func received() { messages.increment() }
    func dropped() { drops.increment() }
    func resubscribing() { resubscribes.increment() }
}
