import RESP

/// A MOVED or ASK error reply: the cluster telling the client another node serves the slot.
///
/// - MOVED: the slot now belongs to that node; update the slot map and send there.
/// - ASK: the slot is migrating and this key may already be on that node; send `ASKING`
///   and the command there once, but do not change the slot map.
public enum ClusterRedirect: Sendable, Hashable {
    case moved(slot: Int, endpoint: RedisEndpoint)
    case ask(slot: Int, endpoint: RedisEndpoint)

    /// Parses `MOVED 3999 127.0.0.1:6381` or `ASK 3999 host:6381`; `nil` for any other error.
    ///
    /// The address splits at its last colon, as Redis prints IPv6 without brackets
    /// (`MOVED 1 ::1:6381`); bracketed hosts are accepted too. An empty host
    /// (`MOVED 1 :6381`, sent under `cluster-preferred-endpoint-type unknown-endpoint`) or
    /// `?` means the host of `from`, the node that answered, with the port given.
    public init?(_ error: RESPError, from: RedisEndpoint) {
        let parts = error.message.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count >= 3,
            let slot = Int(parts[1]), (0..<HashSlot.count).contains(slot),
            let colon = parts[2].lastIndex(of: ":"),
            let port = Int(parts[2][parts[2].index(after: colon)...]), (1...65535).contains(port)
        else { return nil }
        var host = String(parts[2][..<colon])
        host = ClusterTopology.stripBrackets(host)
        if host.isEmpty || host == "?" { host = from.host }
        let endpoint = RedisEndpoint(host: host, port: port)
        switch parts[0] {
        case "MOVED": self = .moved(slot: slot, endpoint: endpoint)
        case "ASK": self = .ask(slot: slot, endpoint: endpoint)
        default: return nil
        }
    }

    /// The slot the redirection is about.
    public var slot: Int {
        switch self {
        case .moved(let slot, _), .ask(let slot, _): return slot
        }
    }

    /// The node to send the command to.
    public var endpoint: RedisEndpoint {
        switch self {
        case .moved(_, let endpoint), .ask(_, let endpoint): return endpoint
        }
    }
}
