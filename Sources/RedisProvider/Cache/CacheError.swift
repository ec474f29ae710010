/// A cache failure that is not a Redis failure: a value that cannot be encoded or decoded, or
/// a time to live that cannot be used. Redis failures are thrown as `RedisError`.
///
/// Messages name the key and the Swift type, never the cached value.
public struct CacheError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The cached bytes could not be decoded as the requested type.
        case decodingFailed
        /// The value could not be encoded by the provider's `CacheValueCoder`.
        case encodingFailed
        /// The time to live is zero or negative.
        case invalidTTL
    }

    public var kind: Kind
    /// What happened and what to do about it.
    public var message: String
    /// The cache key (without the provider's prefix), when the error concerns one key.
    public var key: String?
    /// The coder's own error. Its description may quote the cached bytes, so it is kept out
    /// of `message` and `description`; look at it only where values may be shown.
    public var underlyingError: (any Error)?

    public init(_ kind: Kind, _ message: String, key: String? = nil, underlyingError: (any Error)? = nil) {
        self.kind = kind
        self.message = message
        self.key = key
        self.underlyingError = underlyingError
    }

    public var description: String { message }

    static func decoding(_ type: Any.Type, key: String, error: any Error) -> CacheError {
        CacheError(
            .decodingFailed,
            "The cached value for key '\(key)' could not be decoded as \(type)\(Self.detail(error)). It was probably "
                + "written by other code or by an older version of the type: delete the key, or change the cache prefix "
                + "when the type changes.",
            key: key, underlyingError: error)
    }

    static func encoding(_ type: Any.Type, key: String, error: any Error) -> CacheError {
        CacheError(
            .encodingFailed,
            "A value of type \(type) for key '\(key)' could not be encoded\(Self.detail(error)); check the type's "
                + "Encodable conformance or the provider's coder.",
            key: key, underlyingError: error)
    }

    static func invalidTTL(_ ttl: Duration, key: String?) -> CacheError {
        CacheError(
            .invalidTTL,
            "The time to live \(ttl)\(key.map { " for key '\($0)'" } ?? "") must be positive (at least 1 ms); "
                + "pass nil for entries that do not expire, or delete the key instead.",
            key: key)
    }

    /// Where in the value decoding failed (coding path and expected type), never the value.
    private static func detail(_ error: any Error) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.isEmpty ? "" : " at '" + codingPath.map(\.stringValue).joined(separator: ".") + "'"
        }
        switch error {
        case DecodingError.typeMismatch(let type, let context): return " (expected \(type)\(path(context.codingPath)))"
        case DecodingError.valueNotFound(let type, let context): return " (missing \(type)\(path(context.codingPath)))"
        case DecodingError.keyNotFound(let key, let context): return " (no key '\(key.stringValue)'\(path(context.codingPath)))"
        case DecodingError.dataCorrupted(let context): return " (malformed data\(path(context.codingPath)))"
        case EncodingError.invalidValue(_, let context): return " (invalid value\(path(context.codingPath)))"
        default: return ""
        }
    }
}
