import NIOCore
import RESP
import RedisProvider
import RedisProviderTestSupport
import Synchronization
import Testing

/// Runs `body` with a fresh real server, always stopped afterwards.
func withServer<T>(
    _ options: RedisServer.Options = .init(), _ body: (RedisServer) async throws -> T
) async throws -> T {
    let server = try await RedisServer.start(options)
    do {
        let result = try await body(server)
        server.stop()
        return result
    } catch {
        server.stop()
        throw error
    }
}

/// Runs `body` with a client for a fresh real server; both are stopped afterwards.
func withClient<T>(
    _ options: RedisServer.Options = .init(), query: String = "", _ body: (RedisClient, RedisServer) async throws -> T
) async throws -> T {
    try await withServer(options) { server in
        let client = try RedisClient(url: server.url + query)
        do {
            let result = try await body(client, server)
            await client.shutdown(graceful: false)
            return result
        } catch {
            await client.shutdown(graceful: false)
            throw error
        }
    }
}

/// The error `body` throws, as a `RedisError`; records an issue when it throws none.
func redisError(_ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async -> RedisError? {
    do {
        try await body()
        Issue.record("expected a RedisError, got success", sourceLocation: sourceLocation)
    } catch let e as RedisError {
        return e
    } catch {
        Issue.record("expected a RedisError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

extension Optional where Wrapped == ByteBuffer {
    var text: String? { map { String(buffer: $0) } }
}

/// A list that concurrent tasks append to.
final class Collector<T: Sendable>: Sendable {
    private let items = Mutex<[T]>([])
    func append(_ item: T) { items.withLock { $0.append(item) } }
    var all: [T] { items.withLock { $0 } }
}
