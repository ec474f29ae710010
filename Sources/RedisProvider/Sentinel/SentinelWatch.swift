import Logging
import NIOCore
import RESP
import Synchronization

/// The Sentinels of one deployment, as a client of a primary (or replica) they watch sees
/// them: which node to connect to, checked with `ROLE`, and the `+switch-master`
/// announcements that move the client to a promoted replica.
final class SentinelWatch: Sendable {
    /// The name the Sentinels know the primary by.
    let masterName: String
    /// Which node the client talks to.
    let role: RedisSentinelRole
    /// How to reach the Sentinels (their own credentials, short timeouts).
    let sentinelConfiguration: RedisClientConfiguration
    /// How to reach the data nodes (for the `ROLE` check).
    let dataConfiguration: RedisClientConfiguration
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    /// How long a command rides out a failover before it fails (URL `failover_budget`, 30 s
    /// by default).
    let retryPolicy: ClusterRetryPolicy
    private let state: Mutex<State>

    private struct State {
        /// The Sentinels, the one that answered last first; grows with `SENTINEL SENTINELS`.
        var sentinels: [RedisEndpoint]
        /// An address a `+switch-master` announced, tried before asking again.
        var hint: RedisEndpoint?
    }

    init(url: RedisURL, configuration: RedisClientConfiguration, eventLoopGroup: any EventLoopGroup, logger: Logger) {
        masterName = url.sentinelMasterName ?? "mymaster"
        retryPolicy = ClusterRetryPolicy(budget: url.options.failoverBudget ?? .seconds(30))
        role = url.options.sentinelRole ?? .primary
        var sentinel = configuration.forSentinels(of: url)
        sentinel.healthCheckInterval = nil  // short-lived connections, and the subscriber is re-checked every few seconds
        sentinel.connectTimeout = min(configuration.connectTimeout, .seconds(2))
        sentinel.commandTimeout = .seconds(2)
        sentinel.connectionsPerNode = 1
        sentinelConfiguration = sentinel
        var data = configuration
        data.connectTimeout = min(configuration.connectTimeout, .seconds(2))
        data.commandTimeout = .seconds(2)
        dataConfiguration = data
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        state = Mutex(State(sentinels: url.endpoints))
    }

    /// The Sentinels known now, the one that answered last first.
    var sentinels: [RedisEndpoint] { state.withLock { $0.sentinels } }

    // MARK: - Finding the node

    /// The node to connect to: the primary the Sentinels announce (or a healthy replica of
    /// it), once its `ROLE` agrees. Asks every Sentinel in turn, three rounds (answers go
    /// stale for a moment during a failover); keeps `current` when it is still a good answer.
    func locate(current: RedisEndpoint? = nil) async throws(RedisError) -> RedisEndpoint {
        if let hint = state.withLock({ s in defer { s.hint = nil }; return s.hint }), await hasRole(hint) {
            return hint
        }
        var problems: [String] = []
        for round in 0..<3 {
            for sentinel in sentinels {
                do {
                    let candidates = try await ask(sentinel)
                    let chosen = current.flatMap { c in candidates.contains(c) ? c : nil } ?? candidates.randomElement()!
                    if await hasRole(chosen) {
                        state.withLock { s in
                            if let i = s.sentinels.firstIndex(of: sentinel) { s.sentinels.insert(s.sentinels.remove(at: i), at: 0) }
                        }
                        return chosen
                    }
                    problems.append("\(sentinel) announced \(chosen), whose ROLE is not \(role == .primary ? "master" : "slave")")
                } catch {
                    problems.append("\(sentinel): \(error.message)")
                }
            }
            do { try await Task.sleep(for: .milliseconds(100 * (round + 1))) } catch { break }
        }
        throw RedisError(
            .connectionRefused,
            "No Sentinel announced a reachable \(role.rawValue) for '\(masterName)' (\(problems.suffix(3).joined(separator: "; "))). "
                + "Check that the Sentinels run and monitor '\(masterName)' (SENTINEL MASTERS), and that the addresses they "
                + "announce can be reached from here (replica-announce-ip / sentinel announce-ip behind NAT)."
        ).markedNotSent()
    }

