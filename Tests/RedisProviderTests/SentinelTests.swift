import NIOCore
import NIOPosix
import RESP
import RedisProviderTestSupport
import Synchronization
import Testing

@testable import RedisProvider

/// A primary and two replicas watched by three Sentinels, all real processes: the client finds
/// the primary through them and follows every failover.
@Suite struct SentinelTests {
    /// Runs `body` with a fresh deployment and a running provider for it.
    func withDeployment(
        _ options: RedisSentinelDeployment.Options = .init(), query: String = "",
        _ body: (RedisProvider, RedisSentinelDeployment) async throws -> Void
    ) async throws {
        let deployment = try await RedisSentinelDeployment.start(options)
        defer { deployment.stop() }
        let provider = try RedisProvider(url: deployment.url + query)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await provider.run() }
            do {
                try await body(provider, deployment)
            } catch {
                group.cancelAll()
                throw error
            }
            group.cancelAll()
        }
    }

    @Test func urlsNameTheSentinelsAndThePrimary() throws {
        let url = try RedisURL("redis+sentinel://:secret@s1:26380,s2,[::1]:26381/mymaster/2?role=replica&sentinel_password=sp&failover_budget=90s")
        #expect(url.options.failoverBudget == .seconds(90))
        #expect(url.sentinelMasterName == "mymaster")
        #expect(url.endpoints.map(\.port) == [26380, 26379, 26381], "26379 by default")
        #expect(url.database == 2 && url.password == "secret" && url.options.sentinelPassword == "sp")
        #expect(url.options.sentinelRole == .replica)
        #expect(url.mode.kind == .sentinel)
        #expect(url.mode.description.contains("3 Sentinels watching 'mymaster'"))
        #expect(!url.description.contains("secret") && !url.description.contains("=sp"))
        #expect(try RedisURL(url.description.replacingOccurrences(of: "***", with: "x")).sentinelMasterName == "mymaster")
        for bad in [
            "redis+sentinel://s1:26379", "redis+sentinel://s1/m?cluster=true", "redis://h?role=replica", "redis+sentinel://s/a/b/c",
            "redis://h?failover_budget=60s",
        ] {
            #expect(throws: RedisError.self, "\(bad)") { try RedisURL(bad) }
        }
    }

    @Test func findsThePrimaryAndReadsFromReplicas() async throws {
        try await withDeployment { provider, deployment in
            #expect(provider.mode.kind == .sentinel)
            try await provider.set("k", "v")
            // Generous: a first connection asks the Sentinels and checks ROLE, slow on a loaded machine.
            let health = await provider.health(timeout: .seconds(15))
            #expect(health.mode == "sentinel" && health.status == .healthy, "\(health)")
            #expect(try await provider.get("k", as: String.self) == "v")
            let primary = try await deployment.primary()
            guard case .standalone(let client) = provider.backend else { Issue.record("not a standalone backend"); return }
            #expect(client.node.endpoint.port == primary.port)
            // role=replica: a replica of the same deployment, which refuses writes.
            let reader = try RedisClient(url: try RedisURL(deployment.url + "?role=replica"))
            #expect(try await eventually { (try? await reader.get("k", as: String.self)) == "v" })
            #expect(reader.node.endpoint.port != primary.port)
            let refused = await redisError { try await reader.set("w", "x") }
            #expect(refused?.serverError?.code == "READONLY")
            await reader.shutdown()
        }
    }

    /// kill -9 of the primary while 50 tasks read and write: reads never fail, the client
    /// follows the promoted replica, and only writes that are not idempotent and may have run
    /// report `outcomeUnknown`. Prints how long after the Sentinels' `+switch-master` the
    /// first write was served (the measurement of the issue; not asserted).
    @Test func killedPrimaryUnderLoad() async throws {
        try await withDeployment { provider, deployment in
            let old = try await deployment.primary()
            let errors = Collector<String>()
            let outcomeUnknown = Collector<String>()
            let stop = AtomicFlag()
            let killedAt = Moment()
            let switchedAt = Moment()
            let writeServedAt = Moment()
            // The announcement, as a subscriber of another Sentinel sees it.
            let listener = try await RedisConnection.connect(
                to: deployment.sentinels[1].endpoint, configuration: RedisClientConfiguration(), eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
                sslContext: nil, isSubscriber: true,
                onPush: { value in if SentinelWatch.switchedMaster(value, named: "mymaster") != nil { switchedAt.setOnce() } })
            listener.write(unanswered: [RESPCommand("SUBSCRIBE", "+switch-master")])
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<50 {
                    group.addTask {
                        var n = 0
                        while !stop.isSet {
                            n += 1
                            let key = "k:\(task):\(n % 10)"
                            do {
                                switch n % 3 {
                                case 0: _ = try await provider.get(key)
                                case 1:
                                    try await provider.set(key, n)
                                    if switchedAt.value != nil { writeServedAt.setOnce() }
                                default: _ = try await provider.send("INCR", "counter:\(task)")
                                }
                            } catch let e as RedisError where e.kind == .outcomeUnknown && n % 3 == 2 {
                                outcomeUnknown.append(e.message)
                            } catch {
                                errors.append("\(n % 3 == 0 ? "GET" : n % 3 == 1 ? "SET" : "INCR"): \(error)")
                            }
                        }
                    }
                }
                try await Task.sleep(for: .milliseconds(300))
                deployment.kill(old)
                killedAt.setOnce()
                let promoted = try await deployment.waitForFailover(from: old)
                #expect(try await eventually(.seconds(10)) { writeServedAt.value != nil })
                stop.set()
                try await group.waitForAll()
                guard case .standalone(let client) = provider.backend else { return }
                #expect(client.node.endpoint.port == promoted.port)
            }
            await listener.close(graceful: false)
            #expect(errors.all.isEmpty, "\(errors.all.prefix(5))")
            if let killed = killedAt.value, let switched = switchedAt.value, let served = writeServedAt.value {
                print("Sentinel failover: kill -9 → +switch-master \(switched - killed); +switch-master → first write served \(served - switched); \(outcomeUnknown.all.count) INCRs outcomeUnknown")
            }
        }
    }

    /// Data nodes with a password from a credential provider, Sentinels without one: each
    /// gets its own credentials.
    @Test func dataNodeCredentialsComeFromTheProviderAndNotToTheSentinels() async throws {
        var options = RedisSentinelDeployment.Options()
        options.password = "data-pw"
        let deployment = try await RedisSentinelDeployment.start(options)
        defer { deployment.stop() }
        let url = try RedisURL(deployment.url.replacingOccurrences(of: ":data-pw@", with: ""))
        #expect(url.password == nil)
        var configuration = RedisClientConfiguration(url: url)
        configuration.credentialProvider = RedisCredentialClosure { RedisCredentials(password: "data-pw") }
        let client = try RedisClient(sentinelURL: url, configuration: configuration)
        try await client.set("k", "v")
        #expect(try await client.get("k", as: String.self) == "v")
        await client.shutdown()
    }

    /// A graceful `SENTINEL FAILOVER` under load: no errors at all, the client on the new primary.
    @Test func gracefulFailoverCausesNoErrors() async throws {
        try await withDeployment { provider, deployment in
            let old = try await deployment.primary()
            let load = Load(tasks: 20) { n, _ in
                try await provider.set("g:\(n % 20)", n)
                _ = try await provider.get("g:\(n % 20)")
            }
            try await Task.sleep(for: .milliseconds(200))
            _ = try await deployment.ask(deployment.sentinels[0], RESPCommand("SENTINEL", "FAILOVER", deployment.options.masterName))
            let promoted = try await deployment.waitForFailover(from: old)
            guard case .standalone(let client) = provider.backend else { return }
            #expect(try await eventually(.seconds(10)) { client.node.endpoint.port == promoted.port })
            try await Task.sleep(for: .milliseconds(300))
            let errors = await load.stop()
            #expect(errors.isEmpty, "\(errors.prefix(5))")
        }
    }

    /// With the first Sentinel dead, the others answer and announce the failover; with all of
    /// them dead, a command that must reconnect waits for one to come back.
    @Test func deadSentinelsAreRiddenOut() async throws {
        try await withDeployment { provider, deployment in
            try await provider.set("a", "1")
            deployment.kill(deployment.sentinels[0])
            let old = try await deployment.primary()
            deployment.kill(old)
            let promoted = try await deployment.waitForFailover(from: old)
            try await provider.set("a", "2")
            guard case .standalone(let client) = provider.backend else { return }
            #expect(client.node.endpoint.port == promoted.port)

            // Every Sentinel down, and the client's connections cut: the next command finds no
            // Sentinel until they are back, and then goes through.
            let sentinels = deployment.sentinels
            for s in sentinels.dropFirst() { deployment.kill(s) }
            _ = try await RedisClient(url: promoted.url).send("CLIENT", "KILL", "TYPE", "normal")
            let write = Task { try await provider.set("a", "3") }
            try await Task.sleep(for: .seconds(1))
            for s in sentinels { try await deployment.restart(s) }
            try await write.value
            #expect(try await provider.get("a", as: String.self) == "3")
        }
    }
}

/// An instant that tasks set once.
final class Moment: Sendable {
    private let instant = Mutex<ContinuousClock.Instant?>(nil)
    var value: ContinuousClock.Instant? { instant.withLock { $0 } }
    func setOnce() { instant.withLock { if $0 == nil { $0 = .now } } }
}
