import RESP
import RedisProvider

/// The Sentinel checks: what each Sentinel says, and what that means. Pure: the answers come in.
extension DiagnosisRules {
    /// One Sentinel's answer to `SENTINEL GET-MASTER-ADDR-BY-NAME`: the primary, none
    /// (it does not monitor that name), or why it could not be asked.
    public typealias SentinelAnswers = [(sentinel: RedisEndpoint, answer: Result<RedisEndpoint?, RedisError>)]

    /// Whether the Sentinels can be reached and agree on the primary.
    public static func sentinelsStep(_ answers: SentinelAnswers, masterName: String) -> (step: DiagnosisStep, primary: RedisEndpoint?) {
        var primaries: [RedisEndpoint: [RedisEndpoint]] = [:]
        var unreachable: [String] = []
        var unaware: [String] = []
        for (sentinel, answer) in answers {
            switch answer {
            case .success(let primary?): primaries[primary, default: []].append(sentinel)
            case .success(nil): unaware.append(sentinel.description)
            case .failure(let error): unreachable.append("\(sentinel) (\(error.message))")
            }
        }
        if primaries.isEmpty {
            if !unaware.isEmpty {
                return (
                    DiagnosisStep(
                        "Sentinels", .failed, "no Sentinel monitors a primary named '\(masterName)' (asked: \(unaware.joined(separator: ", ")))",
                        fix: "Check the name after the Sentinels in the URL against SENTINEL MASTERS on a Sentinel (Helm charts often call it mymaster)."),
                    nil
                )
            }
            return (
                DiagnosisStep(
                    "Sentinels", .failed, "no Sentinel answered: \(unreachable.joined(separator: "; "))",
                    fix: "Check that the Sentinels run and listen on these ports (26379 by default), and the sentinel_password option if they require one."),
                nil
            )
        }
        if primaries.count > 1 {
            let views = primaries.map { primary, sentinels in "\(sentinels.map(\.description).joined(separator: ", ")) say \(primary)" }.sorted()
            return (
                DiagnosisStep(
                    "Sentinels", .failed, "the Sentinels disagree about the primary of '\(masterName)': \(views.joined(separator: "; "))",
                    fix: "A failover may be under way (ask again in a few seconds); if it lasts, the Sentinels are split: check that they reach each other (SENTINEL SENTINELS \(masterName)) and share one configuration epoch."),
                nil
            )
        }
        let (primary, agreeing) = primaries.first!
        var problems = unreachable.map { "unreachable: \($0)" } + unaware.map { "does not monitor '\(masterName)': \($0)" }
        problems.sort()
        if problems.isEmpty {
            return (DiagnosisStep("Sentinels", .ok, "\(agreeing.count) Sentinel\(agreeing.count == 1 ? "" : "s") agree: the primary of '\(masterName)' is \(primary)"), primary)
        }
        return (
            DiagnosisStep(
                "Sentinels", .warning,
                "\(agreeing.count) agree that the primary of '\(masterName)' is \(primary); \(problems.joined(separator: "; "))",
                fix: "The client asks the Sentinels in turn, so it works, but fewer Sentinels weaken the quorum: bring the others back."),
            primary
        )
    }

    /// `SENTINEL CKQUORUM`: whether enough Sentinels are up to authorize a failover.
    public static func quorumStep(_ reply: Result<RESPValue, RedisError>, masterName: String) -> DiagnosisStep {
        switch reply {
        case .success(let value):
            return DiagnosisStep("Quorum", .ok, value.string ?? "OK")
        case .failure(let error):
            return DiagnosisStep(
                "Quorum", .failed, error.message,
                fix: "Too few Sentinels are up or reachable to agree on a failover of '\(masterName)': run at least three, on separate machines, and check SENTINEL SENTINELS \(masterName).")
        }
    }

    /// `SENTINEL REPLICAS`: whether a replica is there to promote, and in sync. `linkStates`
    /// holds what replicas said themselves (`ROLE`: `connected`, `sync` …, by `ip:port`),
    /// fresher than the Sentinel's view, which it refreshes every 10 seconds.
    public static func replicasStep(
        _ reply: Result<RESPValue, RedisError>, masterName: String, linkStates: [String: String] = [:]
    ) -> DiagnosisStep {
        let records: [[String: String]]
        switch reply {
        case .failure(let error):
            return DiagnosisStep("Replicas", .warning, "SENTINEL REPLICAS failed: \(error.message)")
        case .success(let value):
            records = value.sentinelRecords
        }
        guard !records.isEmpty else {
            return DiagnosisStep(
                "Replicas", .warning, "'\(masterName)' has no replica: a failover has nothing to promote",
                fix: "Add a replica (replicaof the primary); Sentinel then finds it by itself.")
        }
        var bad: [String] = []
        for r in records {
            let name = "\(r["ip"] ?? "?"):\(r["port"] ?? "?")"
            let flags = r["flags"] ?? ""
            if flags.contains("s_down") || flags.contains("o_down") || flags.contains("disconnected") {
                bad.append("\(name) is down (\(flags))")
            } else if let state = linkStates[name] {
                if state != "connected" { bad.append("\(name)'s link to the primary is \(state)") }
            } else if r["master-link-status"] != "ok" {
                bad.append("\(name)'s link to the primary is \(r["master-link-status"] ?? "unknown")")
            }
        }
        if bad.isEmpty {
            return DiagnosisStep("Replicas", .ok, "\(records.count) replica\(records.count == 1 ? "" : "s"), all up and in sync")
        }
        return DiagnosisStep(
            "Replicas", .warning, "\(records.count) replica\(records.count == 1 ? "" : "s"); \(bad.joined(separator: "; "))",
            fix: "A replica that is down or out of sync cannot be promoted safely: check its log and INFO replication.")
    }

    /// The announced primary, reached with the URL's credentials: it must answer and say it
    /// is a primary (`ROLE`).
    public static func primaryStep(_ primary: RedisEndpoint, role: Result<String, RedisError>) -> DiagnosisStep {
        switch role {
        case .success("master"):
            return DiagnosisStep("Primary", .ok, "\(primary) answers as a primary")
        case .success(let other):
            return DiagnosisStep(
                "Primary", .failed, "\(primary) answers ROLE \(other), not master",
                fix: "The Sentinels' view is stale or a failover is under way: ask again; if it lasts, check the Sentinels' logs for failed failovers.")
        case .failure(let error) where error.kind == .authentication:
            return DiagnosisStep(
                "Primary", .failed, "\(primary) refused the URL's credentials: \(error.message)",
                fix: "The user and password in the URL are the data nodes'; the Sentinels' own go in sentinel_username / sentinel_password.")
        case .failure(let error):
            return DiagnosisStep(
                "Primary", .failed, "the Sentinels announce \(primary), which cannot be reached from here: \(error.message)",
                fix: "Behind NAT, in Docker or in another Kubernetes network the announced address is not this one's: set replica-announce-ip on the data nodes and sentinel announce-ip on the Sentinels to addresses clients can reach.")
        }
    }
}
