import Configuration
import Foundation
import RedisProvider
import Testing

/// A fresh temporary folder holding `files` (name → content), removed afterwards.
func withConfigFolder<T>(_ files: [String: String], _ body: (String) async throws -> T) async throws -> T {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("redis-provider-settings-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    for (name, content) in files {
        try Data(content.utf8).write(to: URL(fileURLWithPath: path).appendingPathComponent(name))
    }
    return try await body(path)
}

/// Settings from exactly these sources (the program name is added to `arguments`).
func loadSettings(
    arguments: [String] = [], environment: [String: String] = [:], files: [String: String] = [:]
) async throws -> (RedisProviderSettings, String) {
    try await withConfigFolder(files) { folder in
        (try await RedisProviderSettings.load(arguments: ["app"] + arguments, environment: environment, directory: folder), folder)
    }
}

/// The configuration error loading these sources gives; records an issue when it loads.
func settingsError(
    arguments: [String] = [], environment: [String: String] = [:], files: [String: String] = [:],
    sourceLocation: SourceLocation = #_sourceLocation
) async -> (RedisError, String)? {
    do {
        return try await withConfigFolder(files) { folder -> (RedisError, String)? in
            do throws(RedisError) {
                let settings = try await RedisProviderSettings.load(
                    arguments: ["app"] + arguments, environment: environment, directory: folder)
                Issue.record("expected an error, loaded \(settings)", sourceLocation: sourceLocation)
                return nil
            } catch {
                #expect(error.kind == .invalidConfiguration, sourceLocation: sourceLocation)
                return (error, folder)
            }
        }
    } catch {
        Issue.record("\(error)", sourceLocation: sourceLocation)
        return nil
    }
}

@Suite struct SettingsTests {
    @Test func nothingConfiguredMeansTheMemoryCacheAndNoURL() async throws {
        let (settings, _) = try await loadSettings()
        #expect(settings.cacheProvider == .memory)
        #expect(settings.url == nil)
        #expect(settings.mode == nil)
        #expect(settings.entries.allSatisfy { $0.source == .default })
        #expect(settings.entries.first { $0.key == .url }?.value == "(none)")
        let configuration = settings.clientConfiguration()
        #expect(configuration.tls == nil)
        #expect(configuration.connectTimeout == RedisClientConfiguration().connectTimeout)
        #expect(settings.clusterOptions().readPolicy == .primary)
        #expect(settings.clusterOptions().refreshInterval == RedisClusterOptions().refreshInterval)
    }

    @Test func aMissingDefaultFolderIsNoError() async throws {
        // Without a directory argument or REDIS_PROVIDER_CONFIG_DIR, /etc/redis-provider is read
        // only if it exists.
        let settings = try await RedisProviderSettings.load(arguments: ["app"], environment: ["CACHE_PROVIDER": "memory"])
        #expect(settings.cacheProvider == .memory)
    }

    @Test func aNamedFolderMustExist() async throws {
        let missing = "/nonexistent/redis-provider-\(UUID().uuidString)"
        let cases: [([String: String], String?)] = [([:], missing), (["REDIS_PROVIDER_CONFIG_DIR": missing], nil)]
        for (environment, directory) in cases {
            do throws(RedisError) {
                _ = try await RedisProviderSettings.load(arguments: ["app"], environment: environment, directory: directory)
                Issue.record("loaded from a missing folder")
            } catch {
                #expect(error.kind == .invalidConfiguration)
                #expect(error.message.contains(missing))
                #expect(error.message.contains("does not exist"))
            }
        }
    }

