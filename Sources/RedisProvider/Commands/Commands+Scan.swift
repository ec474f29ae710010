import NIOCore
import RESP

/// One page of a SCAN-family reply: the cursor to continue from (`0` when done) and the
/// elements of this page.
public struct RedisScanPage: Sendable {
    public var cursor: String
    public var elements: [ByteBuffer]

    public init(cursor: String, elements: [ByteBuffer]) {
        self.cursor = cursor
        self.elements = elements
    }

    init(_ reply: RESPValue) throws(RedisError) {
        guard let parts = reply.elements, parts.count == 2, let cursor = parts[0].string,
            let elements = parts[1].elements
        else { throw RedisError(.protocolViolation, "A SCAN reply must be [cursor, elements]") }
        self.cursor = cursor
        var items: [ByteBuffer] = []
        items.reserveCapacity(elements.count)
        for e in elements { items.append(try ByteBuffer(fromRESP: e)) }
        self.elements = items
    }
}

extension RedisCommandExecutor {
    /// `SCAN cursor [MATCH pattern] [COUNT n] [TYPE type]`: one page.
    nonisolated(nonsending) public func scan(cursor: String = "0", match: String? = nil, count: Int? = nil, type: String? = nil)
        async throws(RedisError) -> RedisScanPage
    {
        var command = RESPCommand("SCAN", cursor)
        if let match { command.append("MATCH"); command.append(match) }
        if let count { command.append("COUNT"); command.append(count) }
        if let type { command.append("TYPE"); command.append(type) }
        return try RedisScanPage(try await execute(command))
    }

    /// Every key matching, page by page, as an async sequence of keys (on a cluster client,
    /// every key of every shard).
    public func scanKeys(match: String?, count: Int?, type: String?) -> RedisScanSequence {
        RedisScanSequence { cursor async throws(RedisError) in
            try await self.scan(cursor: cursor, match: match, count: count, type: type)
        }
    }

    /// Every key (see `scanKeys(match:count:type:)`).
    public func scanKeys() -> RedisScanSequence { scanKeys(match: nil, count: nil, type: nil) }

    /// Every key matching the glob-style `match` pattern.
    public func scanKeys(match: String) -> RedisScanSequence { scanKeys(match: match, count: nil, type: nil) }

    /// `HSCAN key cursor …`: elements alternate field, value.
    nonisolated(nonsending) public func hscan(_ key: some RESPArgumentEncodable, cursor: String = "0", match: String? = nil, count: Int? = nil)
        async throws(RedisError) -> RedisScanPage
    {
        try RedisScanPage(try await execute(Self.keyedScan("HSCAN", key, cursor, match, count)))
    }

    /// `SSCAN key cursor …`.
    nonisolated(nonsending) public func sscan(_ key: some RESPArgumentEncodable, cursor: String = "0", match: String? = nil, count: Int? = nil)
        async throws(RedisError) -> RedisScanPage
    {
        try RedisScanPage(try await execute(Self.keyedScan("SSCAN", key, cursor, match, count)))
    }

    /// `ZSCAN key cursor …`: elements alternate member, score.
    nonisolated(nonsending) public func zscan(_ key: some RESPArgumentEncodable, cursor: String = "0", match: String? = nil, count: Int? = nil)
        async throws(RedisError) -> RedisScanPage
    {
        try RedisScanPage(try await execute(Self.keyedScan("ZSCAN", key, cursor, match, count)))
    }

    private static func keyedScan(
        _ name: String, _ key: some RESPArgumentEncodable, _ cursor: String, _ match: String?, _ count: Int?
    ) -> RESPCommand {
        var command = RESPCommand(name, key, cursor)
        if let match { command.append("MATCH"); command.append(match) }
        if let count { command.append("COUNT"); command.append(count) }
        return command
    }
}

/// The keys of a SCAN, fetched page by page as the sequence is iterated.
public struct RedisScanSequence: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    let fetch: @Sendable (String) async throws(RedisError) -> RedisScanPage

    public struct AsyncIterator: AsyncIteratorProtocol {
        let fetch: @Sendable (String) async throws(RedisError) -> RedisScanPage
        var cursor: String? = "0"
        var page: [ByteBuffer] = []
        var index = 0

        public mutating func next() async throws -> ByteBuffer? {
            while index >= page.count {
                guard let c = cursor else { return nil }
                let p = try await fetch(c)
                page = p.elements
                index = 0
                cursor = p.cursor == "0" ? nil : p.cursor
            }
            defer { index += 1 }
            return page[index]
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(fetch: fetch) }
}
