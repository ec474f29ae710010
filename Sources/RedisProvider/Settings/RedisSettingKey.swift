extension RedisProviderSettings {
    /// Every configuration key the settings read, with the name each source knows it by.
    ///
    /// The names follow swift-configuration's encoders: the key `redis.connect-timeout` is the
    /// command-line option `--redis-connect-timeout`, the environment variable
    /// `REDIS_CONNECT_TIMEOUT` and the file `redis-connect-timeout` in the mounted folder.
    public enum Key: String, CaseIterable, Sendable, Hashable, CustomStringConvertible {
        /// The Redis URL (a secret: it may carry a password).
        case url = "redis.url"
        /// `redis` or `memory`.
        case cacheProvider = "cache.provider"
        /// `true` or `false`: overrides the mode the URL implies.
        case cluster = "redis.cluster"
        /// How long connecting may take.
        case connectTimeout = "redis.connect-timeout"
        /// How long a command may wait for its reply.
        case commandTimeout = "redis.command-timeout"
        /// Where a cluster sends read-only commands.
        case readPolicy = "redis.read-policy"
        /// Announced-to-reachable address rewrites for a cluster behind NAT or port-forwarding.
        case addressMap = "redis.address-map"
        /// PEM file of the CA certificates to trust.
        case tlsCAFile = "redis.tls.ca-file"
        /// PEM client certificate (mutual TLS).
        case tlsCertificateFile = "redis.tls.cert-file"
        /// PEM private key of the client certificate.
        case tlsKeyFile = "redis.tls.key-file"
        /// The name sent in SNI and checked against the certificate.
        case tlsServerName = "redis.tls.server-name"
        /// Skip certificate verification (testing only).
        case tlsInsecure = "redis.tls.insecure"
        /// Commands allowed to wait on one connection.
        case maxInFlight = "redis.max-in-flight"
        /// Multiplexed connections per node.
        case connectionsPerNode = "redis.connections-per-node"
        /// How often a cluster's topology is refreshed in the background.
        case topologyRefreshInterval = "redis.topology-refresh-interval"
        /// How long a connection may stay silent before a health-check `PING`, or `off`.
        case healthCheck = "redis.health-check"
        /// TCP keep-alive on every connection.
        case tcpKeepAlive = "redis.tcp-keepalive"

        /// The dotted configuration key, e.g. `redis.url`.
        public var description: String { rawValue }

        /// The key's components, e.g. `["redis", "tls", "ca-file"]`.
        public var components: [String] { rawValue.split(separator: ".").map(String.init) }

        /// The file holding the value in a mounted folder, e.g. `redis-url`.
        public var fileName: String { components.joined(separator: "-") }

        /// The environment variable, e.g. `REDIS_URL`.
        public var environmentVariable: String {
            components.map { $0.uppercased().replacingDashes(with: "_") }.joined(separator: "_")
        }

        /// The command-line option, e.g. `--redis-url`.
        public var commandLineOption: String { "--" + fileName }

        /// Whether the value is a secret, never to be printed.
        public var isSecret: Bool { self == .url }

        /// What the key accepts, in words, for help and error messages.
        public var allowedValues: String {
            switch self {
            case .url: return "a redis:// or rediss:// URL, e.g. redis://host:6379?cluster=true"
            case .cacheProvider: return "redis, memory"
            case .cluster, .tlsInsecure, .tcpKeepAlive: return "true, false"
            case .connectTimeout, .commandTimeout: return "a positive duration such as 2s, 500ms or 1.5"
            case .topologyRefreshInterval, .healthCheck: return "a positive duration such as 30s, or off"
            case .readPolicy: return RedisReadPolicy.settingNames.joined(separator: ", ")
            case .addressMap: return "announced:port=reachable:port pairs separated by commas"
            case .tlsCAFile, .tlsCertificateFile, .tlsKeyFile: return "a file path"
            case .tlsServerName: return "a host name"
            case .maxInFlight: return "a whole number from 1 to 10000000"
            case .connectionsPerNode: return "a whole number from 1 to 64"
            }
        }
    }
}

extension String {
    fileprivate func replacingDashes(with replacement: Character) -> String {
        String(map { $0 == "-" ? replacement : $0 })
    }
}

extension RedisReadPolicy {
    /// The names the `redis.read-policy` setting accepts, in the order of the cases.
    public static let settingNames = ["primary", "prefer-replica", "round-robin-replicas", "lowest-latency"]

    /// The policy a setting names (`prefer-replica` …), or `nil`.
    init?(settingName: String) {
        switch settingName.lowercased() {
        case "primary": self = .primary
        case "prefer-replica": self = .preferReplica
        case "round-robin-replicas": self = .roundRobinReplicas
        case "lowest-latency": self = .lowestLatency
        default: return nil
        }
    }

    /// The setting name of the policy, e.g. `prefer-replica`.
    public var settingName: String {
        switch self {
        case .primary: return "primary"
        case .preferReplica: return "prefer-replica"
        case .roundRobinReplicas: return "round-robin-replicas"
        case .lowestLatency: return "lowest-latency"
        }
    }
}