    @Test func commandLineBeatsEnvironmentBeatsFolderBeatsDefaults() async throws {
        let files = [
            "redis-url": "redis://from-file:6379", "cache-provider": "redis", "redis-read-policy": "prefer-replica",
            "redis-command-timeout": "3s", "redis-max-in-flight": "77",
        ]
        let environment = ["REDIS_URL": "redis://from-env:6379", "REDIS_READ_POLICY": "lowest-latency", "REDIS_MAX_IN_FLIGHT": "88"]
        let arguments = ["serve", "--port", "8080", "--redis-read-policy", "round-robin-replicas"]
        let (s, folder) = try await loadSettings(arguments: arguments, environment: environment, files: files)

        #expect(s.url?.endpoints == [RedisEndpoint(host: "from-env", port: 6379)])
        #expect(s.source(of: .url) == .environment(variable: "REDIS_URL"))
        #expect(s.cacheProvider == .redis)
        #expect(s.source(of: .cacheProvider) == .file(path: folder + "/cache-provider"))
        #expect(s.readPolicy == .roundRobinReplicas)
        #expect(s.source(of: .readPolicy) == .commandLine(option: "--redis-read-policy"))
        #expect(s.maxInFlight == 88)
        #expect(s.source(of: .maxInFlight) == .environment(variable: "REDIS_MAX_IN_FLIGHT"))
        #expect(s.commandTimeout == .seconds(3))
        #expect(s.source(of: .commandTimeout) == .file(path: folder + "/redis-command-timeout"))
        #expect(s.connectTimeout == nil)
        #expect(s.source(of: .connectTimeout) == .default)
        #expect(s.clientConfiguration().maxInFlight == 88)
        #expect(s.clusterOptions().readPolicy == .roundRobinReplicas)
    }

