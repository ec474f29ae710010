import RedisProvider

/// Everything `RedisDoctor` found, in the order it checked.
public struct DiagnosisReport: Sendable, Hashable, Codable {
    /// The URL checked, password replaced by `***`; `nil` when it did not parse.
    public var url: String?
    /// `cluster` or `standalone`, when the URL parsed.
    public var mode: String?
    /// The checks, in order; skipped ones say why.
    public var steps: [DiagnosisStep]

    public init(url: String? = nil, mode: String? = nil, steps: [DiagnosisStep]) {
        self.url = url
        self.mode = mode
        self.steps = steps
    }

    /// `true` when no check failed (warnings allowed).
    public var isHealthy: Bool { !steps.contains { $0.status == .failed } }

    /// The checks that failed, in order.
    public var failures: [DiagnosisStep] { steps.filter { $0.status == .failed } }

    /// The checks that passed with a warning, in order.
    public var warnings: [DiagnosisStep] { steps.filter { $0.status == .warning } }

    /// One line for a log or a probe: `healthy` or the first failure with its fix.
    public var summary: String {
        guard let first = failures.first else {
            let w = warnings.count
            return "healthy" + (w > 0 ? " (\(w) warning\(w == 1 ? "" : "s"): \(warnings[0].name): \(warnings[0].detail))" : "")
        }
        return "unhealthy: \(first.name): \(first.detail)" + (first.fix.map { " — \($0)" } ?? "")
    }
}

extension DiagnosisReport {
    private enum CodingKeys: String, CodingKey {
        case healthy, url, mode, steps
    }

    /// Encodes `healthy` too, so that JSON readers need not recompute it.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(isHealthy, forKey: .healthy)
        try c.encodeIfPresent(url, forKey: .url)
        try c.encodeIfPresent(mode, forKey: .mode)
        try c.encode(steps, forKey: .steps)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            url: try c.decodeIfPresent(String.self, forKey: .url), mode: try c.decodeIfPresent(String.self, forKey: .mode),
            steps: try c.decode([DiagnosisStep].self, forKey: .steps))
    }
}
