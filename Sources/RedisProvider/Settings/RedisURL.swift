/// A parsed Redis connection URL.
///
/// Accepted forms:
/// - `redis://host:6379`, `rediss://host` (TLS), `redis://[::1]:6379`
/// - credentials: `redis://:password@host`, `redis://user:password@host` (percent-encoded)
/// - a database: `redis://host/2`
/// - several nodes: `redis://a:6379,redis://b:6379` or `redis://a:6379,b:6379`
/// - options after `?`, e.g. `?cluster=true&timeout=2s&tls_ca_file=/etc/ca.pem`
/// - a primary found through Sentinels: `redis+sentinel://s1:26379,s2:26379/mymaster`
///   (`rediss+sentinel://` for TLS; `/mymaster/2` for a database; `?role=replica` to read
///   from a replica; `sentinel_username`/`sentinel_password` when the Sentinels have their
///   own credentials, the URL's credentials being those of the data nodes)
///
/// Every malformed URL throws a `RedisError` of kind `.invalidConfiguration` that names the
/// problem. `description` never shows the password.
public struct RedisURL: Sendable, Hashable, CustomStringConvertible {
    /// `true` for `rediss://` (TLS).
    public var tls: Bool
    /// The nodes named in the URL, in order.
    public var endpoints: [RedisEndpoint]
    /// The ACL user name, if any.
    public var username: String?
    /// The password, if any. Never printed.
    public var password: String?
    /// The database number from the path, if any.
    public var database: Int?
    /// The query options.
    public var options: Options
    /// For a `redis+sentinel://` URL, the name the Sentinels know the primary by (the
    /// endpoints are then the Sentinels); `nil` otherwise.
    public var sentinelMasterName: String?

    /// The options a URL's query may carry. Unknown names are an error.
    public struct Options: Sendable, Hashable {
        /// `cluster=true|false`: force cluster or standalone mode.
        public var cluster: Bool?
        /// `connect_timeout=2s` (also `500ms`, or plain seconds `2.5`).
        public var connectTimeout: Duration?
        /// `timeout=2s`: how long a command may wait for its reply.
        public var commandTimeout: Duration?
        /// `client_name=NAME`: sent with `CLIENT SETNAME` / `HELLO … SETNAME`.
        public var clientName: String?
        /// `protocol=2|3`: the RESP version to ask for (default 3, falling back to 2).
        public var protocolVersion: Int?
        /// `connections=N`: multiplexed connections per node (default 1).
        public var connectionsPerNode: Int?
        /// `max_in_flight=N`: commands allowed to wait on one connection.
        public var maxInFlight: Int?
        /// `tls_ca_file=PATH`: PEM file of the CA certificates to trust.
        public var tlsCAFile: String?
        /// `tls_cert_file=PATH`: PEM client certificate (mutual TLS).
        public var tlsCertificateFile: String?
        /// `tls_key_file=PATH`: PEM private key of the client certificate.
        public var tlsKeyFile: String?
        /// `tls_server_name=NAME`: the name to send in SNI and verify the certificate for.
        public var tlsServerName: String?
        /// `tls_insecure=true`: skip certificate verification (testing only).
        public var tlsInsecure: Bool?
        /// `role=primary|replica` (Sentinel URLs): which node of the deployment to talk to.
        public var sentinelRole: RedisSentinelRole?
        /// `sentinel_username=NAME`: the ACL user the Sentinels want, when not the data nodes'.
        public var sentinelUsername: String?
        /// `sentinel_password=SECRET`: the Sentinels' own password (never printed).
        public var sentinelPassword: String?
        /// `failover_budget=30s` (Sentinel URLs): how long a command rides out a failover
        /// before it fails; cover the Sentinels' down-after-milliseconds plus the election.
        public var failoverBudget: Duration?
        /// `health_check=30s` (or `off`): how long a connection may stay silent before it is
        /// probed with `PING` (see ``RedisClientConfiguration/healthCheckInterval``).
        public var healthCheck: HealthCheck?

