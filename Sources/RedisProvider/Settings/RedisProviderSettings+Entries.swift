extension RedisProviderSettings {
    /// One resolved setting as `redis-provider config` shows it.
    public struct Entry: Sendable, Hashable {
        /// The configuration key.
        public var key: Key
        /// The value in effect, as text; the URL with its password replaced by `***`.
        public var value: String
        /// Where the value came from.
        public var source: RedisSettingSource
    }

    /// Every key with the value in effect (after the URL's options and the defaults) and its
    /// source, in the order of `Key.allCases`. Secrets are redacted.
    public var entries: [Entry] {
        let configuration = clientConfiguration()
        let options = clusterOptions()
        let tls = configuration.tls
        let none = "(none)"
        return Key.allCases.map { key in
            let value: String
            switch key {
            case .url: value = url?.description ?? none
            case .cacheProvider: value = cacheProvider.rawValue
            case .cluster: value = (cluster ?? url?.options.cluster).map { String($0) } ?? "auto"
            case .connectTimeout: value = RedisURL.format(configuration.connectTimeout)
            case .commandTimeout: value = configuration.commandTimeout.map(RedisURL.format) ?? "none"
            case .readPolicy: value = options.readPolicy.settingName
            case .addressMap:
                value = addressMap.isEmpty
                    ? none
                    : addressMap.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: ",")
            case .tlsCAFile: value = tls?.caFile ?? tlsCAFile ?? none
            case .tlsCertificateFile: value = tls?.certificateFile ?? tlsCertificateFile ?? none
            case .tlsKeyFile: value = tls?.keyFile ?? tlsKeyFile ?? none
            case .tlsServerName: value = tls?.serverName ?? tlsServerName ?? none
            case .tlsInsecure: value = String(tls?.insecure ?? tlsInsecure ?? false)
            case .maxInFlight: value = String(configuration.maxInFlight)
            case .connectionsPerNode: value = String(configuration.connectionsPerNode)
            case .topologyRefreshInterval: value = options.refreshInterval.map(RedisURL.format) ?? "off"
            case .healthCheck: value = configuration.healthCheckInterval.map(RedisURL.format) ?? "off"
            case .tcpKeepAlive: value = String(configuration.tcpKeepAlive)
            }
            return Entry(key: key, value: value, source: source(of: key))
        }
    }
}
