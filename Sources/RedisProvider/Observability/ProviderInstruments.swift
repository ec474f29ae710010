import CoreMetrics
import NIOCore
import RESP
import Synchronization

/// The metric objects of one provider, made once: per-command handles are cached by the
/// command name's bytes, so a command costs a dictionary look-up, not a factory call.
final class ProviderInstruments: Sendable {
    struct PerCommand: Sendable {
        let name: String
        let ok: Counter
        let serverError: Counter
        let duration: Timer
    }

    private let factory: any MetricsFactory
    private let client: (String, String)
    private let perCommand = Mutex<[ByteBuffer: PerCommand]>([:])
    private let failures = Mutex<[String: Counter]>([:])
    private let handles: Handles

    private struct Handles: Sendable {
        let inFlight: Meter
        let moved: Counter
        let ask: Counter
        let refreshOK: Counter
        let refreshFailed: Counter
        let failovers: Counter
        let connections: Meter
        let nodes: Meter
    }

    init(factory: any MetricsFactory, clientName: String) {
        self.factory = factory
        let client = ("redis.client", clientName)
        self.client = client
        handles = Handles(
            inFlight: Meter(label: RedisMetricNames.inFlight, dimensions: [client], factory: factory),
            moved: Counter(label: RedisMetricNames.redirects, dimensions: [client, ("kind", "moved")], factory: factory),
            ask: Counter(label: RedisMetricNames.redirects, dimensions: [client, ("kind", "ask")], factory: factory),
            refreshOK: Counter(label: RedisMetricNames.topologyRefreshes, dimensions: [client, ("outcome", "ok")], factory: factory),
            refreshFailed: Counter(
                label: RedisMetricNames.topologyRefreshes, dimensions: [client, ("outcome", "failed")], factory: factory),
            failovers: Counter(label: RedisMetricNames.failovers, dimensions: [client], factory: factory),
            connections: Meter(label: RedisMetricNames.connections, dimensions: [client], factory: factory),
            nodes: Meter(label: RedisMetricNames.nodes, dimensions: [client], factory: factory))
    }

    /// The handles for `command`'s name (lower case in the dimensions).
    func command(_ command: RESPCommand) -> PerCommand {
        let key = command.nameBytes ?? ByteBuffer()
        if let found = perCommand.withLock({ $0[key] }) { return found }
        let name = String(buffer: key).lowercased()
        let dims = [client, ("command", name)]
        let made = PerCommand(
            name: name,
            ok: Counter(label: RedisMetricNames.commands, dimensions: dims + [("outcome", "ok")], factory: factory),
            serverError: Counter(label: RedisMetricNames.commands, dimensions: dims + [("outcome", "server_error")], factory: factory),
            duration: Timer(label: RedisMetricNames.commandDuration, dimensions: dims, factory: factory))
        return perCommand.withLock { cache in
            // Copy the key so the cache does not pin the command's whole buffer.
            let owned = ByteBuffer(bytes: key.readableBytesView)
            if let raced = cache[owned] { return raced }
            cache[owned] = made
            return made
        }
    }

    /// Counts one finished command: its outcome and how long it took.
    func finished(_ handles: PerCommand, started: ContinuousClock.Instant, error: RedisError?) {
        let elapsed = ContinuousClock.now - started
        handles.duration.recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        switch error?.kind {
        case nil: handles.ok.increment()
        case .server?: handles.serverError.increment()
        case let kind?: failure(command: handles.name, kind: kind).increment()
        }
    }

    private func failure(command: String, kind: RedisError.Kind) -> Counter {
        let outcome = RedisError.metricName(of: kind)
        let key = command + " " + outcome
        return failures.withLock { cache in
            if let c = cache[key] { return c }
            let c = Counter(
                label: RedisMetricNames.commands, dimensions: [client, ("command", command), ("outcome", outcome)], factory: factory)
            cache[key] = c
            return c
        }
    }

    func began() { handles.inFlight.increment() }
    func ended() { handles.inFlight.decrement() }
    func redirected(asking: Bool) { (asking ? handles.ask : handles.moved).increment() }
    func retried(reason: String) {
        Counter(label: RedisMetricNames.retries, dimensions: [client, ("reason", reason)], factory: factory).increment()
    }
    func refreshed(ok: Bool) { (ok ? handles.refreshOK : handles.refreshFailed).increment() }
    func failedOver() { handles.failovers.increment() }

    /// Records the connection and node counts sampled now.
    func sample(nodes: Int, connections: Int) {
        handles.nodes.set(Double(nodes))
        handles.connections.set(Double(connections))
    }
}

extension RedisError {
    /// A kind as a metric dimension value: `connection_refused`, `command_timeout` …
    static func metricName(of kind: Kind) -> String {
        var out = ""
        for ch in "\(kind)" {
            if ch.isUppercase {
                out += "_" + ch.lowercased()
            } else {
                out.append(ch)
            }
        }
        return out
    }
}
