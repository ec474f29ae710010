import NIOCore
import RESP

/// When `SET` should write.
public enum RedisSetCondition: Sendable {
    /// Always (the default).
    case always
    /// Only when the key does not exist (`NX`).
    case ifNotExists
    /// Only when the key exists (`XX`).
    case ifExists
}

/// How `SET` treats the key's time to live.
public enum RedisExpiration: Sendable {
    /// `EX`/`PX`: expire after a duration (sent in milliseconds when not whole seconds, a
    /// fraction of a millisecond rounded up: 0.5 ms is `PX 1`). The server refuses zero and
    /// negative durations.
    case after(Duration)
    /// `EXAT`: expire at a Unix time in seconds.
    case atUnixTime(seconds: Int)
    /// `KEEPTTL`: keep the current time to live.
    case keepCurrent

    func append(to command: inout RESPCommand) {
        switch self {
        case .after(let d):
            let ms = d.millisecondsRoundedUp
            if ms % 1000 == 0 {
                command.append("EX"); command.append(ms / 1000)
            } else {
                command.append("PX"); command.append(ms)
            }
        case .atUnixTime(let s):
            command.append("EXAT"); command.append(s)
        case .keepCurrent:
            command.append("KEEPTTL")
        }
    }
}

extension RedisCommandExecutor {
    /// `GET key`: the value, or `nil` when the key does not exist.
    nonisolated(nonsending) public func get(_ key: some RESPArgumentEncodable) async throws(RedisError) -> ByteBuffer? {
        try await execute(RESPCommand("GET", key), as: ByteBuffer?.self)
    }

    /// `GET key` read as `T` (`String`, `Int`, `Double`, `[UInt8]` …).
    nonisolated(nonsending) public func get<T: RESPDecodable>(_ key: some RESPArgumentEncodable, as type: T.Type) async throws(RedisError) -> T? {
        try await execute(RESPCommand("GET", key), as: T?.self)
    }

    /// `SET key value [NX|XX] [EX|PX|EXAT|KEEPTTL]`. Returns `false` when a condition
    /// prevented the write.
    @discardableResult
    nonisolated(nonsending) public func set(
        _ key: some RESPArgumentEncodable, _ value: some RESPArgumentEncodable,
        condition: RedisSetCondition = .always, expiration: RedisExpiration? = nil
    ) async throws(RedisError) -> Bool {
        var command = RESPCommand("SET", key, value)
        switch condition {
        case .always: break
        case .ifNotExists: command.append("NX")
        case .ifExists: command.append("XX")
        }
        expiration?.append(to: &command)
        return try await execute(command, as: Bool.self)
    }

    /// `SET key value … GET`: writes and returns the previous value.
    nonisolated(nonsending) public func set(
        _ key: some RESPArgumentEncodable, _ value: some RESPArgumentEncodable, returningPrevious: Void,
        expiration: RedisExpiration? = nil
    ) async throws(RedisError) -> ByteBuffer? {
        var command = RESPCommand("SET", key, value)
        expiration?.append(to: &command)
        command.append("GET")
        return try await execute(command, as: ByteBuffer?.self)
    }

    /// `MGET key…`: values in the order of `keys`, `nil` for missing keys.
    nonisolated(nonsending) public func mget(_ keys: [some RESPArgumentEncodable]) async throws(RedisError) -> [ByteBuffer?] {
        try await execute(RESPCommand("MGET", keys), as: [ByteBuffer?].self)
    }

    /// `MSET key value …`.
    nonisolated(nonsending) public func mset(_ pairs: [(key: String, value: any RESPArgumentEncodable)]) async throws(RedisError) {
        var command = RESPCommand("MSET")
        for (k, v) in pairs {
            command.append(k)
            command.append(v)
        }
        _ = try await execute(command)
    }

    /// `INCR key`.
    @discardableResult
    nonisolated(nonsending) public func incr(_ key: some RESPArgumentEncodable) async throws(RedisError) -> Int {
        try await execute(RESPCommand("INCR", key), as: Int.self)
    }

    /// `INCRBY key delta`.
    @discardableResult
    nonisolated(nonsending) public func incr(_ key: some RESPArgumentEncodable, by delta: Int) async throws(RedisError) -> Int {
        try await execute(RESPCommand("INCRBY", key, delta), as: Int.self)
    }

    /// `DECR key`.
    @discardableResult
    nonisolated(nonsending) public func decr(_ key: some RESPArgumentEncodable) async throws(RedisError) -> Int {
        try await execute(RESPCommand("DECR", key), as: Int.self)
    }

    /// `INCRBYFLOAT key delta`.
    @discardableResult
    nonisolated(nonsending) public func incr(_ key: some RESPArgumentEncodable, byFloat delta: Double) async throws(RedisError) -> Double {
        try await execute(RESPCommand("INCRBYFLOAT", key, delta), as: Double.self)
    }

    /// `APPEND key value`: the new length.
    @discardableResult
    nonisolated(nonsending) public func append(_ key: some RESPArgumentEncodable, _ value: some RESPArgumentEncodable) async throws(RedisError) -> Int {
        try await execute(RESPCommand("APPEND", key, value), as: Int.self)
    }

    /// `STRLEN key`.
    nonisolated(nonsending) public func strlen(_ key: some RESPArgumentEncodable) async throws(RedisError) -> Int {
        try await execute(RESPCommand("STRLEN", key), as: Int.self)
    }

    /// `GETDEL key`.
    nonisolated(nonsending) public func getdel(_ key: some RESPArgumentEncodable) async throws(RedisError) -> ByteBuffer? {
        try await execute(RESPCommand("GETDEL", key), as: ByteBuffer?.self)
    }

    /// `GETEX key EX|PX …`: the value, with a new expiration (or `PERSIST` when `nil`).
    nonisolated(nonsending) public func getex(_ key: some RESPArgumentEncodable, expiration: RedisExpiration?) async throws(RedisError) -> ByteBuffer? {
        var command = RESPCommand("GETEX", key)
        if let expiration { expiration.append(to: &command) } else { command.append("PERSIST") }
        return try await execute(command, as: ByteBuffer?.self)
    }

    /// `GETRANGE key start end`.
    nonisolated(nonsending) public func getrange(_ key: some RESPArgumentEncodable, _ start: Int, _ end: Int) async throws(RedisError) -> ByteBuffer {
        try await execute(RESPCommand("GETRANGE", key, start, end), as: ByteBuffer.self)
    }
}
