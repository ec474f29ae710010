import Crypto
import NIOCore
import RESP

/// A Lua script that is sent by its SHA1 digest (`EVALSHA`) and in full (`EVAL`) only when the
/// server does not have it yet.
///
/// A server answers `NOSCRIPT` after a restart, a `SCRIPT FLUSH`, or a failover to a replica
/// that never saw the script; ``run(on:keys:arguments:)`` then sends the
/// source with `EVAL`, which also caches it on that server, so later runs go by digest again.
/// In a cluster the command is routed by its keys like any other (they must share a hash
/// slot), so each primary learns the script the first time it needs it.
///
/// ```swift
/// let incrementBy = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")
/// let total = try await incrementBy.run(on: redis, keys: ["visits"], arguments: [5], as: Int.self)
/// ```
public struct RedisScript: Sendable, Hashable {
    /// The Lua source.
    public let source: String
    /// The SHA1 digest of ``source`` in lower-case hex: the name `EVALSHA` and `SCRIPT LOAD` use.
    public let sha1: String
    /// Whether the script only reads: it is sent as `EVALSHA_RO`/`EVAL_RO` (Redis 7 and
    /// Valkey), which the server refuses to run if the script writes, and which a cluster
    /// client may send to a replica when its read policy allows.
    public let readOnly: Bool

    /// A script from its Lua source.
    public init(_ source: String, readOnly: Bool = false) {
        self.source = source
        self.readOnly = readOnly
        self.sha1 = Insecure.SHA1.hash(data: Array(source.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// The `EVALSHA` command (`EVALSHA_RO` when read-only) that runs the script with `keys`
    /// and `arguments`: what to put in a pipeline (see
    /// ``RedisClientProtocol/pipeline(_:scripts:)``).
    public func command(keys: [any RESPArgumentEncodable] = [], arguments: [any RESPArgumentEncodable] = []) -> RESPCommand {
        invocation(readOnly ? "EVALSHA_RO" : "EVALSHA", sha1, keys: keys, arguments: arguments)
    }

    /// The `EVAL` command (`EVAL_RO` when read-only) that sends the whole source.
    public func sourceCommand(keys: [any RESPArgumentEncodable] = [], arguments: [any RESPArgumentEncodable] = []) -> RESPCommand {
        invocation(readOnly ? "EVAL_RO" : "EVAL", source, keys: keys, arguments: arguments)
    }

    private func invocation(
        _ name: String, _ body: String, keys: [any RESPArgumentEncodable], arguments: [any RESPArgumentEncodable]
    ) -> RESPCommand {
        var command = RESPCommand(name, body)
        command.appendKeys(keys)
        for argument in arguments { command.append(argument) }
        return command
    }

    /// The `EVAL` to send instead when `command`, an `EVALSHA` of this script, was refused
    /// with `NOSCRIPT`; nil for any other command.
    func sourceCommand(replacing command: RESPCommand) -> RESPCommand? {
        guard let name = command.nameBytes.map({ String(buffer: $0).uppercased() }), name == "EVALSHA" || name == "EVALSHA_RO",
            let digest = command.argument(at: 1), String(buffer: digest).lowercased() == sha1
        else { return nil }
        var replacement = RESPCommand(name == "EVALSHA" ? "EVAL" : "EVAL_RO", source)
        var index = 2
        while let argument = command.argument(at: index) {
            replacement.append(argument)
            index += 1
        }
        return replacement
    }

    /// Whether `error` says the server does not have the script.
    static func isMissing(_ error: RedisError) -> Bool {
        error.serverError?.code == "NOSCRIPT"
    }
}

extension RedisScript {
    /// Runs the script on `redis` with `keys` (`KEYS[1]` …) and `arguments` (`ARGV[1]` …) and
    /// returns its reply: by digest, and once more with the whole source if the server answers
    /// `NOSCRIPT`. An error the script raises is thrown as a `.server` ``RedisError``.
    @discardableResult
    nonisolated(nonsending) public func run(
        on redis: some RedisCommandExecutor, keys: [any RESPArgumentEncodable] = [], arguments: [any RESPArgumentEncodable] = []
    ) async throws(RedisError) -> RESPValue {
        do {
            return try await redis.execute(command(keys: keys, arguments: arguments))
        } catch where Self.isMissing(error) {
            return try await redis.execute(sourceCommand(keys: keys, arguments: arguments))
        }
    }

    /// Runs the script as ``run(on:keys:arguments:)`` does and converts its reply.
    nonisolated(nonsending) public func run<T: RESPDecodable>(
        on redis: some RedisCommandExecutor, keys: [any RESPArgumentEncodable] = [], arguments: [any RESPArgumentEncodable] = [],
        as type: T.Type
    ) async throws(RedisError) -> T {
        try T(fromRESP: try await run(on: redis, keys: keys, arguments: arguments))
    }

    /// Loads the script into the script cache of `redis` (`SCRIPT LOAD`; on every node of a
    /// cluster), so that its first run needs no fallback. Not required:
    /// ``run(on:keys:arguments:)`` loads it where it is missing.
    nonisolated(nonsending) public func load(on redis: some RedisCommandExecutor) async throws(RedisError) {
        _ = try await redis.execute(RESPCommand("SCRIPT", "LOAD", source))
    }
}

extension RedisClientProtocol {
    /// Sends `commands` as ``pipeline(_:)`` does; those that are `EVALSHA` of one of `scripts`
    /// (made with ``RedisScript/command(keys:arguments:)``) and come back `NOSCRIPT` are sent
    /// again with the whole source, after the pipeline, and their results take their places.
    nonisolated(nonsending) public func pipeline(_ commands: [RESPCommand], scripts: [RedisScript]) async -> [Result<RESPValue, RedisError>] {
        var results = await pipeline(commands)
        for i in results.indices {
            guard case .failure(let error) = results[i], RedisScript.isMissing(error),
                let retry = scripts.lazy.compactMap({ $0.sourceCommand(replacing: commands[i]) }).first
            else { continue }
            do throws(RedisError) {
                results[i] = .success(try await execute(retry))
            } catch {
                results[i] = .failure(error)
            }
        }
        return results
    }
}
