import NIOCore
import RESP

/// Something that runs commands: a standalone client today, a cluster client tomorrow.
/// Every typed command (`get`, `hset`, `zadd` …) is written once, on this protocol.
public protocol RedisCommandExecutor: Sendable {
    /// Runs a command and returns its reply. Error replies are thrown as `RedisError`
    /// of kind `.server` with the reply in `serverError`.
    nonisolated(nonsending) func execute(_ command: RESPCommand) async throws(RedisError) -> RESPValue

    /// Every key matching `match` (and of `type`), as an async sequence. A cluster client
    /// scans every shard; the default scans the one server.
    func scanKeys(match: String?, count: Int?, type: String?) -> RedisScanSequence
}

extension RedisCommandExecutor {
    /// Runs any command given as text arguments: `send("SET", "k", "v")`.
    @discardableResult
    nonisolated(nonsending) public func send(_ name: String, _ arguments: any RESPArgumentEncodable...) async throws(RedisError) -> RESPValue {
        try await execute(RESPCommand(name, arguments: arguments))
    }

    /// Runs any command and converts its reply: `send("GET", "k", as: String?.self)`.
    nonisolated(nonsending) public func send<T: RESPDecodable>(
        _ name: String, _ arguments: any RESPArgumentEncodable..., as type: T.Type
    ) async throws(RedisError) -> T {
        try T(fromRESP: try await execute(RESPCommand(name, arguments: arguments)))
    }

    /// Runs a prepared command and converts its reply.
    nonisolated(nonsending) public func execute<T: RESPDecodable>(_ command: RESPCommand, as type: T.Type) async throws(RedisError) -> T {
        try T(fromRESP: try await execute(command))
    }
}
