/// Everything an application needs to decide how to use Redis, read with swift-configuration
/// from the command line, the environment and a mounted Kubernetes Secret/ConfigMap folder.
///
/// Keys (see ``Key`` for each source's name): `redis.url` (a secret), `cache.provider`
/// (`redis` | `memory`), `redis.cluster`, `redis.connect-timeout`, `redis.command-timeout`,
/// `redis.read-policy`, `redis.address-map`, `redis.tls.ca-file`, `redis.tls.cert-file`,
/// `redis.tls.key-file`, `redis.tls.server-name`, `redis.tls.insecure`, `redis.max-in-flight`,
/// `redis.connections-per-node`, `redis.topology-refresh-interval`.
///
/// With nothing configured the cache provider is `memory` and there is no URL: an
/// application runs on a laptop with nothing installed.
///
/// **The URL and the settings.** The URL's own query options (`?timeout=2s&connections=2`)
/// are the base; a setting given by any source overrides the same option in the URL. A
/// `redis.cluster` setting beats every mode rule the URL could trigger.
///
/// The password in the URL never appears in `description`, ``entries`` or errors.
public struct RedisProviderSettings: Sendable, CustomStringConvertible {
    /// The Redis URL, or `nil` when none is configured.
    public var url: RedisURL?
    /// Which cache implementation the application should use.
    public var cacheProvider: CacheProviderKind
    /// Forces cluster (`true`) or standalone (`false`) mode; `nil` lets the URL decide.
    public var cluster: Bool?
    /// Overrides the URL's `connect_timeout`.
    public var connectTimeout: Duration?
    /// Overrides the URL's `timeout`.
    public var commandTimeout: Duration?
    /// Where a cluster sends read-only commands; `nil` keeps the default (`primary`).
    public var readPolicy: RedisReadPolicy?
    /// Announced → reachable address rewrites for a cluster.
    public var addressMap: [RedisEndpoint: RedisEndpoint]
    /// Overrides the URL's `tls_ca_file`.
    public var tlsCAFile: String?
    /// Overrides the URL's `tls_cert_file`.
    public var tlsCertificateFile: String?
    /// Overrides the URL's `tls_key_file`.
    public var tlsKeyFile: String?
    /// Overrides the URL's `tls_server_name`.
    public var tlsServerName: String?
    /// Overrides the URL's `tls_insecure`.
    public var tlsInsecure: Bool?
    /// Overrides the URL's `max_in_flight`.
    public var maxInFlight: Int?
    /// Overrides the URL's `connections`.
    public var connectionsPerNode: Int?
    /// The cluster's background topology refresh interval; `nil` keeps the default (30 s),
    /// `.zero` turns background refresh off (the setting `off`).
    public var topologyRefreshInterval: Duration?
    /// Overrides the URL's `health_check`: the idle time before a health-check `PING`;
    /// `.zero` turns the check off (the setting `off`).
    public var healthCheckInterval: Duration?
    /// TCP keep-alive on every connection; `nil` keeps the default (on).
    public var tcpKeepAlive: Bool?
    /// Where each value that was set came from; keys missing here were not set.
    public var sources: [Key: RedisSettingSource]

    /// Settings with nothing configured: the memory cache and no URL.
    public init() {
        url = nil
        cacheProvider = .memory
        addressMap = [:]
        sources = [:]
    }

    /// Where the value of `key` came from: a source, an option in the URL, or the default.
    public func source(of key: Key) -> RedisSettingSource {
        if let source = sources[key] { return source }
        if let option = urlOptionName(for: key) { return .urlOption(option) }
        return .default
    }

    /// Cluster or standalone and why, or `nil` without a URL. A `redis.cluster` setting wins.
    public var mode: RedisModeDecision? {
        url?.mode(override: cluster, source: source(of: .cluster).description)
    }

    /// The client configuration: the URL's (credentials, database, options) with every
    /// configured setting applied on top. Without a URL, the defaults with the settings.
    public func clientConfiguration() -> RedisClientConfiguration {
        var configuration = url.map(RedisClientConfiguration.init(url:)) ?? RedisClientConfiguration()
        if let connectTimeout { configuration.connectTimeout = connectTimeout }
        if let commandTimeout { configuration.commandTimeout = commandTimeout }
        if let maxInFlight { configuration.maxInFlight = maxInFlight }
        if let connectionsPerNode { configuration.connectionsPerNode = connectionsPerNode }
        if let healthCheckInterval { configuration.healthCheckInterval = healthCheckInterval == .zero ? nil : healthCheckInterval }
        if let tcpKeepAlive { configuration.tcpKeepAlive = tcpKeepAlive }
        if var tls = configuration.tls {
            if let tlsCAFile { tls.caFile = tlsCAFile }
            if let tlsCertificateFile { tls.certificateFile = tlsCertificateFile }
            if let tlsKeyFile { tls.keyFile = tlsKeyFile }
            if let tlsServerName { tls.serverName = tlsServerName }
            if let tlsInsecure { tls.insecure = tlsInsecure }
            configuration.tls = tls
        }
        return configuration
    }

    /// The cluster options: read policy, address map and refresh interval from the settings,
    /// the defaults of `RedisClusterOptions` for the rest.
    public func clusterOptions() -> RedisClusterOptions {
        var options = RedisClusterOptions()
        if let readPolicy { options.readPolicy = readPolicy }
        options.addressMap = addressMap
        if let topologyRefreshInterval {
            options.refreshInterval = topologyRefreshInterval == .zero ? nil : topologyRefreshInterval
        }
        return options
    }

    public var description: String {
        let shown = entries.filter { $0.key == .cacheProvider || $0.source != .default }
        return "RedisProviderSettings(" + shown.map { "\($0.key)=\($0.value)" }.joined(separator: ", ") + ")"
    }

    /// The URL query option a key overrides, when the URL sets it.
    private func urlOptionName(for key: Key) -> String? {
        guard let o = url?.options else { return nil }
        switch key {
        case .cluster: return o.cluster != nil ? "cluster" : nil
        case .connectTimeout: return o.connectTimeout != nil ? "connect_timeout" : nil
        case .commandTimeout: return o.commandTimeout != nil ? "timeout" : nil
        case .tlsCAFile: return o.tlsCAFile != nil ? "tls_ca_file" : nil
        case .tlsCertificateFile: return o.tlsCertificateFile != nil ? "tls_cert_file" : nil
        case .tlsKeyFile: return o.tlsKeyFile != nil ? "tls_key_file" : nil
        case .tlsServerName: return o.tlsServerName != nil ? "tls_server_name" : nil
        case .tlsInsecure: return o.tlsInsecure != nil ? "tls_insecure" : nil
        case .maxInFlight: return o.maxInFlight != nil ? "max_in_flight" : nil
        case .connectionsPerNode: return o.connectionsPerNode != nil ? "connections" : nil
        case .healthCheck: return o.healthCheck != nil ? "health_check" : nil
        case .url, .cacheProvider, .readPolicy, .addressMap, .topologyRefreshInterval, .tcpKeepAlive: return nil
        }
    }
}
