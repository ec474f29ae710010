import RedisProvider

/// What one node answered when asked directly, the input of `ClusterDiagnosis`.
public struct ClusterNodeView: Sendable, Hashable {
    /// The address that was asked (after the address map), `host:port`.
    public var askedAddress: String
    /// Its `CLUSTER NODES`, parsed; `nil` when it did not answer.
    public var nodes: [ClusterNodesLine]?
    /// Its `CLUSTER INFO` fields (`cluster_state` …).
    public var info: [String: String]
    /// Its replication offset from `INFO replication`.
    public var replicationOffset: Int?
    /// Why it did not answer.
    public var error: String?

    public init(
        askedAddress: String, nodes: [ClusterNodesLine]?, info: [String: String] = [:], replicationOffset: Int? = nil,
        error: String? = nil
    ) {
        self.askedAddress = askedAddress
        self.nodes = nodes
        self.info = info
        self.replicationOffset = replicationOffset
        self.error = error
    }

    /// The line the node printed about itself (`myself` flag).
    public var myself: ClusterNodesLine? { nodes?.first { $0.isMyself } }
}

/// Parsers for the `key:value` line replies of `CLUSTER INFO` and `INFO`.
public enum InfoFields {
    /// `key:value` lines to a dictionary; `# Section` headers and blank lines skipped.
    public static func parse(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let line = line.drop { $0 == " " || $0 == "\t" }
            guard !line.isEmpty, !line.hasPrefix("#"), let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = String(line[line.index(after: colon)...])
        }
        return fields
    }

    /// The replication offset in `INFO replication`: a replica's `slave_repl_offset`, else
    /// `master_repl_offset`.
    public static func replicationOffset(_ fields: [String: String]) -> Int? {
        if fields["role"] == "slave", let offset = fields["slave_repl_offset"].flatMap({ Int($0) }) { return offset }
        return fields["master_repl_offset"].flatMap { Int($0) }
    }
}
