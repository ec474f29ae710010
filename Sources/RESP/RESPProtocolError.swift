/// The peer sent bytes that are not valid RESP, or that exceed a configured limit.
///
/// A connection that sees one of these cannot know where the next reply starts, so it is
/// closed; every command waiting on it fails with this error.
public struct RESPProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The first byte of a value is not a RESP type marker.
        case invalidTypeMarker
        /// A length, integer, double, boolean or big number is not well formed.
        case malformedNumber
        /// A line or bulk payload does not end in CRLF where it must.
        case missingCRLF
        /// A bulk string or blob is longer than `RESPDecoderLimits.maxBulkLength`.
        case bulkTooLong
        /// An aggregate has more elements than `RESPDecoderLimits.maxAggregateLength`.
        case aggregateTooLong
        /// Aggregates nest deeper than `RESPDecoderLimits.maxDepth`.
        case nestingTooDeep
        /// A simple line has no CRLF within `RESPDecoderLimits.maxLineLength` bytes.
        case lineTooLong
        /// A RESP3 feature this client does not accept (streamed strings or aggregates).
        case unsupported
    }

    public var kind: Kind
    /// What was wrong, with the offending value or limit where it helps.
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "RESP protocol error: \(message)" }
}
