import RedisProvider

/// The order of the checks, so that when one fails the ones after it can be reported as
/// skipped with the reason. Pure.
public enum DiagnosisPlan {
    /// The checks `RedisDoctor` runs for `url` (all of them while the URL is unknown), in
    /// order. Checks that repeat per host, address or node are named by their prefix
    /// (`DNS`, `TCP`, `Node`).
    public static func steps(for url: RedisURL?, quick: Bool) -> [String] {
        let tls = url?.tls ?? false
        let cluster = url?.mode.isCluster ?? false
        var plan = ["URL", "Mode"]
        if !quick { plan += ["DNS", "TCP"] }
        if tls { plan.append("TLS") }
        plan.append(url.map(DiagnosisRules.handshakeName) ?? "Handshake")
        plan.append("PING")
        if url?.sentinelMasterName != nil {
            plan.append("Sentinels")
            if !quick { plan += ["Quorum", "Replicas"] }
            plan.append("Primary")
        } else if cluster {
            plan.append("Cluster state")
            if !quick { plan += ["Slot coverage", "Node", "Roles and replicas", "Latency"] }
        } else if !quick {
            plan.append("Server")
        }
        return plan
    }

    /// The checks of `plan` after the last one `done` reached, as skipped steps saying
    /// `reason`.
    public static func skippedSteps(after done: [DiagnosisStep], plan: [String], reason: String) -> [DiagnosisStep] {
        func matches(_ planned: String, _ step: DiagnosisStep) -> Bool {
            step.name == planned || step.name.hasPrefix(planned + " ")
        }
        let reached = plan.lastIndex { planned in done.contains { matches(planned, $0) } } ?? -1
        return plan[(reached + 1)...].map { planned in
            let name = ["DNS", "TCP", "Node"].contains(planned) ? planned + (planned == "Node" ? "s" : "") : planned
            return DiagnosisStep.skipped(name, because: reason)
        }
    }
}
