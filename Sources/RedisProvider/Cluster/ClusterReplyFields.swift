import RESP

/// Readers for the loosely typed parts of `CLUSTER SHARDS` / `CLUSTER SLOTS` replies, which
/// differ between RESP2 (flat arrays) and RESP3 (maps) and between server versions
/// (integers vs. numeric strings).
extension RESPValue {
    /// Key/value pairs of a RESP3 map or of a RESP2 flat array `[key, value, key, value…]`
    /// whose keys are strings; `nil` for anything else.
    var clusterFields: [(key: String, value: RESPValue)]? {
        switch self {
        case .map(let entries):
            var fields: [(key: String, value: RESPValue)] = []
            fields.reserveCapacity(entries.count)
            for entry in entries {
                guard let key = entry.key.string else { return nil }
                fields.append((key, entry.value))
            }
            return fields
        case .array(let items):
            guard items.count % 2 == 0 else { return nil }
            var fields: [(key: String, value: RESPValue)] = []
            fields.reserveCapacity(items.count / 2)
            var index = 0
            while index < items.count {
                guard let key = items[index].string else { return nil }
                fields.append((key, items[index + 1]))
                index += 2
            }
            return fields
        default:
            return nil
        }
    }

    /// The value as an integer: an integer reply or a string of decimal digits.
    var clusterInt: Int? {
        switch self {
        case .integer(let i): return Int(exactly: i)
        case .bulkString, .simpleString, .verbatimString: return string.flatMap { Int($0) }
        default: return nil
        }
    }

    /// The text of a string-like value; `nil` for null and everything else.
    var clusterText: String? {
        switch self {
        case .bulkString, .simpleString, .verbatimString: return string
        default: return nil
        }
    }
}

extension Array where Element == (key: String, value: RESPValue) {
    /// The value of the first field named `name` (case-insensitive).
    func field(_ name: String) -> RESPValue? {
        first { $0.key.lowercased() == name }?.value
    }
}

extension ClusterTopology {
    /// Where to connect to a node, following the Redis rules for abnormal endpoints:
    /// - NULL (`cluster-preferred-endpoint-type unknown-endpoint`) or `""` (the node does not
    ///   know its own address): the host this client used to ask, with the node's port —
    ///   typically a load balancer or a service name;
    /// - `"?"` (hostnames preferred but this node announces none): an unknown node, so its IP
    ///   when the reply carries one, else its hostname, else the host this client asked.
    static func endpoint(
        server: String?, ip: String?, hostname: String?, port: Int,
        connectedTo: RedisEndpoint, preferring: EndpointPreference
    ) -> RedisEndpoint {
        func usable(_ s: String?) -> String? {
            guard let s, !s.isEmpty, s != "?" else { return nil }
            return s
        }
        let host: String
        switch (preferring, usable(hostname), usable(ip)) {
        case (.hostname, let h?, _): host = h
        case (.ip, _, let i?): host = i
        default:
            if let s = usable(server) {
                host = s
            } else if server == "?" {
                host = usable(ip) ?? usable(hostname) ?? connectedTo.host
            } else {
                host = connectedTo.host
            }
        }
        return RedisEndpoint(host: stripBrackets(host), port: port)
    }

    /// `[::1]` → `::1`: endpoints keep IPv6 literals without brackets.
    package static func stripBrackets(_ host: String) -> String {
        if host.hasPrefix("["), host.hasSuffix("]"), host.count >= 2 {
            return String(host.dropFirst().dropLast())
        }
        return host
    }

    /// Health as `CLUSTER SHARDS` spells it (`online`, `failed` — Redis 7.0 prints `fail` —
    /// and `loading`).
    static func health(_ text: String?) -> Node.Health {
        switch text?.lowercased() {
        case "online": return .online
        case "failed", "fail": return .failed
        case "loading": return .loading
        default: return .unknown
        }
    }

    /// The error thrown for a reply that does not have the documented shape.
    static func malformed(_ command: String, _ detail: String, from endpoint: RedisEndpoint) -> RedisError {
        RedisError(
            .protocolViolation,
            "The \(command) reply from \(endpoint) is not in the expected shape (\(detail)). "
                + "Check that the server is Redis 7+ or Valkey running with cluster-enabled yes.",
            endpoint: endpoint.description)
    }

    /// A validated inclusive slot range.
    static func slotRange(_ start: Int?, _ end: Int?, _ command: String, from endpoint: RedisEndpoint) throws(RedisError) -> ClosedRange<Int> {
        guard let start, let end, 0 <= start, start <= end, end < HashSlot.count else {
            throw malformed(command, "slot range \(start.map(String.init) ?? "?")-\(end.map(String.init) ?? "?")", from: endpoint)
        }
        return start...end
    }
}
