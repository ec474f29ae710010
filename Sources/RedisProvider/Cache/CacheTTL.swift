/// Times to live and key patterns as the providers send them: pure helpers.
enum CacheTTL {
    /// `ttl` in whole milliseconds, rounded up so that 0.5 ms is 1 ms, never 0; `nil` for no
    /// expiry. Zero or negative durations are a `CacheError.invalidTTL`.
    static func milliseconds(_ ttl: Duration?, key: String?) throws(CacheError) -> Int? {
        guard let ttl else { return nil }
        guard ttl > .zero else { throw CacheError.invalidTTL(ttl, key: key) }
        return ttl.millisecondsRoundedUp
    }
}

enum CacheKeyPattern {
    /// A SCAN `MATCH` pattern for every key starting with `prefix`: glob characters
    /// (`*`, `?`, `[`, `]`, `\`) in the prefix are escaped so they match only themselves.
    static func matching(prefix: String) -> String {
        var pattern = ""
        pattern.reserveCapacity(prefix.utf8.count + 2)
        for character in prefix {
            if character == "*" || character == "?" || character == "[" || character == "]" || character == "\\" {
                pattern.append("\\")
            }
            pattern.append(character)
        }
        pattern.append("*")
        return pattern
    }
}