    @Test func everyKeyIsReadFromEachSourceByItsName() async throws {
        let values: [RedisProviderSettings.Key: String] = [
            .url: "rediss://:pw@10.42.9.221:6380", .cacheProvider: "redis", .cluster: "true", .connectTimeout: "750ms",
            .commandTimeout: "2s", .readPolicy: "lowest-latency", .addressMap: "10.42.9.221:6380=127.0.0.1:7000",
            .tlsCAFile: "/ca.pem", .tlsCertificateFile: "/cert.pem", .tlsKeyFile: "/key.pem", .tlsServerName: "redis.local",
            .tlsInsecure: "true", .maxInFlight: "500", .connectionsPerNode: "3", .topologyRefreshInterval: "off",
            .healthCheck: "10s", .tcpKeepAlive: "false",
        ]
        #expect(Set(values.keys) == Set(RedisProviderSettings.Key.allCases))
        let viaArguments = values.flatMap { [$0.key.commandLineOption, $0.value] }
        let viaEnvironment = Dictionary(uniqueKeysWithValues: values.map { ($0.key.environmentVariable, $0.value) })
        let viaFiles = Dictionary(uniqueKeysWithValues: values.map { ($0.key.fileName, $0.value + "\n") })
        let sources: [([String], [String: String], [String: String])] = [
            (viaArguments, [:], [:]), ([], viaEnvironment, [:]), ([], [:], viaFiles),
        ]
        for (arguments, environment, files) in sources {
            let (s, _) = try await loadSettings(arguments: arguments, environment: environment, files: files)
            #expect(s.sources.count == values.count, "\(s.sources)")
            #expect(s.url?.password == "pw")
            #expect(s.cluster == true)
            #expect(s.connectTimeout == .milliseconds(750))
            #expect(s.readPolicy == .lowestLatency)
            #expect(s.clientConfiguration().healthCheckInterval == .seconds(10))
            #expect(s.clientConfiguration().tcpKeepAlive == false)
            #expect(s.addressMap == [RedisEndpoint(host: "10.42.9.221", port: 6380): RedisEndpoint(host: "127.0.0.1", port: 7000)])
            let tls = try #require(s.clientConfiguration().tls)
            #expect(tls == RedisTLSConfiguration(
                caFile: "/ca.pem", certificateFile: "/cert.pem", keyFile: "/key.pem", serverName: "redis.local", insecure: true))
            #expect(s.clientConfiguration().connectionsPerNode == 3)
            #expect(s.clientConfiguration().maxInFlight == 500)
            #expect(s.clusterOptions().refreshInterval == nil)
        }
    }

    @Test func aSecretFileWithATrailingNewline() async throws {
        let (s, folder) = try await loadSettings(files: ["redis-url": "redis://app:s3cret@cache.local:6380/2\n", "cache-provider": "redis\n"])
        let url = try #require(s.url)
        #expect(url.username == "app")
        #expect(url.password == "s3cret")
        #expect(url.endpoints == [RedisEndpoint(host: "cache.local", port: 6380)])
        #expect(url.database == 2)
        #expect(s.cacheProvider == .redis)
        #expect(s.source(of: .url) == .file(path: folder + "/redis-url"))
        #expect(s.clientConfiguration().password == "s3cret")
        #expect(s.clientConfiguration().database == 2)
    }

    @Test func aKubernetesVolumeWhoseKeysAreSymbolicLinks() async throws {
        // A Secret/ConfigMap volume: ..2025_…/ holds the files, ..data links to it, and each key
        // is a link into ..data.
        try await withConfigFolder([:]) { folder in
            try makeKubernetesVolume(at: folder, ["redis-url": "redis://redis-cluster.redis.svc.cluster.local:6379\n", "cache-provider": "redis"])
            let s = try await RedisProviderSettings.load(arguments: ["app"], environment: [:], directory: folder)
            #expect(s.cacheProvider == .redis)
            #expect(s.url?.endpoints.first?.host == "redis-cluster.redis.svc.cluster.local")
            #expect(s.source(of: .url) == .file(path: folder + "/redis-url"))
            #expect(s.mode?.isCluster == true)
        }
    }

    @Test func aCommaListOnTheCommandLineIsOneURL() async throws {
        let (s, _) = try await loadSettings(arguments: ["--redis-url", "redis://a:7000,redis://b:7001,c:7002"])
        #expect(s.url?.endpoints.map(\.port) == [7000, 7001, 7002])
        #expect(s.mode?.isCluster == true)
        #expect(s.mode?.reason == "the URL names 3 nodes")
    }

    @Test func badValuesNameTheKeyTheSourceAndTheAllowedValues() async throws {
        let cases: [(arguments: [String], environment: [String: String], files: [String: String], expected: [String])] = [
            ([], ["CACHE_PROVIDER": "redsi"], [:], ["cache.provider", "environment (CACHE_PROVIDER)", "'redsi'", "redis, memory"]),
            ([], [:], ["cache-provider": "disk\n"], ["cache.provider", "/cache-provider", "'disk'", "redis, memory"]),
            (["--redis-read-policy", "nearest"], [:], [:],
             ["redis.read-policy", "command line (--redis-read-policy)", "'nearest'", "primary, prefer-replica, round-robin-replicas, lowest-latency"]),
            ([], ["REDIS_CLUSTER": "maybe"], [:], ["redis.cluster", "REDIS_CLUSTER", "'maybe'", "true, false"]),
            ([], ["REDIS_CONNECT_TIMEOUT": "soon"], [:], ["redis.connect-timeout", "REDIS_CONNECT_TIMEOUT", "'soon'", "2s, 500ms"]),
            ([], ["REDIS_COMMAND_TIMEOUT": "-1s"], [:], ["redis.command-timeout", "'-1s'"]),
            ([], ["REDIS_MAX_IN_FLIGHT": "0"], [:], ["redis.max-in-flight", "'0'", "1 to 10000000"]),
            ([], [:], ["redis-connections-per-node": "100"], ["redis.connections-per-node", "'100'", "1 to 64"]),
            ([], ["REDIS_ADDRESS_MAP": "10.0.0.1:6379"], [:], ["redis.address-map", "announced:port=reachable:port"]),
            ([], ["REDIS_ADDRESS_MAP": "a:1=b:1,a:1=c:1"], [:], ["redis.address-map", "twice"]),
            ([], ["REDIS_TOPOLOGY_REFRESH_INTERVAL": "often"], [:], ["redis.topology-refresh-interval", "'often'", "or off"]),
            ([], ["REDIS_TLS_INSECURE": "perhaps"], [:], ["redis.tls.insecure", "REDIS_TLS_INSECURE", "true, false"]),
            ([], ["REDIS_URL": "http://cache:6379"], [:], ["redis.url", "environment (REDIS_URL)", "redis://"]),
        ]
        for c in cases {
            guard let (error, _) = await settingsError(arguments: c.arguments, environment: c.environment, files: c.files) else { continue }
            for text in c.expected {
                #expect(error.message.contains(text), "\(text) missing from: \(error.message)")
            }
        }
    }

    @Test func theRedisCacheNeedsAURL() async throws {
        let (error, _) = try #require(await settingsError(environment: ["CACHE_PROVIDER": "redis"]))
        #expect(error.message.contains("cache.provider"))
        #expect(error.message.contains("redis.url"))
        #expect(error.message.contains("environment (CACHE_PROVIDER)"))
        #expect(error.message.contains("REDIS_URL"))
    }

    @Test func rulesAcrossKeys() async throws {
        let (tls, _) = try #require(await settingsError(environment: ["REDIS_URL": "redis://:hunter2@h:6379", "REDIS_TLS_CA_FILE": "/ca.pem"]))
        #expect(tls.message.contains("redis.tls.ca-file"))
        #expect(tls.message.contains("rediss://"))
        #expect(!tls.message.contains("hunter2"))
        let (pair, _) = try #require(await settingsError(environment: ["REDIS_URL": "rediss://h:6379", "REDIS_TLS_CERT_FILE": "/c.pem"]))
        #expect(pair.message.contains("redis.tls.cert-file"))
        #expect(pair.message.contains("redis.tls.key-file"))
        // The URL's own key file completes the pair.
        let (s, _) = try await loadSettings(environment: [
            "REDIS_URL": "rediss://h:6379?tls_cert_file=/u.pem&tls_key_file=/u.key", "REDIS_TLS_CERT_FILE": "/c.pem",
        ])
        #expect(s.clientConfiguration().tls?.certificateFile == "/c.pem")
        #expect(s.clientConfiguration().tls?.keyFile == "/u.key")
    }

    @Test func thePasswordIsNeverShown() async throws {
        let password = "hunter2-Zq9"
        let (s, _) = try await loadSettings(environment: ["REDIS_URL": "redis://user:\(password)@cache.local:6379", "CACHE_PROVIDER": "redis"])
        #expect(s.url?.password == password)
        #expect(!s.description.contains(password))
        #expect(s.description.contains("redis://user:***@cache.local:6379"))
        #expect(!String(describing: s.entries).contains(password))
        #expect(!String(reflecting: s.url!).contains(password))

        for bad in ["redis://:\(password)@cache.local:notaport", "redis://:\(password)@", "http://:\(password)@cache.local", "redis:/\(password)@x"] {
            let (error, _) = try #require(await settingsError(files: ["redis-url": bad]))
            #expect(!error.message.contains(password), "\(error.message)")
            #expect(!error.description.contains(password))
        }
    }

    @Test func theClusterSettingBeatsTheURLRules() async throws {
        let byName = "redis://redis-cluster.redis.svc.cluster.local:6379"
        let (auto, _) = try await loadSettings(environment: ["REDIS_URL": byName])
        #expect(auto.mode?.isCluster == true)
        #expect(auto.mode?.reason.contains("host name") == true)

        let (overridden, _) = try await loadSettings(environment: ["REDIS_URL": byName, "REDIS_CLUSTER": "false"])
        #expect(overridden.mode?.isCluster == false)
        #expect(overridden.mode?.reason == "environment (REDIS_CLUSTER) sets cluster=false")

        let (fromFile, folder) = try await loadSettings(environment: ["REDIS_URL": "redis://a:1?cluster=true"], files: ["redis-cluster": "false\n"])
        #expect(fromFile.mode?.isCluster == false)
        #expect(fromFile.mode?.reason == "file \(folder)/redis-cluster sets cluster=false")

        let (forced, _) = try await loadSettings(arguments: ["--redis-cluster", "true"], environment: ["REDIS_URL": "redis://127.0.0.1:6379"])
        #expect(forced.mode?.isCluster == true)
        #expect(forced.mode?.reason == "command line (--redis-cluster) sets cluster=true")
    }

    @Test func theURLOptionsAreTheBaseAndSettingsOverrideThem() async throws {
        let (s, _) = try await loadSettings(environment: [
            "REDIS_URL": "redis://u:p@h:6379/3?timeout=2s&connections=2&max_in_flight=50&client_name=web",
            "REDIS_COMMAND_TIMEOUT": "750ms", "REDIS_ADDRESS_MAP": " 10.42.9.221:6379=127.0.0.1:7000 , [fd00::1]:6379=[::1]:7001 ",
            "REDIS_TOPOLOGY_REFRESH_INTERVAL": "10s",
        ])
        let c = s.clientConfiguration()
        #expect(c.commandTimeout == .milliseconds(750))
        #expect(c.connectionsPerNode == 2)
        #expect(c.maxInFlight == 50)
        #expect(c.username == "u")
        #expect(c.password == "p")
        #expect(c.database == 3)
        #expect(c.clientName == "web")
        #expect(s.source(of: .commandTimeout) == .environment(variable: "REDIS_COMMAND_TIMEOUT"))
        #expect(s.source(of: .connectionsPerNode) == .urlOption("connections"))
        #expect(s.entries.first { $0.key == .connectionsPerNode }?.value == "2")
        #expect(s.entries.first { $0.key == .commandTimeout }?.value == "750ms")
        let o = s.clusterOptions()
        #expect(o.addressMap == [
            RedisEndpoint(host: "10.42.9.221", port: 6379): RedisEndpoint(host: "127.0.0.1", port: 7000),
            RedisEndpoint(host: "fd00::1", port: 6379): RedisEndpoint(host: "::1", port: 7001),
        ])
        #expect(o.refreshInterval == .seconds(10))
    }

    @Test func emptyValuesCountAsUnset() async throws {
        let (s, _) = try await loadSettings(environment: ["REDIS_URL": "", "CACHE_PROVIDER": "  "], files: ["redis-read-policy": "\n"])
        #expect(s.url == nil)
        #expect(s.cacheProvider == .memory)
        #expect(s.readPolicy == nil)
        #expect(s.sources.isEmpty)
        // An empty variable does not hide the folder's value.
        let (t, folder) = try await loadSettings(environment: ["REDIS_URL": "", "CACHE_PROVIDER": ""], files: ["cache-provider": "memory"])
        #expect(t.source(of: .cacheProvider) == .file(path: folder + "/cache-provider"))
    }

    @Test func anApplicationsOwnReaderWithProvenance() throws {
        let recorder = RedisSettingsSourceRecorder()
        let reader = ConfigReader(
            providers: [
                InMemoryProvider(name: "app", values: [
                    "cache.provider": "redis", "redis.url": ConfigValue(.string("redis://:pw@h:6379"), isSecret: true),
                    "redis.cluster": true, "redis.max-in-flight": 64, "redis.command-timeout": 1.5,
                ]),
            ],
            accessReporter: recorder)
        let s = try RedisProviderSettings(reader: reader, sources: recorder)
        #expect(s.cacheProvider == .redis)
        #expect(s.url?.password == "pw")
        #expect(s.cluster == true)
        #expect(s.maxInFlight == 64)
        #expect(s.commandTimeout == .milliseconds(1500))
        #expect(s.source(of: .cacheProvider) == .provider(name: "InMemoryProvider[app]", key: "cache.provider"))
        #expect(s.mode?.reason == "InMemoryProvider[app] (redis.cluster) sets cluster=true")

        // Scoped readers and readers without a recorder work too.
        let scoped = ConfigReader(provider: InMemoryProvider(values: ["myapp.cache.provider": "memory"])).scoped(to: "myapp")
        let t = try RedisProviderSettings(reader: scoped)
        #expect(t.cacheProvider == .memory)
        #expect(t.source(of: .cacheProvider) == .provider(name: "configuration", key: "cache.provider"))
    }
}

