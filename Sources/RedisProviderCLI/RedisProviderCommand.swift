import ArgumentParser
import Foundation
import RedisProvider

/// `redis-provider`: talk to Redis or Valkey from the command line.
@main
struct RedisProviderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redis-provider",
        abstract: "Talk to Redis or Valkey: ping, run any command, benchmark.",
        discussion: """
            The server comes from --url, else the REDIS_URL environment variable, else
            redis://127.0.0.1:6379.

            Exit status: 0 success, 1 the server replied with an error, 2 usage or URL error,
            3 connection, timeout, TLS or authentication failure.
            """,
        subcommands: [Ping.self, Call.self, Bench.self, Config.self, Cluster.self, Scan.self, Sandbox.self, Doctor.self]
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
    @Option(name: .long, help: "Redis URL, e.g. redis://:password@host:6379/0 (default: $REDIS_URL, else redis://127.0.0.1:6379).")
    var url: String?

    func resolvedURL() throws(RedisError) -> RedisURL {
        let text = url ?? ProcessInfo.processInfo.environment["REDIS_URL"] ?? "redis://127.0.0.1:6379"
        return try RedisURL(text)
    }

    /// A cluster or standalone client, as the URL's mode says.
    func makeClient(_ url: RedisURL, protocolVersion: Int? = nil) throws(RedisError) -> any RedisCommandExecutor {
        var configuration = RedisClientConfiguration(url: url)
        if let protocolVersion, url.options.protocolVersion == nil { configuration.protocolVersion = protocolVersion }
        if url.mode.isCluster {
            return try RedisClusterClient(
                seeds: url.endpoints, configuration: configuration, options: RedisClusterOptions(refreshInterval: nil))
        }
        return try RedisClient(endpoint: url.endpoints[0], configuration: configuration)
    }

    func shutdown(_ client: any RedisCommandExecutor) async {
        if let c = client as? RedisClient { await c.shutdown() }
        if let c = client as? RedisClusterClient { await c.shutdown() }
    }
}

/// An exit with a given status and nothing more to print.
struct CLIExit: Error {
    var status: Int32

    static func code(for error: RedisError) -> Int32 {
        switch error.kind {
        case .server: return 1
        case .invalidConfiguration, .unsupportedCommand: return 2
        default: return 3
        }
    }
}
