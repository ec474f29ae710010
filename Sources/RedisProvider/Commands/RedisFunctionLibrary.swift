import NIOCore
import RESP

/// A library of Redis functions (Redis 7 and Valkey): its source, loaded with `FUNCTION LOAD`
/// on every primary, and its functions called with `FCALL`/`FCALL_RO`, loading the library
/// where a server answers that a function is missing (a new node, a `FUNCTION FLUSH`).
///
/// Functions are stored and replicated by the server, unlike scripts, so a promoted replica
/// has them; loading on a miss covers nodes that never saw the library.
///
/// ```swift
/// let counters = RedisFunctionLibrary("""
///     #!lua name=counters
///     redis.register_function('bump', function(keys, args) return redis.call('INCRBY', keys[1], args[1]) end)
///     """)
/// let total = try await counters.call("bump", keys: ["visits"], arguments: [2], on: redis, as: Int.self)
/// ```
public struct RedisFunctionLibrary: Sendable, Hashable {
    /// The library's source, starting with its `#!lua name=…` line.
    public let source: String

    /// A library from its source.
    public init(_ source: String) {
        self.source = source
    }

    /// The name on the source's first line (`#!lua name=counters`), or nil without one.
    public var name: String? {
        guard let first = source.split(separator: "\n", maxSplits: 1).first, first.hasPrefix("#!") else { return nil }
        for word in first.split(separator: " ") where word.hasPrefix("name=") {
            return String(word.dropFirst(5))
        }
        return nil
    }

    /// Loads the library (`FUNCTION LOAD REPLACE`, on every primary of a cluster) and returns
    /// its name.
    @discardableResult
    nonisolated(nonsending) public func load(on redis: some RedisCommandExecutor) async throws(RedisError) -> String {
        try await redis.execute(RESPCommand("FUNCTION", "LOAD", "REPLACE", source), as: String.self)
    }

    /// Calls `function` of this library with `keys` and `arguments` (`FCALL`, or `FCALL_RO`
    /// for a function registered with the `no-writes` flag when `readOnly`) and returns its
    /// reply; when the server does not know the function, loads the library there and calls
    /// again.
    @discardableResult
    nonisolated(nonsending) public func call(
        _ function: String, keys: [any RESPArgumentEncodable] = [], arguments: [any RESPArgumentEncodable] = [],
        readOnly: Bool = false, on redis: some RedisCommandExecutor
    ) async throws(RedisError) -> RESPValue {
        var command = RESPCommand(readOnly ? "FCALL_RO" : "FCALL", function)
        command.appendKeys(keys)
        for argument in arguments { command.append(argument) }
        do {
            return try await redis.execute(command)
        } catch where Self.isMissing(error) {
            try await load(on: redis)
            return try await redis.execute(command)
        }
    }

    /// Calls `function` as ``call(_:keys:arguments:readOnly:on:)`` does and converts its reply.
    nonisolated(nonsending) public func call<T: RESPDecodable>(
        _ function: String, keys: [any RESPArgumentEncodable] = [], arguments: [any RESPArgumentEncodable] = [],
        readOnly: Bool = false, on redis: some RedisCommandExecutor, as type: T.Type
    ) async throws(RedisError) -> T {
        try T(fromRESP: try await call(function, keys: keys, arguments: arguments, readOnly: readOnly, on: redis))
    }

    /// Whether `error` says the server has no such function (`ERR Function not found`).
    static func isMissing(_ error: RedisError) -> Bool {
        error.serverError?.code == "ERR" && error.message.lowercased().contains("function not found")
    }
}

extension RESPCommand {
    /// Appends the number of arguments `keys` expand to, then the keys (the `numkeys key…`
    /// of EVAL and FCALL).
    mutating func appendKeys(_ keys: [any RESPArgumentEncodable]) {
        // A key may stand for several arguments (an array): count what they expand to.
        var count = 0
        var scratch = ByteBuffer()
        for key in keys { count += key.writeRESPArguments(into: &scratch) }
        append(count)
        for key in keys { append(key) }
    }
}
