import NIOCore
import RESP

extension RedisCommandExecutor {
    /// `PING [message]`: `PONG`, or the message.
    @discardableResult
    nonisolated(nonsending) public func ping(_ message: String? = nil) async throws(RedisError) -> String {
        try await execute(RESPCommand("PING", message), as: String.self)
    }

    /// `ECHO message`.
    nonisolated(nonsending) public func echo(_ message: some RESPArgumentEncodable) async throws(RedisError) -> ByteBuffer {
        try await execute(RESPCommand("ECHO", message), as: ByteBuffer.self)
    }

    /// `INFO [section]` as text.
    nonisolated(nonsending) public func info(_ section: String? = nil) async throws(RedisError) -> String {
        try await execute(RESPCommand("INFO", section), as: String.self)
    }

    /// `INFO [section]` as `field: value` pairs (section headers and blank lines dropped).
    nonisolated(nonsending) public func infoFields(_ section: String? = nil) async throws(RedisError) -> [String: String] {
        var fields: [String: String] = [:]
        for line in try await info(section).split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = String(line[line.index(after: colon)...])
        }
        return fields
    }

    /// `CONFIG GET pattern`: the matching parameters and values.
    nonisolated(nonsending) public func configGet(_ pattern: String) async throws(RedisError) -> [String: String] {
        try await execute(RESPCommand("CONFIG", "GET", pattern), as: [String: String].self)
    }

    /// `CONFIG SET parameter value`.
    nonisolated(nonsending) public func configSet(_ parameter: String, _ value: String) async throws(RedisError) {
        _ = try await execute(RESPCommand("CONFIG", "SET", parameter, value))
    }

    /// `DBSIZE`: keys in the current database.
    nonisolated(nonsending) public func dbsize() async throws(RedisError) -> Int {
        try await execute(RESPCommand("DBSIZE"), as: Int.self)
    }

    /// `FLUSHDB [ASYNC]`: removes every key of the current database.
    nonisolated(nonsending) public func flushdb(async: Bool = false) async throws(RedisError) {
        _ = try await execute(RESPCommand("FLUSHDB", async ? "ASYNC" : nil))
    }

    /// `CLIENT ID` of the (shared) connection.
    nonisolated(nonsending) public func clientID() async throws(RedisError) -> Int {
        try await execute(RESPCommand("CLIENT", "ID"), as: Int.self)
    }

    /// `CLIENT GETNAME` of the (shared) connection.
    nonisolated(nonsending) public func clientName() async throws(RedisError) -> String? {
        try await execute(RESPCommand("CLIENT", "GETNAME"), as: String?.self)
    }

    /// `CLIENT LIST` as text.
    nonisolated(nonsending) public func clientList() async throws(RedisError) -> String {
        try await execute(RESPCommand("CLIENT", "LIST"), as: String.self)
    }

    /// `TIME` as seconds and microseconds since the Unix epoch.
    nonisolated(nonsending) public func time() async throws(RedisError) -> (seconds: Int, microseconds: Int) {
        let parts = try await execute(RESPCommand("TIME"), as: [Int].self)
        guard parts.count == 2 else { throw RedisError(.protocolViolation, "TIME must reply with two numbers") }
        return (parts[0], parts[1])
    }
}