        /// The `health_check` option: an interval, or off.
        public struct HealthCheck: Sendable, Hashable {
            /// `nil` for `off`.
            public var interval: Duration?
        }

        public init() {}

        /// The names the query accepts.
        public static let names = [
            "cluster", "connect_timeout", "timeout", "client_name", "protocol", "connections",
            "max_in_flight", "tls_ca_file", "tls_cert_file", "tls_key_file", "tls_server_name",
            "tls_insecure", "role", "sentinel_username", "sentinel_password", "failover_budget", "health_check",
        ]
    }

    /// Parses `string` (surrounding white space, as left by a secret file, is ignored).
    public init(_ string: String) throws(RedisError) {
        let text = string.trimmingWhitespace()
        guard !text.isEmpty else { throw Self.invalid("the URL is empty; expected e.g. redis://host:6379") }
        var parsed: [Entry] = []
        for (i, part) in text.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            let piece = part.trimmingWhitespace()
            guard !piece.isEmpty else {
                throw Self.invalid("entry \(i + 1) of the comma-separated URL list is empty")
            }
            // Entries without a scheme are of the first entry's kind (Sentinels after redis+sentinel://).
            parsed.append(try Entry(piece, index: i, sentinelByDefault: parsed.first?.sentinel ?? false))
        }
        let first = parsed[0]
        guard let firstTLS = first.tls else {
            throw Self.invalid("the URL must start with redis:// or rediss://, got '\(Self.redactedPrefix(String(text)))'")
        }
        self.tls = firstTLS
        self.sentinelMasterName = nil
        self.endpoints = []
        self.username = nil
        self.password = nil
        self.database = nil
        var query: [(String, String)] = []
        for (i, e) in parsed.enumerated() {
            if let t = e.tls, t != firstTLS {
                throw Self.invalid("entry \(i + 1) mixes redis:// and rediss://; all nodes must use the same scheme")
            }
            if e.tls != nil, e.sentinel != first.sentinel {
                throw Self.invalid("entry \(i + 1) mixes redis+sentinel:// with another scheme; list the Sentinels after one redis+sentinel://")
            }
            if let name = e.masterName {
                if let existing = sentinelMasterName, existing != name {
                    throw Self.invalid("the entries name different primaries ('\(existing)' and '\(name)')")
                }
                sentinelMasterName = name
            }
            if let u = e.username {
                if let existing = username, existing != u {
                    throw Self.invalid("the entries name different users; give the credentials once")
                }
                username = u
            }
            if let p = e.password {
                if let existing = password, existing != p {
                    throw Self.invalid("the entries carry different passwords; give the credentials once")
                }
                password = p
            }
            if let d = e.database {
                if let existing = database, existing != d {
                    throw Self.invalid("the entries name different databases (\(existing) and \(d))")
                }
                database = d
            }
            query += e.query
            endpoints.append(e.endpoint)
        }
        self.options = try Self.parseOptions(query)
        let o = options
        if first.sentinel {
            guard sentinelMasterName != nil else {
                throw Self.invalid("a Sentinel URL names the primary after the Sentinels, e.g. redis+sentinel://sentinel:26379/mymaster")
            }
            if o.cluster == true { throw Self.invalid("cluster=true does not go with a Sentinel URL: Sentinels watch one primary") }
        } else if o.sentinelRole != nil || o.sentinelUsername != nil || o.sentinelPassword != nil || o.failoverBudget != nil {
            throw Self.invalid("role, sentinel_username, sentinel_password and failover_budget need a redis+sentinel:// URL")
        }
        if !tls, o.tlsCAFile != nil || o.tlsCertificateFile != nil || o.tlsServerName != nil || o.tlsInsecure != nil {
            throw Self.invalid("TLS options need a rediss:// URL")
        }
    }

    /// The URL with the password replaced by `***`.
    public var description: String {
        var s = (tls ? "rediss" : "redis") + (sentinelMasterName != nil ? "+sentinel://" : "://")
        if username != nil || password != nil {
            s += (username ?? "") + (password != nil ? ":***" : "") + "@"
        }
        s += endpoints.map(\.description).joined(separator: ",")
        if let sentinelMasterName { s += "/\(sentinelMasterName)" }
        if let database { s += "/\(database)" }
        let q = optionPairs.map { "\($0)=\($1)" }.joined(separator: "&")
        if !q.isEmpty { s += "?" + q }
        return s
    }

    private var optionPairs: [(String, String)] {
        var pairs: [(String, String)] = []
        func add(_ name: String, _ value: CustomStringConvertible?) {
            if let value { pairs.append((name, value.description)) }
        }
        add("cluster", options.cluster)
        add("connect_timeout", options.connectTimeout.map(Self.format))
        add("timeout", options.commandTimeout.map(Self.format))
        add("client_name", options.clientName)
        add("protocol", options.protocolVersion)
        add("connections", options.connectionsPerNode)
        add("max_in_flight", options.maxInFlight)
        add("tls_ca_file", options.tlsCAFile)
        add("tls_cert_file", options.tlsCertificateFile)
        add("tls_key_file", options.tlsKeyFile)
        add("tls_server_name", options.tlsServerName)
        add("tls_insecure", options.tlsInsecure)
        add("role", options.sentinelRole?.rawValue)
        add("sentinel_username", options.sentinelUsername)
        add("sentinel_password", options.sentinelPassword.map { _ in "***" })
        add("failover_budget", options.failoverBudget.map(Self.format))
        add("health_check", options.healthCheck.map { $0.interval.map(Self.format) ?? "off" })
        return pairs
    }

    // MARK: - One comma-separated entry

    private struct Entry {
        var tls: Bool?
        /// A `redis+sentinel://` entry: its endpoint is a Sentinel's, its path the primary's name.
        var sentinel = false
        var masterName: String?
        var username: String?
        var password: String?
        var endpoint: RedisEndpoint
        var database: Int?
        var query: [(String, String)] = []

        init(_ text: Substring, index: Int, sentinelByDefault: Bool) throws(RedisError) {
            var rest = text
            sentinel = sentinelByDefault
            if let schemeEnd = rest.firstRange(of: "://") {
                let scheme = rest[..<schemeEnd.lowerBound].lowercased()
                switch scheme {
                case "redis", "valkey":
                    tls = false
                    sentinel = false
                case "rediss", "valkeys":
                    tls = true
                    sentinel = false
                case "redis+sentinel", "valkey+sentinel":
                    tls = false
                    sentinel = true
                case "rediss+sentinel", "valkeys+sentinel":
                    tls = true
                    sentinel = true
                default:
                    throw RedisURL.invalid(
                        "unsupported scheme '\(scheme)://'; use redis://, rediss:// (TLS) or redis+sentinel:// (a primary found through Sentinels)")
                }
                rest = rest[schemeEnd.upperBound...]
            } else if index == 0 {
                throw RedisURL.invalid(
                    "the URL must start with redis:// or rediss://, got '\(RedisURL.redactedPrefix(String(text)))'")
            }
            if let q = rest.firstIndex(of: "?") {
                for pair in rest[rest.index(after: q)...].split(separator: "&") where !pair.isEmpty {
                    let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                    let name = String(kv[0]).removingPercentEncoding() ?? String(kv[0])
                    let value = kv.count > 1 ? (String(kv[1]).removingPercentEncoding() ?? String(kv[1])) : ""
                    query.append((name, value))
                }
                rest = rest[..<q]
            }
            // The authority ends at the first "/" after the last "@" (passwords may hold "/").
            let at = rest.lastIndex(of: "@")
            let authorityStart = at.map { rest.index(after: $0) } ?? rest.startIndex
            let slash = rest[authorityStart...].firstIndex(of: "/")
            if let slash, sentinel {
                // /masterName or /masterName/db
                let parts = rest[rest.index(after: slash)...].split(separator: "/", omittingEmptySubsequences: false)
                guard let name = parts.first, !name.isEmpty, parts.count <= 2 else {
                    throw RedisURL.invalid("a Sentinel URL's path is /MASTERNAME or /MASTERNAME/DB, e.g. redis+sentinel://sentinel:26379/mymaster")
                }
                masterName = String(name).removingPercentEncoding() ?? String(name)
                if parts.count == 2 {
                    guard let db = Int(parts[1]), db >= 0, db <= Int(Int32.max) else {
                        throw RedisURL.invalid("the database '/\(parts[1])' is not a number from 0 to \(Int32.max)")
                    }
                    database = db
                }
            } else if let slash {
                let path = rest[rest.index(after: slash)...]
                if !path.isEmpty {
                    guard let db = Int(path), db >= 0, db <= Int(Int32.max) else {
                        throw RedisURL.invalid(
                            "the database '/\(path)' is not a number from 0 to \(Int32.max); write e.g. redis://host:6379/0")
                    }
                    database = db
                }
            }
            if let at {
                let userinfo = rest[..<at]
                if let colon = userinfo.firstIndex(of: ":") {
                    let user = String(userinfo[..<colon])
                    let pass = String(userinfo[userinfo.index(after: colon)...])
                    username = user.isEmpty ? nil : (user.removingPercentEncoding() ?? user)
                    password = pass.removingPercentEncoding() ?? pass
                } else {
                    throw RedisURL.invalid(
                        "the credentials have no ':'; write redis://:PASSWORD@host or redis://USER:PASSWORD@host")
                }
            }
            let hostPort = rest[authorityStart..<(slash ?? rest.endIndex)]
            endpoint = try RedisURL.parseHostPort(hostPort, defaultPort: sentinel ? 26379 : 6379)
        }
    }

    package static func parseHostPort(_ text: Substring, defaultPort: Int = 6379) throws(RedisError) -> RedisEndpoint {
        var host: Substring
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw invalid("the IPv6 address '\(text)' lacks its closing ']'")
            }
            host = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw invalid("unexpected '\(after)' after the IPv6 address") }
                portText = after.dropFirst()
            }
        } else if let colon = text.firstIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if portText!.contains(":") {
                throw invalid("'\(text)' has several ':'; write IPv6 addresses in brackets, e.g. [::1]:6379")
            }
        } else {
            host = text
        }
        guard !host.isEmpty else { throw invalid("a node has an empty host name in '\(text)'") }
        var port = defaultPort
        if let portText {
            guard let p = Int(portText), (1...65535).contains(p) else {
                throw invalid("the port '\(portText)' of '\(host)' is not a number from 1 to 65535")
            }
            port = p
        }
        return RedisEndpoint(host: String(host), port: port)
    }

    // MARK: - Options

    private static func parseOptions(_ pairs: [(String, String)]) throws(RedisError) -> Options {
        var o = Options()
        var seen: [String: String] = [:]
        for (name, value) in pairs {
            let key = name.lowercased()
            if let previous = seen[key] {
                if previous == value { continue }
                throw invalid("the option '\(key)' is given twice with different values")
            }
            seen[key] = value
            switch key {
            case "cluster": o.cluster = try bool(key, value)
            case "connect_timeout": o.connectTimeout = try duration(key, value)
            case "timeout": o.commandTimeout = try duration(key, value)
            case "client_name":
                guard !value.isEmpty, !value.contains(" ") else {
                    throw invalid("client_name must be non-empty and without spaces")
                }
                o.clientName = value
            case "protocol":
                guard value == "2" || value == "3" else { throw invalid("protocol must be 2 or 3, got '\(value)'") }
                o.protocolVersion = Int(value)
            case "connections": o.connectionsPerNode = try positive(key, value, max: 64)
            case "max_in_flight": o.maxInFlight = try positive(key, value, max: 10_000_000)
            case "tls_ca_file": o.tlsCAFile = try nonEmpty(key, value)
            case "tls_cert_file": o.tlsCertificateFile = try nonEmpty(key, value)
            case "tls_key_file": o.tlsKeyFile = try nonEmpty(key, value)
            case "tls_server_name": o.tlsServerName = try nonEmpty(key, value)
            case "tls_insecure": o.tlsInsecure = try bool(key, value)
            case "role":
                guard let role = RedisSentinelRole(rawValue: value.lowercased()) else {
                    throw invalid("role must be primary or replica, got '\(value)'")
                }
                o.sentinelRole = role
            case "sentinel_username": o.sentinelUsername = try nonEmpty(key, value)
            case "sentinel_password": o.sentinelPassword = value
            case "failover_budget": o.failoverBudget = try duration(key, value)
            case "health_check":
                o.healthCheck = ["off", "false", "0", "no"].contains(value.lowercased())
                    ? .init(interval: nil) : .init(interval: try duration(key, value))
            default:
                throw invalid("unknown option '\(name)'; known options: \(Options.names.joined(separator: ", "))")
            }
        }
        if (o.tlsCertificateFile == nil) != (o.tlsKeyFile == nil) {
            throw invalid("tls_cert_file and tls_key_file go together: give both or neither")
        }
        return o
    }

    private static func bool(_ key: String, _ value: String) throws(RedisError) -> Bool {
        switch value.lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw invalid("\(key) must be true or false, got '\(value)'")
        }
    }

    private static func positive(_ key: String, _ value: String, max: Int) throws(RedisError) -> Int {
        guard let n = Int(value), n >= 1, n <= max else {
            throw invalid("\(key) must be a whole number from 1 to \(max), got '\(value)'")
        }
        return n
    }

    private static func nonEmpty(_ key: String, _ value: String) throws(RedisError) -> String {
        guard !value.isEmpty else { throw invalid("\(key) needs a value") }
        return value
    }

    /// `2s`, `500ms`, `1.5` (seconds), `1m`.
    static func duration(_ key: String, _ value: String) throws(RedisError) -> Duration {
        let v = value.lowercased()
        var number = Substring(v)
        var scale = 1.0
        if v.hasSuffix("ms") {
            number = v.dropLast(2); scale = 0.001
        } else if v.hasSuffix("s") {
            number = v.dropLast(); scale = 1
        } else if v.hasSuffix("m") {
            number = v.dropLast(); scale = 60
        }
        guard let n = Double(number), n.isFinite, n > 0, n * scale <= 86_400 else {
            throw invalid("\(key) must be a positive duration such as 2s, 500ms or 1.5, got '\(value)'")
        }
        return .milliseconds(Int64((n * scale * 1000).rounded()))
    }

    package static func format(_ d: Duration) -> String {
        let ms = d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
        return ms % 1000 == 0 ? "\(ms / 1000)s" : "\(ms)ms"
    }

    static func invalid(_ message: String) -> RedisError {
        RedisError(.invalidConfiguration, "Invalid Redis URL: \(message).")
    }

    /// What stands before the first ':' or '@' of a bad URL (a scheme or a host, never a
    /// credential), for an error message.
    static func redactedPrefix(_ text: String) -> String {
        String(text.prefix { $0 != ":" && $0 != "@" }.prefix(40)) + "…"
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> Substring {
        let s = self[...]
        guard let start = s.firstIndex(where: { !$0.isWhitespace }) else { return "" }
        let end = s.lastIndex(where: { !$0.isWhitespace })!
        return Substring(s[start...end])
    }

    /// Decodes `%XX` escapes; `nil` when an escape is malformed or the bytes are not UTF-8.
    func removingPercentEncoding() -> String? {
        var bytes: [UInt8] = []
        var it = Array(utf8)[...]
        while let b = it.popFirst() {
            if b == UInt8(ascii: "%") {
                guard it.count >= 2, let v = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16) else {
                    return nil
                }
                bytes.append(v)
                it = it.dropFirst(2)
            } else {
                bytes.append(b)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}

/// Which node of a Sentinel-managed deployment a client talks to.
public enum RedisSentinelRole: String, Sendable, Hashable {
    /// The primary (every command).
    case primary
    /// A replica (reads; writes are refused by the server).
    case replica
}
