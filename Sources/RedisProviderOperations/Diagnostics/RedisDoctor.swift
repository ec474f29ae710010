import RESP
import Synchronization
import RedisProvider

/// Walks the troubleshooting list for a Redis URL — URL, mode, DNS, TCP, TLS, AUTH, `PING`,
/// and for a cluster its state, slot coverage, every node, replicas and latency — and
/// reports each check as a ``DiagnosisStep``. Once a check fails, the checks that need it
/// are reported as skipped.
///
/// The whole diagnosis ends within ``DoctorOptions/timeout``: every connection and command
/// is bounded by the time left, and checks still running at the deadline are reported as
/// failed. Passwords never appear in the report.
///
/// ```swift
/// let report = await RedisDoctor().diagnose(url: "redis://redis-cluster.redis.svc.cluster.local:6379?cluster=true")
/// for step in report.steps { print(step.status, step.name, step.detail) }
/// ```
public struct RedisDoctor: Sendable {
    public var options: DoctorOptions

    public init(options: DoctorOptions = .init()) {
        self.options = options
    }

    /// Diagnoses the server or cluster `url` names. Never throws: every problem is a step.
    public func diagnose(url text: String) async -> DiagnosisReport {
        let deadline = ContinuousClock.now + options.timeout
        let recorder = Recorder()
        let finished = await firstResult(before: deadline) { await walk(text, deadline: deadline, recorder) } != nil
        var report = recorder.report
        if !finished {
            let limit = RedisURL.format(options.timeout)
            let current = recorder.current ?? "Diagnosis"
            report.steps.append(
                DiagnosisStep(
                    current, .failed, "no result within the time limit of \(limit)",
                    fix: "The server or network does not answer in time: check that the address serves Redis and is not firewalled, or allow more time (--timeout)."))
            report.steps += DiagnosisPlan.skippedSteps(
                after: report.steps, plan: recorder.plan, reason: "the time limit of \(limit) was reached")
        }
        return report
    }

    // MARK: - The walk

    private func walk(_ text: String, deadline: ContinuousClock.Instant, _ recorder: Recorder) async {
        recorder.begin("URL", plan: DiagnosisPlan.steps(for: nil, quick: options.quick))
        let parsed: Result<RedisURL, RedisError>
        do throws(RedisError) { parsed = .success(try RedisURL(text)) } catch { parsed = .failure(error) }
        recorder.add(DiagnosisRules.urlStep(parsed))
        guard case .success(let url) = parsed else { return recorder.skipRest("the URL does not parse") }
        recorder.setURL(url, plan: DiagnosisPlan.steps(for: url, quick: options.quick))
        recorder.add(DiagnosisRules.modeStep(url))

        let connection: RedisConnection?
        if options.quick {
            connection = await connectToAnySeed(url, deadline: deadline, recorder)
        } else {
            connection = await checkNetworkThenConnect(url, deadline: deadline, recorder)
        }
        guard let connection else { return }
        await examine(url, on: connection, deadline: deadline, recorder)
        await connection.close(graceful: false)
    }

    /// The checks that run on the connection the walk opened.
    private func examine(_ url: RedisURL, on connection: RedisConnection, deadline: ContinuousClock.Instant, _ recorder: Recorder) async {
        recorder.begin("PING")
        let (pong, pingTime) = await DiagnosisProbes.send(RESPCommand("PING"), on: connection)
        recorder.add(DiagnosisRules.pingStep(pong.map { $0.string ?? "\($0)" }, duration: pingTime))
        guard case .success = pong else { return recorder.skipRest("PING failed") }

        if url.mode.kind == .sentinel {
            await checkSentinels(url, on: connection, deadline: deadline, recorder)
        } else if url.mode.isCluster {
            if options.quick {
                recorder.begin("Cluster state")
                let (info, _) = await DiagnosisProbes.send(RESPCommand("CLUSTER", "INFO"), on: connection)
                let report = DiagnosisRules.clusterInfoReport(info.map { InfoFields.parse($0.string ?? "") }, node: connection.endpoint)
                recorder.add(DiagnosisRules.clusterStateStep(report))
            } else {
                await checkCluster(url, deadline: deadline, recorder)
            }
        } else if !options.quick {
            recorder.begin("Server")
            let (info, _) = await DiagnosisProbes.send(RESPCommand("INFO"), on: connection)
            switch info {
            case .success(let reply): recorder.add(DiagnosisRules.standaloneServerStep(info: InfoFields.parse(reply.string ?? "")))
            case .failure(let e): recorder.add(DiagnosisStep("Server", .warning, "INFO failed: \(e.message)", fix: "Allow the user to run INFO to see the server's role."))
            }
        }
    }

