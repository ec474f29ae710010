extension Duration {
    /// Whole milliseconds with any positive remainder rounded up (0.5 ms is 1 ms, never 0),
    /// as Redis takes times to live; `Int.max` past its range.
    var millisecondsRoundedUp: Int {
        let (seconds, attoseconds) = components
        let (ms, remainder) = attoseconds.quotientAndRemainder(dividingBy: 1_000_000_000_000_000)
        let (total, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        guard !overflow else { return seconds > 0 ? Int.max : Int.min }
        return Int(total) + Int(ms) + (remainder > 0 ? 1 : 0)
    }
}
