import RedisProvider

/// The result of one check `RedisDoctor` ran: what was checked, how it went, what was seen,
/// and what to do when it did not go well.
public struct DiagnosisStep: Sendable, Hashable, Codable {
    /// How a check went.
    public enum Status: String, Sendable, Hashable, Codable, CaseIterable {
        /// Passed.
        case ok
        /// Works, but something deserves attention (a primary without replica, TLS without
        /// verification, …). A warning does not make the diagnosis unhealthy.
        case warning
        /// Failed: the provider cannot work like this.
        case failed
        /// Not run, because an earlier check it needs failed (`detail` says which).
        case skipped
    }

    /// What was checked, e.g. `DNS redis-cluster.redis.svc.cluster.local` or `PING`.
    public var name: String
    /// How it went.
    public var status: Status
    /// What was seen: addresses, the server's answer, the error.
    public var detail: String
    /// What to do about a warning or failure; `nil` when there is nothing to do.
    public var fix: String?
    /// How long the check took.
    public var duration: Duration

    public init(_ name: String, _ status: Status, _ detail: String, fix: String? = nil, duration: Duration = .zero) {
        self.name = name
        self.status = status
        self.detail = detail
        self.fix = fix
        self.duration = duration
    }

    /// A step not run because of `reason` (an earlier failure).
    public static func skipped(_ name: String, because reason: String) -> DiagnosisStep {
        DiagnosisStep(name, .skipped, "skipped: \(reason)")
    }

    /// The same step with its duration set.
    func timed(_ duration: Duration) -> DiagnosisStep {
        var step = self
        step.duration = duration
        return step
    }
}

extension DiagnosisStep {
    private enum CodingKeys: String, CodingKey {
        case name, status, detail, fix, durationMilliseconds
    }

    /// Encodes the duration as `durationMilliseconds`, a number, for JSON readers.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(status, forKey: .status)
        try c.encode(detail, forKey: .detail)
        try c.encodeIfPresent(fix, forKey: .fix)
        try c.encode(DiagnosisRules.milliseconds(duration), forKey: .durationMilliseconds)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            try c.decode(String.self, forKey: .name), try c.decode(Status.self, forKey: .status),
            try c.decode(String.self, forKey: .detail), fix: try c.decodeIfPresent(String.self, forKey: .fix),
            duration: .nanoseconds(Int64(((try c.decodeIfPresent(Double.self, forKey: .durationMilliseconds) ?? 0) * 1e6).rounded())))
    }
}