    /// DNS for every seed host, TCP to every address, then the handshake with the first seed
    /// that accepted a connection.
    private func checkNetworkThenConnect(_ url: RedisURL, deadline: ContinuousClock.Instant, _ recorder: Recorder) async -> RedisConnection? {
        var hosts: [String] = []
        for e in url.endpoints where !hosts.contains(e.host) { hosts.append(e.host) }
        recorder.begin("DNS \(hosts[0])")
        let lookups = await withTaskGroup(of: (Int, [String], Duration).self) { group in
            for (i, host) in hosts.enumerated() {
                group.addTask {
                    let (addresses, duration) = await DiagnosisProbes.resolve(host)
                    return (i, addresses, duration)
                }
            }
            var all: [(Int, [String], Duration)] = []
            for await r in group { all.append(r) }
            return all.sorted { $0.0 < $1.0 }.map { (host: hosts[$0.0], addresses: $0.1, duration: $0.2) }
        }
        recorder.add(DiagnosisRules.dnsSteps(lookups))
        let addressesOf = Dictionary(lookups.map { ($0.host, $0.addresses) }, uniquingKeysWith: { a, _ in a })
        var targets: [(address: RedisEndpoint, host: String)] = []
        for seed in url.endpoints {
            for a in addressesOf[seed.host] ?? [] where !targets.contains(where: { $0.address == RedisEndpoint(host: a, port: seed.port) }) {
                targets.append((RedisEndpoint(host: a, port: seed.port), seed.host))
            }
        }
        guard !targets.isEmpty else {
            recorder.skipRest("no seed host resolves")
            return nil
        }

        recorder.begin("TCP \(targets[0].address)")
        let timeout = timeLeft(deadline, atMost: RedisClientConfiguration(url: url).connectTimeout)
        let attempts = await withTaskGroup(of: (Int, RedisError?, Duration).self) { group in
            for (i, target) in targets.enumerated() {
                group.addTask {
                    let (error, duration) = await DiagnosisProbes.tcpConnect(target.address, timeout: timeout)
                    return (i, error, duration)
                }
            }
            var all: [(Int, RedisError?, Duration)] = []
            for await r in group { all.append(r) }
            return all.sorted { $0.0 < $1.0 }.map { (address: targets[$0.0].address, host: targets[$0.0].host, error: $0.1, duration: $0.2) }
        }
        recorder.add(DiagnosisRules.tcpSteps(attempts))
        let open = Set(attempts.filter { $0.error == nil }.map(\.host))
        guard let seed = url.endpoints.first(where: { open.contains($0.host) }) else {
            recorder.skipRest("no address accepts connections")
            return nil
        }
        // Through the seed's own name, so that TLS verifies the certificate for it.
        let reachableSeeds = url.endpoints.filter { seed in
            attempts.contains { $0.error == nil && $0.host == seed.host && $0.address.port == seed.port }
        }
        return await handshake(url, seed: reachableSeeds.first ?? seed, deadline: deadline, recorder)
    }

    /// The handshake with the seeds in turn until one succeeds (a probe's only connection).
    private func connectToAnySeed(_ url: RedisURL, deadline: ContinuousClock.Instant, _ recorder: Recorder) async -> RedisConnection? {
        for (i, seed) in url.endpoints.enumerated() {
            let last = i == url.endpoints.count - 1
            if let connection = await handshake(url, seed: seed, deadline: deadline, recorder, record: last ? .always : .onSuccess) {
                return connection
            }
        }
        return nil
    }

    private enum Record { case always, onSuccess }