    /// The candidates one Sentinel gives: the primary, or its replicas that are up (the
    /// primary when none is). Also learns the other Sentinels.
    private func ask(_ sentinel: RedisEndpoint) async throws(RedisError) -> [RedisEndpoint] {
        let c = try await RedisConnection.connect(to: sentinel, configuration: sentinelConfiguration, eventLoopGroup: eventLoopGroup)
        defer { c.closeNow() }
        let primaryReply = try await c.send(RESPCommand("SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName))
        if case .error(let e) = primaryReply { throw RedisError.server(e, endpoint: sentinel.description) }
        guard let primary = primaryReply.sentinelAddress else {
            throw RedisError(.server, "it knows no primary named '\(masterName)'", endpoint: sentinel.description)
        }
        if let others = try? await c.send(RESPCommand("SENTINEL", "SENTINELS", masterName)) {
            let found = others.sentinelRecords.compactMap(Self.endpoint)
            state.withLock { s in for e in found where !s.sentinels.contains(e) { s.sentinels.append(e) } }
        }
        guard role == .replica else { return [primary] }
        // Replicas that are up, those in sync with the primary preferred (a replica still in
        // its first sync reports its link down); the primary when none is up.
        let up = try await c.send(RESPCommand("SENTINEL", "REPLICAS", masterName)).sentinelRecords.filter { r in
            let flags = (r["flags"] ?? "").split(separator: ",")
            return !flags.contains("s_down") && !flags.contains("o_down") && !flags.contains("disconnected")
        }
        let inSync = up.filter { $0["master-link-status"] == "ok" }
        let replicas = (inSync.isEmpty ? up : inSync).compactMap(Self.endpoint)
        return replicas.isEmpty ? [primary] : replicas
    }

    /// Whether `endpoint` answers `ROLE` as the role this client wants (a replica role also
    /// takes the primary, the fallback when no replica is healthy).
    private func hasRole(_ endpoint: RedisEndpoint) async -> Bool {
        guard let c = try? await RedisConnection.connect(to: endpoint, configuration: dataConfiguration, eventLoopGroup: eventLoopGroup)
        else { return false }
        defer { c.closeNow() }
        guard let role = try? await c.send(RESPCommand("ROLE")).elements?.first?.string else { return false }
        return role == "master" || (self.role == .replica && role == "slave")
    }

    static func endpoint(_ record: [String: String]) -> RedisEndpoint? {
        guard let ip = record["ip"], let port = record["port"].flatMap({ Int($0) }) else { return nil }
        return RedisEndpoint(host: ip, port: port)
    }

    // MARK: - Following the Sentinels

    /// Moves `node` when the node it should talk to is elsewhere now.
    func reconcile(_ node: RedisNodeClient) async {
        let current = node.endpoint
        guard let found = try? await locate(current: current), found != current else { return }
        logger.info("Sentinel: moving to \(found)", metadata: ["redis.sentinel.master": "\(masterName)", "redis.previous": "\(current)"])
        await node.relocate(to: found)
    }

    /// Follows the Sentinels until cancelled: subscribed to `+switch-master` on one of them
    /// (the next when it goes away), moving `node` at once when its primary is replaced, and
    /// every `checkInterval` (and after each new subscription) checking the answer anyway, for
    /// announcements missed while no subscription was open.
    func follow(_ node: RedisNodeClient, checkInterval: Duration = .seconds(5)) async {
        while !Task.isCancelled {
            for sentinel in sentinels where !Task.isCancelled {
                await follow(node, on: sentinel, checkInterval: checkInterval)
            }
            try? await Task.sleep(for: .milliseconds(500))
        }
    }

    private enum Event: Sendable {
        case switched(RedisEndpoint)
        case check
    }

    private func follow(_ node: RedisNodeClient, on sentinel: RedisEndpoint, checkInterval: Duration) async {
        let (events, continuation) = AsyncStream<Event>.makeStream()
        let name = masterName
        let subscriber: RedisConnection
        do {
            subscriber = try await RedisConnection.connect(
                to: sentinel, configuration: sentinelConfiguration, eventLoopGroup: eventLoopGroup, sslContext: nil,
                isSubscriber: true,
                onPush: { value in
                    if let promoted = Self.switchedMaster(value, named: name) { continuation.yield(.switched(promoted)) }
                })
        } catch {
            return
        }
        subscriber.closeFuture.whenComplete { _ in continuation.finish() }
        subscriber.write(unanswered: [RESPCommand("SUBSCRIBE", "+switch-master")])
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                continuation.yield(.check)
                while (try? await Task.sleep(for: checkInterval)) != nil { continuation.yield(.check) }
            }
            await withTaskCancellationHandler {
                for await event in events {
                    switch event {
                    case .switched(let promoted) where role == .primary:
                        logger.info(
                            "Sentinel: +switch-master", metadata: ["redis.sentinel.master": "\(masterName)", "redis.primary": "\(promoted)"])
                        state.withLock { $0.hint = promoted }
                        await node.relocate(to: promoted)
                    case .switched, .check:
                        await reconcile(node)
                    }
                }
            } onCancel: {
                continuation.finish()
            }
            group.cancelAll()
        }
        await subscriber.close(graceful: false)
    }

    /// The new primary of `masterName` in a `+switch-master` message
    /// (`name old-ip old-port new-ip new-port`), or nil.
    static func switchedMaster(_ value: RESPValue, named masterName: String) -> RedisEndpoint? {
        guard let items = value.elements, items.count == 3, items[0].string == "message", items[1].string == "+switch-master",
            let text = items[2].string
        else { return nil }
        let words = text.split(separator: " ")
        guard words.count == 5, words[0] == masterName, let port = Int(words[4]) else { return nil }
        return RedisEndpoint(host: String(words[3]), port: port)
    }
}

extension RedisClientConfiguration {
    /// The settings for talking to the Sentinels of `url`: their own credentials (the URL's
    /// `sentinel_username` / `sentinel_password`), never the data nodes' or their provider's,
    /// and no database.
    package func forSentinels(of url: RedisURL) -> RedisClientConfiguration {
        var c = self
        c.username = url.options.sentinelUsername
        c.password = url.options.sentinelPassword
        c.credentialProvider = nil
        c.database = 0
        return c
    }
}