/// Lays out `files` as Kubernetes writes a Secret or ConfigMap volume: the data in a
/// timestamped hidden folder, `..data` linking to it, and each key a link into `..data`.
func makeKubernetesVolume(at folder: String, _ files: [String: String]) throws {
    let fm = FileManager.default
    let stamped = "..2025_01_01_00_00_00.000000001"
    try fm.createDirectory(atPath: folder + "/" + stamped, withIntermediateDirectories: true)
    for (name, content) in files {
        try Data(content.utf8).write(to: URL(fileURLWithPath: folder + "/" + stamped + "/" + name))
        try fm.createSymbolicLink(atPath: folder + "/" + name, withDestinationPath: "..data/" + name)
    }
    try fm.createSymbolicLink(atPath: folder + "/..data", withDestinationPath: stamped)
}

/// `redis-provider config`, run as a user would; it never connects.
@Suite struct ConfigCommandTests {
    /// Runs `config` with only these settings (an empty folder unless `files` are given).
    static func config(_ arguments: [String], environment: [String: String] = [:], files: [String: String] = [:]) async throws -> (CLITests.Run, String) {
        var env = ["CACHE_PROVIDER": "", "REDIS_CLUSTER": "", "REDIS_PROVIDER_CONFIG_DIR": ""]
        for (k, v) in environment { env[k] = v }
        let environment = env
        return try await withConfigFolder(files) { folder in
            (try await CLITests.cli(["config", "--config-dir", folder] + arguments, environment: environment), folder)
        }
    }

