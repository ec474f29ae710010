import Foundation
import RESP
import RedisProvider
import RedisProviderTestSupport
import Testing

/// Where an integration keeps its data in a test: one real server, or a real 3+3 cluster.
enum Backend: String, CaseIterable, CustomTestStringConvertible {
    case standalone, cluster
    var testDescription: String { rawValue }
}

/// Real servers for one test: their URL, and a way to ask every primary how many keys it holds.
struct Servers: Sendable {
    let url: String
    /// The number of keys on each primary (one entry for a standalone server).
    let keysPerPrimary: @Sendable () async throws -> [Int]
}

/// Runs `body` with fresh servers of `backend` (password-protected with `password`), stopped afterwards.
func withServers<T>(_ backend: Backend, password: String? = nil, _ body: (Servers) async throws -> T) async throws -> T {
    switch backend {
    case .standalone:
        var options = RedisServer.Options()
        options.password = password
        let server = try await RedisServer.start(options)
        defer { server.stop() }
        let servers = Servers(url: server.url) { try await withProvider(server.url) { [try await $0.dbsize()] } }
        return try await body(servers)
    case .cluster:
        var options = RedisCluster.Options()
        options.password = password
        let cluster = try await RedisCluster.start(options)
        defer { cluster.stop() }
        let servers = Servers(url: cluster.seedURL) {
            var counts: [Int] = []
            for primary in try await cluster.primaries() {
                let reply = try await cluster.call(cluster.index(of: primary)!, RESPCommand("DBSIZE"))
                counts.append(try Int(fromRESP: reply))
            }
            return counts
        }
        return try await body(servers)
    }
}

/// Runs `body` with a provider for `url`, shut down afterwards.
func withProvider<T>(_ url: String, _ body: (RedisProvider) async throws -> T) async throws -> T {
    let provider = try RedisProvider(url: url)
    do {
        let result = try await body(provider)
        await provider.shutdown()
        return result
    } catch {
        await provider.shutdown()
        throw error
    }
}

