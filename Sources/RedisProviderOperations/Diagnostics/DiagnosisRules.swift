import RedisProvider

/// The decisions of a diagnosis: what each observation means (ok, warning, failed) and
/// which hint goes with it. Pure functions over what the I/O found, unit-tested without
/// servers; `RedisDoctor` only gathers the observations.
public enum DiagnosisRules {
    // MARK: - URL and mode

    /// The URL step: the redacted URL, or why it does not parse.
    public static func urlStep(_ result: Result<RedisURL, RedisError>) -> DiagnosisStep {
        switch result {
        case .success(let url):
            return DiagnosisStep("URL", .ok, url.description)
        case .failure(let error):
            return DiagnosisStep(
                "URL", .failed, error.message,
                fix: "Correct the URL given with --url or REDIS_URL (the redis-url secret in Kubernetes).")
        }
    }

    /// Cluster or standalone, and the rule that decided.
    public static func modeStep(_ url: RedisURL) -> DiagnosisStep {
        let mode = url.mode
        return DiagnosisStep("Mode", .ok, "\(mode.kind.rawValue): \(mode.reason)")
    }

    // MARK: - DNS and TCP

    /// `true` for an IPv4 or IPv6 literal, which needs no lookup.
    public static func isIPAddress(_ host: String) -> Bool {
        if host.contains(":") { return host.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." || $0 == "%" } }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
    }

    /// One step per seed host: the addresses it resolved to, or the failure. A host that
    /// does not resolve is a warning while another seed resolves, else a failure.
    public static func dnsSteps(_ lookups: [(host: String, addresses: [String], duration: Duration)]) -> [DiagnosisStep] {
        let anyResolved = lookups.contains { !$0.addresses.isEmpty }
        return lookups.map { lookup in
            let name = "DNS \(lookup.host)"
            if isIPAddress(lookup.host) {
                return DiagnosisStep(name, .ok, "an IP address; no lookup needed", duration: lookup.duration)
            }
            if lookup.addresses.isEmpty {
                return DiagnosisStep(
                    name, anyResolved ? .warning : .failed, "does not resolve", fix: DiagnosisHints.dnsFailure(host: lookup.host),
                    duration: lookup.duration)
            }
            let n = lookup.addresses.count
            return DiagnosisStep(
                name, .ok, "\(n) address\(n == 1 ? "" : "es"): \(lookup.addresses.joined(separator: ", "))", duration: lookup.duration)
        }
    }

    /// One step per address: connected, or why not. An address that refuses is a warning
    /// while another one accepts, else a failure.
    public static func tcpSteps(
        _ attempts: [(address: RedisEndpoint, host: String, error: RedisError?, duration: Duration)]
    ) -> [DiagnosisStep] {
        let anyConnected = attempts.contains { $0.error == nil }
        return attempts.map { attempt in
            let name = "TCP \(attempt.address)"
            guard let error = attempt.error else {
                return DiagnosisStep(name, .ok, "connected in \(format(attempt.duration))", duration: attempt.duration)
            }
            return DiagnosisStep(
                name, anyConnected ? .warning : .failed, error.message,
                fix: DiagnosisHints.connectFailure(error.kind, address: attempt.address.description, host: attempt.host),
                duration: attempt.duration)
        }
    }

    // MARK: - TLS and handshake

    /// The name of the handshake step: `AUTH` when the URL has a password, else `Handshake`.
    public static func handshakeName(_ url: RedisURL) -> String { url.password != nil ? "AUTH" : "Handshake" }

    /// The TLS step (for `rediss://`) and the handshake step, from how connecting (TLS,
    /// `HELLO`/`AUTH`, `SELECT`) ended. `protocolVersion` is the agreed RESP version.
    public static func handshakeSteps(
        _ url: RedisURL, endpoint: RedisEndpoint, result: Result<Int, RedisError>, duration: Duration
    ) -> [DiagnosisStep] {
        var steps: [DiagnosisStep] = []
        let auth = handshakeName(url)
        let user = url.username ?? "default"
        let o = url.options
        switch result {
        case .success(let version):
            if url.tls {
                if o.tlsInsecure == true {
                    steps.append(
                        DiagnosisStep(
                            "TLS", .warning, "encrypted, but the certificate is not verified (tls_insecure=true)",
                            fix: "Give the server's CA with tls_ca_file=PATH and drop tls_insecure, so that a man in the middle is refused."))
                } else {
                    let trust = o.tlsCAFile.map { "the CA in \($0)" } ?? "the system trust store"
                    steps.append(DiagnosisStep("TLS", .ok, "certificate of \(o.tlsServerName ?? endpoint.host) verified against \(trust)"))
                }
            }
            let who = url.password != nil ? "authenticated as \(user)" : "no password needed"
            let db = url.database.map { ", database \($0)" } ?? ""
            steps.append(DiagnosisStep(auth, .ok, "\(who), RESP\(version)\(db)", duration: duration))
        case .failure(let error):
            switch error.kind {
            case .tls:
                steps.append(DiagnosisStep("TLS", .failed, error.message, fix: DiagnosisHints.tlsFailure(caFile: o.tlsCAFile), duration: duration))
                steps.append(.skipped(auth, because: "TLS failed"))
            case .invalidConfiguration where error.message.contains("TLS files"):
                steps.append(DiagnosisStep("TLS", .failed, error.message, fix: "Check the tls_ca_file, tls_cert_file and tls_key_file paths.", duration: duration))
                steps.append(.skipped(auth, because: "TLS failed"))
            case .authentication:
                if url.tls { steps.append(DiagnosisStep("TLS", .ok, "handshake completed")) }
                steps.append(
                    DiagnosisStep(
                        auth, .failed, error.serverError.map { "\($0.code): the server refused the credentials of \(user)" } ?? error.message,
                        fix: DiagnosisHints.authentication(code: error.serverError.map { String($0.code) }, user: url.username), duration: duration))
            case .connectionRefused, .dnsFailure:
                // Only when no TCP check ran first (a probe): the connection itself failed.
                if url.tls { steps.append(.skipped("TLS", because: "no connection")) }
                steps.append(
                    DiagnosisStep(
                        auth, .failed, error.message,
                        fix: DiagnosisHints.connectFailure(error.kind, address: endpoint.description, host: endpoint.host),
                        duration: duration))
            default:
                if url.tls { steps.append(.skipped("TLS", because: "not confirmed: the connection failed before the handshake finished")) }
                var fix = "Check that this address is reachable and serves Redis or Valkey"
                if !url.tls { fix += ", and whether it expects TLS (then use rediss://)" }
                steps.append(DiagnosisStep(auth, .failed, error.message, fix: fix + ".", duration: duration))
            }
        }
        return steps
    }

    // MARK: - PING and the server

    /// The `PING` step: the reply and its round trip, or the error.
    public static func pingStep(_ result: Result<String, RedisError>, duration: Duration) -> DiagnosisStep {
        switch result {
        case .success(let reply):
            return DiagnosisStep("PING", .ok, "\(reply) in \(format(duration))", duration: duration)
        case .failure(let error):
            if error.serverError?.code == "LOADING" {
                return DiagnosisStep(
                    "PING", .failed, error.message, fix: "The server is loading its data set; wait until it finishes.", duration: duration)
            }
            return DiagnosisStep(
                "PING", .failed, error.message, fix: "Check the server's log; the connection opened but PING got no reply.",
                duration: duration)
        }
    }

    /// In standalone mode: what `INFO` says about the server (`role`, `cluster_enabled`,
    /// `redis_version`/`valkey_version`, `connected_slaves`).
    public static func standaloneServerStep(info: [String: String]) -> DiagnosisStep {
        let product = info["valkey_version"].map { "Valkey \($0)" } ?? info["redis_version"].map { "Redis \($0)" } ?? "server"
        if info["cluster_enabled"] == "1" {
            return DiagnosisStep(
                "Server", .warning, "\(product) is a Redis Cluster node, but the URL selects standalone mode: keys of other nodes' slots fail with MOVED",
                fix: "Add ?cluster=true to the URL (or name every node) so the cluster client is used.")
        }
        if info["role"] == "slave" || info["role"] == "replica" {
            let primary = info["master_host"].map { " of \($0):\(info["master_port"] ?? "?")" } ?? ""
            return DiagnosisStep(
                "Server", .warning, "\(product) is a read-only replica\(primary): writes fail with READONLY",
                fix: "Point the URL at the primary.")
        }
        let replicas = Int(info["connected_slaves"] ?? "") ?? 0
        return DiagnosisStep("Server", .ok, "\(product), primary with \(replicas) replica\(replicas == 1 ? "" : "s")")
    }

    // MARK: - Formatting

    /// A duration as `0.42 ms`, `12.3 ms` or `1.20 s`.
    public static func format(_ duration: Duration) -> String {
        let ms = milliseconds(duration)
        if ms >= 1000 { return decimal(ms / 1000, 2) + " s" }
        return decimal(ms, ms < 10 ? 2 : 1) + " ms"
    }

    /// The duration in (fractional) milliseconds.
    public static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    /// Slot ranges as `0-99, 200, 5000-5460`.
    public static func format(slots: [ClosedRange<Int>]) -> String {
        slots.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: ", ")
    }

    /// `value` with `decimals` digits after the point (non-negative values), without Foundation.
    static func decimal(_ value: Double, _ decimals: Int) -> String {
        var scale = 1
        for _ in 0..<decimals { scale *= 10 }
        let scaled = Int((value * Double(scale)).rounded())
        guard decimals > 0 else { return "\(scaled)" }
        let fraction = String(scaled % scale)
        return "\(scaled / scale)." + String(repeating: "0", count: decimals - fraction.count) + fraction
    }
}