    private func handshake(
        _ url: RedisURL, seed: RedisEndpoint, deadline: ContinuousClock.Instant, _ recorder: Recorder, record: Record = .always
    ) async -> RedisConnection? {
        recorder.begin(url.tls ? "TLS" : DiagnosisRules.handshakeName(url))
        var settings = configuration(url, deadline: deadline)
        if url.sentinelMasterName != nil { settings = settings.forSentinels(of: url) }
        let (result, duration) = await DiagnosisProbes.connect(seed, settings)
        if case .failure = result, record == .onSuccess { return nil }
        recorder.add(DiagnosisRules.handshakeSteps(url, endpoint: seed, result: result.map(\.protocolVersion), duration: duration))
        switch result {
        case .success(let connection):
            return connection
        case .failure:
            recorder.skipRest("the connection could not be set up")
            return nil
        }
    }

    /// Cluster state, slots, every node, replicas and latency, from `ClusterInspector`.
    private func checkCluster(_ url: RedisURL, deadline: ContinuousClock.Instant, _ recorder: Recorder) async {
        recorder.begin("Cluster state")
        let base = configuration(url, deadline: deadline)
        let report = await ClusterInspector.inspect(
            seeds: url.endpoints, configuration: base, addressMap: options.addressMap,
            timeout: timeLeft(deadline, atMost: base.connectTimeout))
        recorder.add(DiagnosisRules.clusterStateStep(report))
        if DiagnosisRules.clusterUnavailable(report) { return recorder.skipRest("no cluster node answered") }
        recorder.add(DiagnosisRules.slotCoverageSteps(report))

        recorder.begin("Nodes")
        let addressMap = options.addressMap
        let nodeConfiguration = configuration(url, deadline: deadline)
        let roundTrips = await withTaskGroup(of: (String, Result<Duration, RedisError>)?.self) { group in
            // Unreachable nodes too: the attempt tells why (DNS, refused, timeout) as a kind.
            for node in report.nodes {
                guard let endpoint = DiagnosisRules.endpoint(of: node, addressMap: addressMap) else { continue }
                group.addTask { (node.id, await DiagnosisProbes.roundTrip(endpoint, nodeConfiguration)) }
            }
            var all: DiagnosisRules.RoundTrips = [:]
            for await case let (id, rtt)? in group { all[id] = rtt }
            return all
        }
        recorder.add(DiagnosisRules.nodeSteps(report, roundTrips: roundTrips, addressMap: addressMap))
        recorder.add(DiagnosisRules.rolesStep(report))
        recorder.add(DiagnosisRules.latencyStep(report, roundTrips: roundTrips, slow: options.slowRoundTrip))
    }

