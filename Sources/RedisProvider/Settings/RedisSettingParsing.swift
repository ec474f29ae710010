/// Turns one setting's text into its value, or a `RedisError` that names the key, where the
/// value came from and what the key accepts. Pure: no I/O.
package enum RedisSettingParsing {
    typealias Key = RedisProviderSettings.Key

    static func invalid(_ key: Key, _ source: RedisSettingSource, _ problem: String) -> RedisError {
        RedisError(
            .invalidConfiguration,
            "Invalid configuration: \(key) from \(source) \(problem); allowed: \(key.allowedValues).")
    }

    /// The value as text for messages: quoted, shortened, and never for a secret.
    static func shown(_ key: Key, _ text: String) -> String {
        if key.isSecret { return "(a secret, not shown)" }
        return "'" + (text.count > 80 ? String(text.prefix(80)) + "…" : text) + "'"
    }

    static func url(_ text: String, _ source: RedisSettingSource) throws(RedisError) -> RedisURL {
        do {
            return try RedisURL(text)
        } catch {
            // RedisURL's messages never contain the password.
            throw RedisError(.invalidConfiguration, "Invalid configuration: redis.url from \(source): \(error.message)")
        }
    }

    static func cacheProvider(_ text: String, _ source: RedisSettingSource) throws(RedisError) -> CacheProviderKind {
        guard let kind = CacheProviderKind(rawValue: text.lowercased()) else {
            throw invalid(.cacheProvider, source, "is \(shown(.cacheProvider, text))")
        }
        return kind
    }

    static func bool(_ key: Key, _ text: String, _ source: RedisSettingSource) throws(RedisError) -> Bool {
        switch text.lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw invalid(key, source, "is \(shown(key, text))")
        }
    }

    static func integer(_ key: Key, _ text: String, _ source: RedisSettingSource, range: ClosedRange<Int>) throws(RedisError) -> Int {
        guard let n = Int(text), range.contains(n) else { throw invalid(key, source, "is \(shown(key, text))") }
        return n
    }

    static func duration(_ key: Key, _ text: String, _ source: RedisSettingSource) throws(RedisError) -> Duration {
        do {
            return try RedisURL.duration(key.rawValue, text)
        } catch {
            throw invalid(key, source, "is \(shown(key, text))")
        }
    }

    /// A duration, or `.zero` for `off` (also `0`, `none`, `false`).
    static func interval(_ key: Key, _ text: String, _ source: RedisSettingSource) throws(RedisError) -> Duration {
        if ["off", "0", "none", "false"].contains(text.lowercased()) { return .zero }
        return try duration(key, text, source)
    }

    static func readPolicy(_ text: String, _ source: RedisSettingSource) throws(RedisError) -> RedisReadPolicy {
        guard let policy = RedisReadPolicy(settingName: text) else {
            throw invalid(.readPolicy, source, "is \(shown(.readPolicy, text))")
        }
        return policy
    }

    static func nonEmpty(_ key: Key, _ text: String, _ source: RedisSettingSource) throws(RedisError) -> String {
        guard !text.isEmpty else { throw invalid(key, source, "is empty") }
        return text
    }

    /// `announced:port=reachable:port,…`; IPv6 in brackets (`[fd00::1]:6379=[::1]:7000`).
    package static func addressMap(_ text: String, _ source: RedisSettingSource) throws(RedisError) -> [RedisEndpoint: RedisEndpoint] {
        var map: [RedisEndpoint: RedisEndpoint] = [:]
        for part in text.split(separator: ",") {
            let pair = part.trimmingWhitespace()
            if pair.isEmpty { continue }
            let sides = pair.split(separator: "=", omittingEmptySubsequences: false)
            guard sides.count == 2 else {
                throw invalid(.addressMap, source, "has \(shown(.addressMap, String(pair))), which is not one announced=reachable pair")
            }
            let announced: RedisEndpoint
            let reachable: RedisEndpoint
            do {
                announced = try RedisURL.parseHostPort(sides[0].trimmingWhitespace())
                reachable = try RedisURL.parseHostPort(sides[1].trimmingWhitespace())
            } catch {
                throw invalid(.addressMap, source, "has \(shown(.addressMap, String(pair))), whose address is not host:port")
            }
            if let existing = map[announced], existing != reachable {
                throw invalid(.addressMap, source, "maps \(announced) twice, to \(existing) and \(reachable)")
            }
            map[announced] = reachable
        }
        return map
    }
}
