import ArgumentParser
import Foundation
import Logging
import NIOCore
import NIOPosix
import RedisProvider

/// `redis-provider`: talk to Redis or Valkey from the command line.
@main
struct RedisProviderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redis-provider",
        abstract: "Redis and Valkey, standalone or cluster: run commands, inspect and diagnose, benchmark, sandbox.",
        discussion: """
            The server comes from --url, else the configuration (REDIS_URL, or the redis-url
            file in $REDIS_PROVIDER_CONFIG_DIR or /etc/redis-provider), else
            redis://127.0.0.1:6379. A URL with ?cluster=true, several hosts, or "cluster" in
            its host name is a Redis Cluster (see `redis-provider config`).

            Exit status: 0 success, 1 the server replied with an error (doctor, cluster check:
            unhealthy), 2 usage, URL or configuration error, 3 connection, timeout, TLS or
            authentication failure.

            Examples:
              export REDIS_URL=$(redis-provider sandbox start --cluster)
              redis-provider doctor
              redis-provider call MSET a 1 b 2
              redis-provider subscribe chat:room1
              redis-provider cluster check
            """,
        subcommands: [
            Ping.self, Call.self, Scan.self, Subscribe.self, PSubscribe.self, SSubscribe.self, Config.self, Cluster.self,
            Doctor.self, Bench.self, Sandbox.self, Lock.self,
        ]
    )

    /// Runs the command and maps every failure to the documented exit status.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as RedisError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            Foundation.exit(CLIExit.code(for: error))
        } catch let exit as CLIExit {
            Foundation.exit(exit.status)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                self.exit(withError: error)  // --help, --version
            }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(2)
        }
    }
}

/// Options every subcommand shares.
struct ConnectionOptions: ParsableArguments {
    @Option(
        name: .long,
        help: "Redis URL, e.g. redis://:password@host:6379/0 (default: the configuration — $REDIS_URL, the redis-url file in $REDIS_PROVIDER_CONFIG_DIR or /etc/redis-provider — else redis://127.0.0.1:6379).")
    var url: String?

    /// The configuration (environment, mounted folder) with `--url` on top.
    func settings() async throws(RedisError) -> RedisProviderSettings {
        var settings = try await RedisProviderSettings.load(arguments: [])
        if let url {
            settings.url = try RedisURL(url)
            settings.sources[.url] = .commandLine(option: "--url")
        }
        if settings.url == nil { settings.url = try RedisURL("redis://127.0.0.1:6379") }
        return settings
    }

    func resolvedURL() async throws(RedisError) -> RedisURL {
        try await settings().url!
    }

    /// The URL text as given, unparsed (for `doctor`, which reports a bad one itself).
    func configuredURLText() async throws(RedisError) -> String {
        if let url { return url }
        return try await RedisProviderSettings.configuredURL(arguments: []) ?? "redis://127.0.0.1:6379"
    }

    /// A provider for the configuration: cluster or standalone as its mode says, with its
    /// timeouts, address map and TLS files; no background refresh (commands are short-lived).
    /// With `connectionsPerEventLoop`, each node gets at least one connection per loop of
    /// `eventLoopGroup` (callers running on a loop then use its connection).
    func makeProvider(
        _ settings: RedisProviderSettings, protocolVersion: Int? = nil, cluster: Bool? = nil,
        connectionsPerEventLoop: Bool = false, subscriptionBufferSize: Int? = nil,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws(RedisError) -> RedisProvider {
        let url = settings.url!
        var configuration = settings.clientConfiguration()
        if let subscriptionBufferSize { configuration.subscriptionBufferSize = subscriptionBufferSize }
        if let protocolVersion, url.options.protocolVersion == nil { configuration.protocolVersion = protocolVersion }
        if connectionsPerEventLoop {
            configuration.connectionsPerNode = max(configuration.connectionsPerNode, Array(eventLoopGroup.makeIterator()).count)
        }
        var options = settings.clusterOptions()
        options.refreshInterval = nil
        let mode = cluster.map { url.mode(override: $0, source: "the server") } ?? settings.mode!
        return try RedisProvider(
            url: url, mode: mode, configuration: configuration, clusterOptions: options,
            observability: RedisObservability(logger: Logger(label: "redis-provider", factory: { _ in SwiftLogNoOpLogHandler() }), tracer: nil),
            eventLoopGroup: eventLoopGroup)
    }
}

/// An exit with a given status and nothing more to print.
struct CLIExit: Error {
    var status: Int32

    /// 1: the command was refused, by the server or before sending because the server would
    /// refuse it (keys across slots); 2: usage, URL or configuration; 3: the server or the
    /// cluster could not be reached or did not answer as it should.
    static func code(for error: RedisError) -> Int32 {
        switch error.kind {
        case .server, .crossSlot, .lockNotAcquired, .lockLost: return 1
        case .invalidConfiguration, .unsupportedCommand: return 2
        case .dnsFailure, .connectionRefused, .connectTimeout, .commandTimeout, .connectionClosed, .authentication, .tls,
            .protocolViolation, .tooManyInFlight, .shutdown, .cancelled, .redirectLimit, .clusterDown, .outcomeUnknown:
            return 3
        }
    }
}
