import Configuration
import Synchronization

/// An access reporter that remembers which provider answered each configuration key, so
/// `RedisProviderSettings` can say where every value came from.
///
/// Give it to the `ConfigReader` you build and to `RedisProviderSettings(reader:sources:)`:
///
/// ```swift
/// import Configuration
///
/// let sources = RedisSettingsSourceRecorder(directory: "/etc/redis-provider")
/// let reader = ConfigReader(
///     providers: [EnvironmentVariablesProvider(), try await DirectoryFilesProvider(directoryPath: "/etc/redis-provider")],
///     accessReporter: sources)
/// let settings = try RedisProviderSettings(reader: reader, sources: sources)
/// ```
///
/// It records provider names and key names only, never values.
public final class RedisSettingsSourceRecorder: AccessReporter, Sendable {
    private let directory: String?
    private let answers = Mutex<[String: RedisSettingSource]>([:])

    /// - Parameter directory: the folder a `DirectoryFilesProvider` reads, to name files by
    ///   their full path.
    public init(directory: String? = nil) {
        self.directory = directory
    }

    public func report(_ event: AccessEvent) {
        let key = event.metadata.key.components.joined(separator: ".")
        var source: RedisSettingSource?
        for providerResult in event.providerResults {
            guard case .success(let lookup) = providerResult.result, lookup.value != nil else { continue }
            source = Self.source(provider: providerResult.providerName, encodedKey: lookup.encodedKey, directory: directory)
            break
        }
        answers.withLock { $0[key] = source }
    }

    /// The source of the last value read for `key` (a dotted key such as `redis.url`, also
    /// found under a scoped reader's prefix, as `myapp.redis.url`), or `nil` when no provider
    /// had it.
    public func source(of key: String) -> RedisSettingSource? {
        answers.withLock { answers in
            if let exact = answers[key] { return exact }
            return answers.first { $0.key.hasSuffix("." + key) }?.value
        }
    }

    static func source(provider: String, encodedKey: String, directory: String?) -> RedisSettingSource {
        switch provider {
        case "CommandLineArgumentsProvider": return .commandLine(option: encodedKey)
        case "EnvironmentVariablesProvider": return .environment(variable: encodedKey)
        case "DirectoryFilesProvider":
            guard let directory else { return .file(path: encodedKey) }
            return .file(path: directory.hasSuffix("/") ? directory + encodedKey : directory + "/" + encodedKey)
        default: return .provider(name: provider, key: encodedKey)
        }
    }
}
