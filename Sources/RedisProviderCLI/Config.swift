import ArgumentParser
import Foundation
import RedisProvider

/// `redis-provider config`: the resolved configuration and where each value came from,
/// without connecting.
struct Config: AsyncParsableCommand {
    typealias Key = RedisProviderSettings.Key

    static let configuration = CommandConfiguration(
        abstract: "Show the resolved configuration and the source of each value, without connecting.",
        discussion: """
            Sources, highest first: the command line, the environment, the configuration
            folder (each key a file, as in a mounted Kubernetes Secret or ConfigMap; the
            folder is --config-dir, else $\(RedisProviderSettings.directoryEnvironmentVariable), else
            \(RedisProviderSettings.defaultDirectory) if it exists), then the defaults. The URL's own
            options are the base and settings override them. The password is never shown.

            Keys. The file is the key with '-' for '.' (redis-tls-ca-file), the option
            is --FILE (--redis-tls-ca-file), the variable FILE in capitals with '_':
            \(keyTable)

            Exit status: 0 the configuration is valid, 2 it is not (the error names the
            key, its source and the allowed values).

            Examples:
              redis-provider config
              redis-provider config --json
              REDIS_URL=redis://redis-cluster.redis.svc.cluster.local:6379 \\
                CACHE_PROVIDER=redis redis-provider config
              redis-provider config --config-dir /etc/redis-provider \\
                --redis-read-policy prefer-replica
              redis-provider config --url 'redis://:secret@127.0.0.1:6379' \\
                --redis-cluster false
            """
    )

    @Flag(name: .long, help: "Print JSON for machines instead of a table.")
    var json = false

    @Option(name: .long, help: "The Redis URL (the same as --redis-url; default: $REDIS_URL, then the folder's redis-url).")
    var url: String?

    @Option(
        name: .customLong("config-dir"),
        help: "The configuration folder (default: $\(RedisProviderSettings.directoryEnvironmentVariable), else \(RedisProviderSettings.defaultDirectory) if it exists).")
    var configDirectory: String?

    @Argument(parsing: .allUnrecognized, help: "Settings as options, e.g. --cache-provider redis (see the list above).")
    var settings: [String] = []

    func run() async throws {
        let arguments = try Self.settingArguments(url: url, settings: settings)
        let resolved = try await RedisProviderSettings.load(arguments: ["redis-provider"] + arguments, directory: configDirectory)
        print(try json ? Self.json(resolved) : Self.table(resolved), terminator: "")
    }

    /// The command line for the settings loader: `--url` as `--redis-url`, and every other
    /// option checked to be a setting.
    static func settingArguments(url: String?, settings: [String]) throws(RedisError) -> [String] {
        let known = Set(Key.allCases.map(\.commandLineOption))
        for argument in settings where argument.hasPrefix("--") {
            let name = String(argument.prefix { $0 != "=" })
            guard known.contains(name) else {
                throw RedisError(
                    .invalidConfiguration,
                    "Unknown option '\(name)'; settings are \(Key.allCases.map(\.commandLineOption).joined(separator: ", ")).")
            }
        }
        guard let url else { return settings }
        if settings.contains(where: { $0 == Key.url.commandLineOption || $0.hasPrefix(Key.url.commandLineOption + "=") }) {
            throw RedisError(.invalidConfiguration, "Give --url or --redis-url, not both.")
        }
        return [Key.url.commandLineOption, url] + settings
    }

    /// The aligned table for people.
    static func table(_ settings: RedisProviderSettings) -> String {
        var out = "url:            \(settings.url?.description ?? "(none)")\n"
        if let mode = settings.mode {
            out += "mode:           \(mode.kind.rawValue) (\(mode.reason))\n"
        } else {
            out += "mode:           (no URL, nothing to connect to)\n"
        }
        out += "cache provider: \(settings.cacheProvider)\n\n"
        let rows = [["KEY", "VALUE", "SOURCE"]] + settings.entries.map { [$0.key.rawValue, $0.value, $0.source.description] }
        let widths = (0..<2).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            out += row[0].padding(toLength: widths[0] + 2, withPad: " ", startingAt: 0)
            out += row[1].padding(toLength: widths[1] + 2, withPad: " ", startingAt: 0)
            out += row[2] + "\n"
        }
        return out
    }

    struct Report: Encodable {
        struct Mode: Encodable {
            var cluster: Bool
            var reason: String
        }
        struct Setting: Encodable {
            var key: String
            var value: String
            var source: String
            var option: String
            var environment: String
            var file: String
        }
        var url: String?
        var mode: Mode?
        var cacheProvider: String
        var settings: [Setting]

        enum CodingKeys: String, CodingKey { case url, mode, cacheProvider, settings }

        /// `url` and `mode` are `null` when there is no URL, rather than missing.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(url, forKey: .url)
            try container.encode(mode, forKey: .mode)
            try container.encode(cacheProvider, forKey: .cacheProvider)
            try container.encode(settings, forKey: .settings)
        }
    }

    /// The JSON for machines: the same values, secrets redacted.
    static func json(_ settings: RedisProviderSettings) throws -> String {
        let report = Report(
            url: settings.url?.description,
            mode: settings.mode.map { Report.Mode(cluster: $0.isCluster, reason: $0.reason) },
            cacheProvider: settings.cacheProvider.rawValue,
            settings: settings.entries.map {
                Report.Setting(
                    key: $0.key.rawValue, value: $0.value, source: $0.source.description,
                    option: $0.key.commandLineOption, environment: $0.key.environmentVariable, file: $0.key.fileName)
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(report), as: UTF8.self) + "\n"
    }

    /// Two lines per key for `--help`: the key and its variable, then what it accepts.
    static var keyTable: String {
        let width = Key.allCases.map(\.rawValue.count).max() ?? 0
        return Key.allCases.map { key in
            "  " + key.rawValue.padding(toLength: width + 2, withPad: " ", startingAt: 0) + key.environmentVariable
                + (key.isSecret ? " (secret)" : "") + "\n      " + key.allowedValues
        }.joined(separator: "\n")
    }
}
