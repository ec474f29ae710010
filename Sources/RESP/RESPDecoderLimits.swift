/// Bounds that turn a hostile or broken peer into a `RESPProtocolError` instead of an
/// unbounded allocation. The defaults admit everything a real Redis or Valkey sends.
public struct RESPDecoderLimits: Sendable, Hashable {
    /// Longest bulk string, verbatim string or blob error (Redis' `proto-max-bulk-len`
    /// default is 512 MiB).
    public var maxBulkLength: Int
    /// Most elements in one array, set, push or attribute; pairs in one map.
    public var maxAggregateLength: Int
    /// Deepest nesting of aggregates.
    public var maxDepth: Int
    /// Longest simple string, simple error, number or length line.
    public var maxLineLength: Int

    public init(
        maxBulkLength: Int = 512 * 1024 * 1024,
        maxAggregateLength: Int = 1 << 27,
        maxDepth: Int = 128,
        maxLineLength: Int = 1024 * 1024
    ) {
        self.maxBulkLength = maxBulkLength
        self.maxAggregateLength = maxAggregateLength
        self.maxDepth = maxDepth
        self.maxLineLength = maxLineLength
    }

    public static let `default` = RESPDecoderLimits()
}
