import Foundation
import NIOCore
import RESP

extension RedisCommandExecutor {
    /// `GET key` decoded from JSON into `T`; `nil` when the key does not exist.
    nonisolated(nonsending) public func get<T: Decodable & Sendable>(
        _ key: some RESPArgumentEncodable, decoding type: T.Type, decoder: JSONDecoder = JSONDecoder()
    ) async throws -> T? {
        guard let buffer = try await get(key) else { return nil }
        return try decoder.decode(T.self, from: Data(buffer.readableBytesView))
    }

    /// `SET key json` with `value` encoded as JSON.
    @discardableResult
    nonisolated(nonsending) public func set<T: Encodable>(
        _ key: some RESPArgumentEncodable, encoding value: T, expiration: RedisExpiration? = nil,
        encoder: JSONEncoder = JSONEncoder()
    ) async throws -> Bool {
        let data = try encoder.encode(value)
        return try await set(key, ByteBuffer(bytes: data), expiration: expiration)
    }
}
