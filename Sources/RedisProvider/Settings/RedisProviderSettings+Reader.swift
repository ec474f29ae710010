import Configuration

extension RedisProviderSettings {
    /// Reads the settings from any `ConfigReader`, for applications that assemble their own
    /// providers. Pass the `RedisSettingsSourceRecorder` given to the reader as its access
    /// reporter to know where each value came from; without it a value's source is the
    /// reader's key.
    ///
    /// Values are read as text (a comma list is joined back, as `--redis-url a,b` arrives in
    /// pieces; numbers and Booleans are accepted too); empty values count as unset.
    ///
    /// - Throws: `RedisError(.invalidConfiguration)` naming the key, its source and the allowed
    ///   values; also when `cache.provider` is `redis` without a `redis.url`.
    public init(reader: ConfigReader, sources recorder: RedisSettingsSourceRecorder? = nil) throws(RedisError) {
        self.init()
        typealias P = RedisSettingParsing
        var sources: [Key: RedisSettingSource] = [:]

        func text(_ key: Key) -> (String, RedisSettingSource)? {
            guard let value = Self.lookup(key, in: reader) else { return nil }
            let joined = String(value.trimmingWhitespace())
            guard !joined.isEmpty else { return nil }
            let source = recorder?.source(of: key.rawValue) ?? .provider(name: "configuration", key: key.rawValue)
            sources[key] = source
            return (joined, source)
        }

        if case let (t, s)? = text(.url) { url = try P.url(t, s) }
        if case let (t, s)? = text(.cacheProvider) { cacheProvider = try P.cacheProvider(t, s) }
        if case let (t, s)? = text(.cluster) { cluster = try P.bool(.cluster, t, s) }
        if case let (t, s)? = text(.connectTimeout) { connectTimeout = try P.duration(.connectTimeout, t, s) }
        if case let (t, s)? = text(.commandTimeout) { commandTimeout = try P.duration(.commandTimeout, t, s) }
        if case let (t, s)? = text(.readPolicy) { readPolicy = try P.readPolicy(t, s) }
        if case let (t, s)? = text(.addressMap) { addressMap = try P.addressMap(t, s) }
        if case let (t, s)? = text(.tlsCAFile) { tlsCAFile = try P.nonEmpty(.tlsCAFile, t, s) }
        if case let (t, s)? = text(.tlsCertificateFile) { tlsCertificateFile = try P.nonEmpty(.tlsCertificateFile, t, s) }
        if case let (t, s)? = text(.tlsKeyFile) { tlsKeyFile = try P.nonEmpty(.tlsKeyFile, t, s) }
        if case let (t, s)? = text(.tlsServerName) { tlsServerName = try P.nonEmpty(.tlsServerName, t, s) }
        if case let (t, s)? = text(.tlsInsecure) { tlsInsecure = try P.bool(.tlsInsecure, t, s) }
        if case let (t, s)? = text(.maxInFlight) { maxInFlight = try P.integer(.maxInFlight, t, s, range: 1...10_000_000) }
        if case let (t, s)? = text(.connectionsPerNode) { connectionsPerNode = try P.integer(.connectionsPerNode, t, s, range: 1...64) }
        if case let (t, s)? = text(.topologyRefreshInterval) { topologyRefreshInterval = try P.interval(.topologyRefreshInterval, t, s) }
        if case let (t, s)? = text(.healthCheck) { healthCheckInterval = try P.interval(.healthCheck, t, s) }
        if case let (t, s)? = text(.tcpKeepAlive) { tcpKeepAlive = try P.bool(.tcpKeepAlive, t, s) }
        self.sources = sources
        try validate()
    }

    /// The value as text, whatever type the provider holds: a string first; a list (the command
    /// line splits `--redis-url a,b` at the comma) joined back; else a number or a Boolean, as
    /// an `InMemoryProvider` or a JSON file may hold them.
    static func lookup(_ key: Key, in reader: ConfigReader) -> String? {
        let k = ConfigKey(key.components)
        let secret = key.isSecret
        if let v = reader.string(forKey: k, isSecret: secret) { return v }
        if let v = reader.stringArray(forKey: k, isSecret: secret) { return v.joined(separator: ",") }
        if let v = reader.int(forKey: k, isSecret: secret) { return String(v) }
        if let v = reader.double(forKey: k, isSecret: secret) { return String(v) }
        if let v = reader.bool(forKey: k, isSecret: secret) { return String(v) }
        return nil
    }

    /// Checks the rules that span keys.
    func validate() throws(RedisError) {
        if cacheProvider == .redis, url == nil {
            let k = Key.url
            throw RedisError(
                .invalidConfiguration,
                "Invalid configuration: cache.provider is redis (from \(source(of: .cacheProvider))) but redis.url is not set; "
                    + "set redis.url (\(k.commandLineOption), the environment variable \(k.environmentVariable) or the file "
                    + "\(k.fileName) in the configuration folder), or set cache.provider to memory.")
        }
        let tlsKeys: [Key] = [.tlsCAFile, .tlsCertificateFile, .tlsKeyFile, .tlsServerName, .tlsInsecure]
        if let url, !url.tls, let key = tlsKeys.first(where: { sources[$0] != nil }) {
            throw RedisError(
                .invalidConfiguration,
                "Invalid configuration: \(key) from \(source(of: key)) needs TLS, but redis.url from \(source(of: .url)) "
                    + "starts with redis://; use rediss:// or remove \(key).")
        }
        if let tls = clientConfiguration().tls, (tls.certificateFile == nil) != (tls.keyFile == nil) {
            let given: Key = tls.certificateFile != nil ? .tlsCertificateFile : .tlsKeyFile
            let missing: Key = given == .tlsCertificateFile ? .tlsKeyFile : .tlsCertificateFile
            throw RedisError(
                .invalidConfiguration,
                "Invalid configuration: \(given) (from \(source(of: given))) needs \(missing) too: give both or neither.")
        }
    }
}
