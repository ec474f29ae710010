import RedisProvider

/// One line of `CLUSTER NODES`:
///
///     <id> <ip:port@cport[,hostname[,aux=value…]]> <flags> <primary|-> <ping-sent> <pong-recv> <config-epoch> <link-state> <slot>…
///
/// where a slot is `n`, `a-b`, `[n->-id]` (migrating to `id`, only on the node that owns
/// it) or `[n-<-id]` (importing from `id`).
public struct ClusterNodesLine: Sendable, Hashable {
    public var id: String
    /// The announced host (IP, or empty for a node without an address); IPv6 without brackets.
    public var host: String
    public var port: Int
    /// The cluster bus port.
    public var busPort: Int?
    /// The announced host name, when the node has one.
    public var hostname: String?
    /// The flags, e.g. `["myself", "master"]`, `["slave", "fail?"]`.
    public var flags: [String]
    /// The primary's ID for a replica; `nil` for a primary.
    public var primaryID: String?
    public var configEpoch: Int
    /// `connected` or `disconnected`.
    public var linkState: String
    /// The slots served, as inclusive ranges in the order given.
    public var slots: [ClosedRange<Int>]
    /// Slots this node is moving away: `slot → destination node ID`.
    public var migrating: [Int: String]
    /// Slots this node is receiving: `slot → source node ID`.
    public var importing: [Int: String]

    /// `true` when the line describes the node that printed it.
    public var isMyself: Bool { flags.contains("myself") }
    /// `true` for a primary (`master` flag).
    public var isPrimary: Bool { flags.contains("master") }
    /// `true` when the cluster marks it `fail` or `fail?`.
    public var isFailing: Bool { flags.contains("fail") || flags.contains("fail?") }
    /// `host:port` with IPv6 hosts in brackets; empty when the node has no address.
    public var address: String {
        if host.isEmpty { return "" }
        return RedisEndpoint(host: host, port: port).description
    }

    /// Parses one line; throws `.protocolViolation` naming the part that is wrong.
    public init(parsing line: Substring) throws(RedisError) {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        func bad(_ what: String) -> RedisError {
            RedisError(
                .protocolViolation,
                "A CLUSTER NODES line is not in the expected shape (\(what)): '\(line.prefix(200))'. Check that the server is Redis 3+ or Valkey with cluster-enabled yes.")
        }
        guard fields.count >= 8 else { throw bad("\(fields.count) fields, at least 8 expected") }
        id = String(fields[0])
        // ip:port@cport[,hostname[,aux=value]…]
        let addressParts = fields[1].split(separator: ",", omittingEmptySubsequences: false)
        let hostPortBus = addressParts[0]
        let hostPort = hostPortBus.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
        guard let colon = hostPort[0].lastIndex(of: ":"), let port = Int(hostPort[0][hostPort[0].index(after: colon)...])
        else { throw bad("address '\(fields[1])'") }
        host = ClusterTopology.stripBrackets(String(hostPort[0][..<colon]))
        self.port = port
        busPort = hostPort.count > 1 ? Int(hostPort[1]) : nil
        if addressParts.count > 1, !addressParts[1].isEmpty, !addressParts[1].contains("=") {
            hostname = String(addressParts[1])
        } else {
            hostname = nil
        }
        flags = fields[2] == "noflags" ? [] : fields[2].split(separator: ",").map(String.init)
        primaryID = fields[3] == "-" ? nil : String(fields[3])
        guard let epoch = Int(fields[6]) else { throw bad("config epoch '\(fields[6])'") }
        configEpoch = epoch
        linkState = String(fields[7])
        slots = []
        migrating = [:]
        importing = [:]
        for field in fields.dropFirst(8) {
            if field.hasPrefix("[") {
                guard field.hasSuffix("]") else { throw bad("slot '\(field)'") }
                let body = field.dropFirst().dropLast()
                if let r = body.range(of: "->-"), let slot = Int(body[..<r.lowerBound]), HashSlot.isValid(slot) {
                    migrating[slot] = String(body[r.upperBound...])
                } else if let r = body.range(of: "-<-"), let slot = Int(body[..<r.lowerBound]), HashSlot.isValid(slot) {
                    importing[slot] = String(body[r.upperBound...])
                } else {
                    throw bad("slot '\(field)'")
                }
                continue
            }
            let bounds = field.split(separator: "-", maxSplits: 1)
            guard let start = Int(bounds[0]), let end = bounds.count == 2 ? Int(bounds[1]) : start,
                HashSlot.isValid(start), HashSlot.isValid(end), start <= end
            else { throw bad("slot '\(field)'") }
            slots.append(start...end)
        }
    }

    /// Parses a whole `CLUSTER NODES` reply (blank lines ignored).
    public static func parseAll(_ text: String) throws(RedisError) -> [ClusterNodesLine] {
        var lines: [ClusterNodesLine] = []
        for line in text.split(whereSeparator: \.isNewline) where !line.allSatisfy(\.isWhitespace) {
            lines.append(try ClusterNodesLine(parsing: line))
        }
        return lines
    }
}

extension HashSlot {
    /// `true` for 0…16383.
    static func isValid(_ slot: Int) -> Bool { slot >= 0 && slot < count }
}