    @Test func tableWithModeAndSources() async throws {
        let (run, folder) = try await Self.config(
            ["--redis-command-timeout", "250ms"],
            environment: ["REDIS_URL": "redis://:hunter2@redis-cluster.redis.svc.cluster.local:6379", "CACHE_PROVIDER": "redis"],
            files: ["redis-read-policy": "prefer-replica\n"])
        #expect(run.status == 0, "\(run.stderr)")
        let out = run.text
        #expect(!out.contains("hunter2") && !run.stderr.contains("hunter2"))
        #expect(out.contains("url:            redis://:***@redis-cluster.redis.svc.cluster.local:6379"))
        #expect(out.contains("mode:           cluster (the host name 'redis-cluster.redis.svc.cluster.local' contains \"cluster\")"))
        #expect(out.contains("cache provider: redis"))
        let lines = out.split(separator: "\n").map(String.init)
        let header = try #require(lines.first { $0.hasPrefix("KEY") })
        let sourceColumn = try #require(header.range(of: "SOURCE")).lowerBound.utf16Offset(in: header)
        func row(_ key: String) -> String? { lines.first { $0.hasPrefix(key + " ") } }
        let expected = [
            "redis.url": "environment (REDIS_URL)", "cache.provider": "environment (CACHE_PROVIDER)",
            "redis.read-policy": "file \(folder)/redis-read-policy", "redis.command-timeout": "command line (--redis-command-timeout)",
            "redis.connect-timeout": "default",
        ]
        for (key, source) in expected {
            let line = try #require(row(key), "no row for \(key) in\n\(out)")
            #expect(line.hasSuffix(source), "\(line)")
            #expect(line.utf16.count - source.utf16.count == sourceColumn, "column of \(key): \(line)")
        }
        #expect(row("redis.command-timeout")?.contains(" 250ms ") == true)
        #expect(row("redis.read-policy")?.contains(" prefer-replica ") == true)
    }

