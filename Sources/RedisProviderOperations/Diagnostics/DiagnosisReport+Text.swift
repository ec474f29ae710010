import RedisProvider

/// The report as people read it: one aligned line per check with ✓, ✗, ! or -, the fix
/// under each warning or failure, and a summary.
extension DiagnosisReport {
    /// The symbol for a status.
    public static func symbol(_ status: DiagnosisStep.Status) -> String {
        switch status {
        case .ok: return "✓"
        case .warning: return "!"
        case .failed: return "✗"
        case .skipped: return "-"
        }
    }

    /// Whether to colour output: only on a terminal, never with `NO_COLOR` set (non-empty,
    /// see no-color.org) or `TERM=dumb`.
    public static func shouldUseColor(isTerminal: Bool, environment: [String: String]) -> Bool {
        guard isTerminal else { return false }
        if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return false }
        return environment["TERM"] != "dumb"
    }

    /// The report as aligned text lines ending in a summary; ANSI colours when `color`.
    public func rendered(color: Bool) -> String {
        func paint(_ text: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
        func code(_ status: DiagnosisStep.Status) -> String {
            switch status {
            case .ok: return "32"
            case .warning: return "33"
            case .failed: return "31"
            case .skipped: return "2"
            }
        }
        let width = min(steps.map(\.name.count).max() ?? 0, 44)
        let indent = String(repeating: " ", count: 4 + width + 2)
        var lines: [String] = []
        for step in steps {
            let name = step.name.count < width ? step.name + String(repeating: " ", count: width - step.name.count) : step.name
            let symbol = paint(Self.symbol(step.status), code(step.status))
            let detail = step.status == .skipped ? paint(step.detail, "2") : step.detail
            lines.append("  \(symbol) \(name)  \(detail)")
            if let fix = step.fix, step.status == .failed || step.status == .warning {
                lines.append(indent + paint("fix: ", "1") + fix)
            }
        }
        lines.append("")
        let failed = failures.count
        let warned = warnings.count
        let passed = steps.filter { $0.status == .ok }.count
        var summary = isHealthy ? paint("Healthy", "32;1") : paint("Unhealthy", "31;1")
        summary += ": \(passed) passed"
        if failed > 0 { summary += ", \(failed) failed" }
        if warned > 0 { summary += ", \(warned) warning\(warned == 1 ? "" : "s")" }
        let skipped = steps.count - passed - failed - warned
        if skipped > 0 { summary += ", \(skipped) skipped" }
        if let first = failures.first { summary += ". Start with: \(first.name)." }
        lines.append(summary)
        return lines.joined(separator: "\n") + "\n"
    }
}