    /// What every Sentinel says the primary is, the quorum, the replicas, and the announced
    /// primary itself (reached with the URL's credentials, as the client will).
    private func checkSentinels(_ url: RedisURL, on connection: RedisConnection, deadline: ContinuousClock.Instant, _ recorder: Recorder) async {
        let name = url.sentinelMasterName ?? ""
        recorder.begin("Sentinels")
        let sentinelConfiguration = configuration(url, deadline: deadline).forSentinels(of: url)
        let answers = await withTaskGroup(of: (Int, Result<RedisEndpoint?, RedisError>).self) { group in
            for (i, sentinel) in url.endpoints.enumerated() {
                group.addTask {
                    let (c, _) = await DiagnosisProbes.connect(sentinel, sentinelConfiguration)
                    guard case .success(let c) = c else {
                        if case .failure(let e) = c { return (i, .failure(e)) }
                        return (i, .success(nil))
                    }
                    let (reply, _) = await DiagnosisProbes.send(RESPCommand("SENTINEL", "GET-MASTER-ADDR-BY-NAME", name), on: c)
                    await c.close(graceful: false)
                    return (i, reply.map(\.sentinelAddress))
                }
            }
            var all: [(Int, Result<RedisEndpoint?, RedisError>)] = []
            for await r in group { all.append(r) }
            return all.sorted { $0.0 < $1.0 }.map { (sentinel: url.endpoints[$0.0], answer: $0.1) }
        }
        let (step, primary) = DiagnosisRules.sentinelsStep(answers, masterName: name)
        recorder.add(step)
        guard let primary else { return recorder.skipRest("no Sentinel named a primary") }
        if !options.quick {
            recorder.begin("Quorum")
            recorder.add(DiagnosisRules.quorumStep(await DiagnosisProbes.send(RESPCommand("SENTINEL", "CKQUORUM", name), on: connection).result, masterName: name))
            recorder.begin("Replicas")
            let replicas = await DiagnosisProbes.send(RESPCommand("SENTINEL", "REPLICAS", name), on: connection).result
            // Each replica's own word on its link (ROLE), fresher than the Sentinel's.
            var linkStates: [String: String] = [:]
            let dataConfiguration = configuration(url, deadline: deadline)
            for record in (try? replicas.get())?.sentinelRecords ?? [] {
                guard let ip = record["ip"], let port = record["port"].flatMap({ Int($0) }) else { continue }
                guard case .success(let c) = await DiagnosisProbes.connect(RedisEndpoint(host: ip, port: port), dataConfiguration).result else { continue }
                if case .success(let role) = await DiagnosisProbes.send(RESPCommand("ROLE"), on: c).result, let items = role.elements, items.count > 3,
                    let state = items[3].string
                {
                    linkStates["\(ip):\(port)"] = state
                }
                await c.close(graceful: false)
            }
            recorder.add(DiagnosisRules.replicasStep(replicas, masterName: name, linkStates: linkStates))
        }
        recorder.begin("Primary")
        let (reached, _) = await DiagnosisProbes.connect(primary, configuration(url, deadline: deadline))
        let role: Result<String, RedisError>
        switch reached {
        case .success(let c):
            let (reply, _) = await DiagnosisProbes.send(RESPCommand("ROLE"), on: c)
            await c.close(graceful: false)
            role = reply.map { $0.elements?.first?.string ?? "unknown" }
        case .failure(let e):
            role = .failure(e)
        }
        recorder.add(DiagnosisRules.primaryStep(primary, role: role))
    }

    // MARK: - Time

    /// The URL's configuration with every timeout cut to the time left.
    private func configuration(_ url: RedisURL, deadline: ContinuousClock.Instant) -> RedisClientConfiguration {
        var c = RedisClientConfiguration(url: url)
        c.connectTimeout = timeLeft(deadline, atMost: c.connectTimeout)
        c.commandTimeout = timeLeft(deadline, atMost: c.commandTimeout ?? options.timeout)
        return c
    }

    /// `limit`, or a little more than the time left when that is shorter: the deadline, not
    /// the operation's own timeout, then ends the wait and names the step in progress.
    private func timeLeft(_ deadline: ContinuousClock.Instant, atMost limit: Duration) -> Duration {
        max(.milliseconds(1), min(limit, deadline - ContinuousClock.now + .milliseconds(100)))
    }
}

extension RedisDoctor {

    /// The steps so far, shared between the walk and a deadline that may cut it short.
    final class Recorder: Sendable {
        private struct State {
            var url: RedisURL?
            var steps: [DiagnosisStep] = []
            var current: String?
            var plan: [String] = []
        }

        private let state = Mutex(State())

        func begin(_ name: String, plan: [String]? = nil) {
            state.withLock {
                $0.current = name
                if let plan { $0.plan = plan }
            }
        }

        func setURL(_ url: RedisURL, plan: [String]) { state.withLock { $0.url = url; $0.plan = plan } }

        func add(_ step: DiagnosisStep) { add([step]) }

        /// Records `steps`, unless the walk was cancelled at the time limit: what it finds
        /// while it winds down is its cancellation, not a finding (the limit is reported instead).
        func add(_ steps: [DiagnosisStep]) {
            guard !Task.isCancelled else { return }
            state.withLock { $0.steps += steps; $0.current = nil }
        }

        /// Reports the planned checks not reached yet as skipped because of `reason`.
        func skipRest(_ reason: String) {
            guard !Task.isCancelled else { return }
            state.withLock { $0.steps += DiagnosisPlan.skippedSteps(after: $0.steps, plan: $0.plan, reason: reason) }
        }

        var current: String? { state.withLock { $0.current } }
        var plan: [String] { state.withLock { $0.plan } }

        var report: DiagnosisReport {
            state.withLock { s in
                DiagnosisReport(url: s.url?.description, mode: s.url.map { $0.mode.kind.rawValue }, steps: s.steps)
            }
        }
    }
}