    @Test func jsonForMachines() async throws {
        let (run, _) = try await Self.config(
            ["--json", "--url", "redis://:hunter2@127.0.0.1:6379", "--redis-cluster", "true"],
            environment: ["REDIS_URL": "redis://other:6379"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(!run.text.contains("hunter2"))
        let json = try #require(try JSONSerialization.jsonObject(with: run.stdout) as? [String: Any])
        #expect(json["url"] as? String == "redis://:***@127.0.0.1:6379")
        #expect(json["cacheProvider"] as? String == "memory")
        let mode = try #require(json["mode"] as? [String: Any])
        #expect(mode["cluster"] as? Bool == true)
        #expect(mode["reason"] as? String == "command line (--redis-cluster) sets cluster=true")
        let settings = try #require(json["settings"] as? [[String: Any]])
        #expect(settings.count == RedisProviderSettings.Key.allCases.count)
        let url = try #require(settings.first { $0["key"] as? String == "redis.url" })
        #expect(url["source"] as? String == "command line (--redis-url)")
        #expect(url["environment"] as? String == "REDIS_URL")
        #expect(url["file"] as? String == "redis-url")
    }

    @Test func nothingConfigured() async throws {
        let (run, _) = try await Self.config([])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.text.contains("url:            (none)"))
        #expect(run.text.contains("cache provider: memory"))
        let (json, _) = try await Self.config(["--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: json.stdout) as? [String: Any])
        #expect(object["url"] is NSNull)
        #expect(object["mode"] is NSNull)
        #expect(object["cacheProvider"] as? String == "memory")
    }

    @Test func badValuesExitWithStatus2AndSayWhatToFix() async throws {
        let (bad, _) = try await Self.config([], environment: ["CACHE_PROVIDER": "redsi"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("cache.provider"))
        #expect(bad.stderr.contains("environment (CACHE_PROVIDER)"))
        #expect(bad.stderr.contains("redis, memory"))

        let (noURL, _) = try await Self.config([], files: ["cache-provider": "redis\n"])
        #expect(noURL.status == 2)
        #expect(noURL.stderr.contains("redis.url"))

        let (secret, _) = try await Self.config([], files: ["redis-url": "redis://:hunter2@host:99999\n"])
        #expect(secret.status == 2)
        #expect(secret.stderr.contains("redis.url"))
        #expect(!secret.stderr.contains("hunter2"))

        let (typo, _) = try await Self.config(["--redis-urll", "redis://h"])
        #expect(typo.status == 2)
        #expect(typo.stderr.contains("--redis-urll"))
        #expect(typo.stderr.contains("--redis-url"))
    }

    @Test func helpHasExamplesAndEveryKey() async throws {
        let help = try await CLITests.cli(["config", "--help"])
        #expect(help.status == 0)
        #expect(help.text.contains("Examples:"))
        for key in RedisProviderSettings.Key.allCases {
            #expect(help.text.contains(key.environmentVariable), "\(key)")
        }
    }
}
