import Configuration
import Foundation
import SystemPackage

extension RedisProviderSettings {
    /// The folder read when neither `directory` nor `REDIS_PROVIDER_CONFIG_DIR` names one (and
    /// only if it exists): mount the Kubernetes Secret and ConfigMap here.
    public static let defaultDirectory = "/etc/redis-provider"

    /// The environment variable that names the configuration folder.
    public static let directoryEnvironmentVariable = "REDIS_PROVIDER_CONFIG_DIR"

    /// Loads the settings from, highest first:
    /// 1. the command line (`--redis-url`, `--cache-provider`, … — see ``Key/commandLineOption``);
    /// 2. the environment (`REDIS_URL`, `CACHE_PROVIDER`, … — ``Key/environmentVariable``);
    /// 3. a folder where each key is a file (`redis-url`, `cache-provider`, … —
    ///    ``Key/fileName``), such as a mounted Kubernetes Secret or ConfigMap; surrounding
    ///    white space, such as a trailing newline, is ignored;
    /// 4. the defaults (the memory cache, no URL).
    ///
    /// - Parameters:
    ///   - arguments: the command line, program name first (as `CommandLine.arguments`).
    ///     Arguments that are not settings are ignored.
    ///   - environment: the environment variables; empty ones count as unset.
    ///   - directory: the folder to read, which must exist. When `nil`, the folder named by
    ///     `REDIS_PROVIDER_CONFIG_DIR` (which must exist), else ``defaultDirectory`` if it exists.
    /// - Throws: `RedisError(.invalidConfiguration)` naming the key, its source and the allowed
    ///   values, or the folder that cannot be read.
    public static func load(
        arguments: [String] = CommandLine.arguments,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        directory: String? = nil
    ) async throws(RedisError) -> RedisProviderSettings {
        let (reader, recorder) = try await reader(arguments: arguments, environment: environment, directory: directory)
        return try RedisProviderSettings(reader: reader, sources: recorder)
    }

    /// The URL text as configured (`redis.url` from the same sources as ``load(arguments:environment:directory:)``),
    /// not yet parsed: for tools such as `redis-provider doctor` that report a bad URL themselves.
    public static func configuredURL(
        arguments: [String] = CommandLine.arguments,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        directory: String? = nil
    ) async throws(RedisError) -> String? {
        let (reader, _) = try await reader(arguments: arguments, environment: environment, directory: directory)
        let text = lookup(.url, in: reader)?.trimmingCharacters(in: .whitespacesAndNewlines)
        return text?.isEmpty == false ? text : nil
    }

    /// The sources in precedence order, and the recorder that remembers which one answered.
    private static func reader(
        arguments: [String], environment: [String: String], directory: String?
    ) async throws(RedisError) -> (ConfigReader, RedisSettingsSourceRecorder) {
        let folder = configurationFolder(directory: directory, environment: environment)
        let secret = Key.url
        var providers: [any ConfigProvider] = [
            CommandLineArgumentsProvider(arguments: arguments, secretsSpecifier: .specific([secret.commandLineOption])),
            // An empty variable (`REDIS_URL=`) is as if unset: the folder and defaults still apply.
            EnvironmentVariablesProvider(
                environmentVariables: environment.filter { !$0.value.trimmingWhitespace().isEmpty },
                secretsSpecifier: .specific([secret.environmentVariable])),
        ]
        if let folder {
            providers.append(try await directoryProvider(folder))
        }
        let recorder = RedisSettingsSourceRecorder(directory: folder?.path)
        return (ConfigReader(providers: providers, accessReporter: recorder), recorder)
    }

    /// The folder to read, why, and whether it must exist.
    struct ConfigurationFolder: Equatable {
        var path: String
        var origin: String
        var required: Bool
    }

    static func configurationFolder(directory: String?, environment: [String: String]) -> ConfigurationFolder? {
        if let directory { return ConfigurationFolder(path: directory, origin: "the directory argument", required: true) }
        if let named = environment[directoryEnvironmentVariable], !named.isEmpty {
            return ConfigurationFolder(path: named, origin: "the environment variable \(directoryEnvironmentVariable)", required: true)
        }
        return ConfigurationFolder(path: defaultDirectory, origin: "the default folder", required: false)
    }

    /// A `DirectoryFilesProvider` for the folder. In a Kubernetes Secret or ConfigMap volume each
    /// key is a symbolic link into the `..data` folder, which `DirectoryFilesProvider` (1.4)
    /// skips; so when `..data` exists, that folder is the one read.
    static func directoryProvider(_ folder: ConfigurationFolder) async throws(RedisError) -> DirectoryFilesProvider {
        let kind = fileKind(folder.path)
        if folder.required, kind != .directory {
            throw RedisError(
                .invalidConfiguration,
                "Invalid configuration: the configuration folder '\(folder.path)' (from \(folder.origin)) "
                    + (kind == .missing ? "does not exist" : "is not a folder")
                    + "; create it, mount the Secret/ConfigMap there, or name another folder.")
        }
        let atomicWriterData = URL(fileURLWithPath: folder.path).appendingPathComponent("..data").path
        let path = fileKind(atomicWriterData) == .directory ? atomicWriterData : folder.path
        do {
            return try await DirectoryFilesProvider(
                directoryPath: FilePath(path), allowMissing: !folder.required,
                secretsSpecifier: .specific([Key.url.fileName]))
        } catch {
            throw RedisError(
                .invalidConfiguration,
                "Invalid configuration: cannot read the configuration folder '\(folder.path)' (from \(folder.origin)): \(error). "
                    + "Check its permissions.")
        }
    }

    enum FileKind { case missing, directory, other }

    /// What is at `path`, following symbolic links.
    static func fileKind(_ path: String) -> FileKind {
        #if canImport(Darwin)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return .missing }
        return isDirectory.boolValue ? .directory : .other
        #else
        var isDirectory = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return .missing }
        return isDirectory ? .directory : .other
        #endif
    }
}
