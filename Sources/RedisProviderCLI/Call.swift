import ArgumentParser
import Foundation
import NIOCore
import RESP
import RedisProvider
import RedisProviderOperations

struct Call: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run any command and print the reply as redis-cli does.",
        discussion: """
            The reply is printed exactly as `redis-cli --no-raw` prints it (or as `redis-cli --raw`
            with --raw), over RESP2 like redis-cli unless -3 is given. A server error reply is
            printed too, and the exit status is 1.

            Examples:
              redis-provider call SET greeting hello
              redis-provider call --raw GET greeting
              redis-provider call HGETALL user:42
            """
    )

    @OptionGroup var connection: ConnectionOptions

    @Flag(name: .long, help: "Print replies as redis-cli --raw does.")
    var raw = false

    @Flag(name: .customLong("no-raw"), help: "Print replies as redis-cli --no-raw does (the default).")
    var noRaw = false

    @Flag(name: [.customShort("3"), .customLong("resp3")], help: "Speak RESP3, as redis-cli -3 does (default: RESP2, as redis-cli).")
    var resp3 = false

    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments.")
    var command: [String]

    func validate() throws {
        guard !command.isEmpty else { throw ValidationError("Give a command, e.g. redis-provider call PING") }
        guard !(raw && noRaw) else { throw ValidationError("Give --raw or --no-raw, not both") }
    }

    func run() async throws {
        let settings = try await connection.settings()
        let url = settings.url!
        let argv = command.map { ByteBuffer(string: $0) }
        let reply: RESPValue
        if settings.mode!.isCluster {
            // Like redis-cli -c: follow the cluster's redirects.
            let provider = try connection.makeProvider(settings, protocolVersion: resp3 ? 3 : 2)
            guard case .cluster(let client) = provider.backend else { preconditionFailure("cluster mode makes a cluster client") }
            do {
                reply = try await client.send(raw: RESPCommand(argv: argv))
            } catch {
                await provider.shutdown()
                throw error
            }
            await provider.shutdown()
        } else if settings.mode!.kind == .sentinel {
            // On a connection of its own to the node the Sentinels announce.
            let provider = try connection.makeProvider(settings, protocolVersion: resp3 ? 3 : 2)
            guard case .standalone(let client) = provider.backend else { preconditionFailure("sentinel mode makes a standalone client") }
            do {
                reply = try await client.node.withDedicatedConnection { c in try await c.send(RESPCommand(argv: argv)) }
            } catch {
                await provider.shutdown()
                throw error
            }
            await provider.shutdown()
        } else {
            var configuration = settings.clientConfiguration()
            if url.options.protocolVersion == nil { configuration.protocolVersion = resp3 ? 3 : 2 }
            // One command on a connection of its own, so that blocking commands work too.
            let connection = try await RedisConnection.connect(to: url.endpoints[0], configuration: configuration)
            do {
                reply = try await connection.send(RESPCommand(argv: argv))
            } catch {
                await connection.close(graceful: false)
                throw error
            }
            await connection.close(graceful: false)
        }
        FileHandle.standardOutput.write(Data(RedisCLIFormat.formatBytes(reply, raw: raw, command: command)))
        if case .error = reply { throw CLIExit(status: 1) }
    }
}
