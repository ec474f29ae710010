import NIOCore
import RESP
import RedisProviderTestSupport
import Synchronization
import Testing

@testable import RedisProvider

/// Credentials that change while the client runs: a provider asked by every new connection,
/// live connections authenticated again (on demand, or before a token expires) without
/// dropping anything in flight.
@Suite struct CredentialTests {
    /// The credentials a test hands out, changeable while the client runs, and how often asked.
    final class Vault: RedisCredentialProvider {
        private let state: Mutex<(credentials: RedisCredentials, asked: Int, rotateUsers: [String: String]?, last: RedisCredentials?)>
        init(_ credentials: RedisCredentials, alternating users: [String: String]? = nil) {
            state = Mutex((credentials, 0, users, nil))
        }
        var asked: Int { state.withLock { $0.asked } }
        /// The user handed out last.
        var lastUser: String? { state.withLock { $0.last?.username } }
        func set(_ credentials: RedisCredentials) { state.withLock { $0.credentials = credentials } }
        func credentials() async throws -> RedisCredentials {
            state.withLock { s in
                s.asked += 1
                s.last = s.credentials
                defer {
                    // Alternate between the users, to see which one a connection last used.
                    if let users = s.rotateUsers, let next = users.keys.sorted().first(where: { $0 != s.credentials.username }) {
                        s.credentials = RedisCredentials(username: next, password: users[next]!, validFor: s.credentials.validFor)
                    }
                }
                return s.credentials
            }
        }
    }

    static let users = [("alice", "a-secret-1"), ("bob", "b-secret-1")]

    static func options() -> RedisServer.Options {
        var o = RedisServer.Options()
        o.users = users
        o.password = "default-pw"  // the default user is not what the provider hands out
        return o
    }

    @Test func liveConnectionsSwitchUserWithoutDroppingAnything() async throws {
        try await withServer(Self.options()) { server in
            let vault = Vault(RedisCredentials(username: "alice", password: "a-secret-1"))
            var configuration = RedisClientConfiguration()
            configuration.credentialProvider = vault
            let client = try RedisClient(endpoint: server.endpoint, configuration: configuration)
            #expect(try await client.send("ACL", "WHOAMI", as: String.self) == "alice")
            let load = Load(tasks: 50) { n, _ in
                try await client.set("k:\(n % 50)", n)
                _ = try await client.get("k:\(n % 50)")
            }
            try await Task.sleep(for: .milliseconds(200))
            vault.set(RedisCredentials(username: "bob", password: "b-secret-1"))
            try await client.reauthenticate()
            #expect(try await client.send("ACL", "WHOAMI", as: String.self) == "bob", "the live connection")
            // Bob's password rotated: new connections get the new one from the provider.
            let admin = try RedisClient(url: "redis://:default-pw@127.0.0.1:\(server.port)")
            _ = try await admin.send("ACL", "SETUSER", "bob", ">b-secret-2", "<b-secret-1")
            await admin.shutdown()
            vault.set(RedisCredentials(username: "bob", password: "b-secret-2"))
            let fresh = try await client.withDedicatedConnection { session in try await session.send("ACL", "WHOAMI", as: String.self) }
            #expect(fresh == "bob")
            try await Task.sleep(for: .milliseconds(200))
            let errors = await load.stop()
            #expect(errors.isEmpty, "\(errors.prefix(3))")
            await client.shutdown()
        }
    }

    /// Credentials valid for 600 ms: each connection asks again before they expire and
    /// authenticates with the new ones, over and over.
    @Test func expiringCredentialsAreRenewedBeforeTheyExpire() async throws {
        try await withServer(Self.options()) { server in
            let vault = Vault(
                RedisCredentials(username: "alice", password: "a-secret-1", validFor: .milliseconds(600)),
                alternating: Dictionary(uniqueKeysWithValues: Self.users))
            var configuration = RedisClientConfiguration()
            configuration.credentialProvider = vault
            let client = try RedisClient(endpoint: server.endpoint, configuration: configuration)
            let id = try await client.send("CLIENT", "ID", as: Int.self)
            try await Task.sleep(for: .seconds(2))
            #expect(vault.asked >= 3, "asked at connect and about every 480 ms since")
            // The connection runs as the user handed out last (alternating alice and bob).
            #expect(try await eventually { try await client.send("ACL", "WHOAMI", as: String.self) == vault.lastUser })
            #expect(try await client.send("CLIENT", "ID", as: Int.self) == id, "the same connection all along")
            await client.shutdown()
        }
    }

    @Test func aFailingProviderIsATypedAuthenticationError() async throws {
        try await withServer(Self.options()) { server in
            struct TokenServiceDown: Error {}
            var configuration = RedisClientConfiguration()
            configuration.credentialProvider = RedisCredentialClosure { throw TokenServiceDown() }
            let client = try RedisClient(endpoint: server.endpoint, configuration: configuration)
            let error = await redisError { _ = try await client.get("k") }
            #expect(error?.kind == .authentication)
            #expect(error?.message.contains("credential provider") == true && error?.message.contains("TokenServiceDown") == true)
            // Wrong credentials from a provider: the server's refusal, without the password.
            configuration.credentialProvider = RedisCredentialClosure { RedisCredentials(username: "alice", password: "wrong-secret") }
            let wrong = try RedisClient(endpoint: server.endpoint, configuration: configuration)
            let refused = await redisError { _ = try await wrong.get("k") }
            #expect(refused?.kind == .authentication)
            #expect(refused?.message.contains("wrong-secret") == false)
            #expect(RedisCredentials(password: "s3cret").description.contains("s3cret") == false)
            await client.shutdown()
            await wrong.shutdown()
        }
    }

    /// Every cluster node's connections ask the provider (the URL carries no password).
    @Test func everyClusterNodeUsesTheProvider() async throws {
        var options = RedisCluster.Options()
        options.password = "cluster-pw"
        let cluster = try await RedisCluster.start(options)
        defer { cluster.stop() }
        let vault = Vault(RedisCredentials(password: "cluster-pw"))
        var configuration = RedisClientConfiguration()
        configuration.credentialProvider = vault
        let client = try RedisClusterClient(seeds: [cluster.nodes[0].endpoint], configuration: configuration)
        for i in 0..<30 { try await client.set("key:\(i)", i) }
        #expect(try await client.mget((0..<30).map { "key:\($0)" }).count == 30)
        #expect(vault.asked >= 3, "one connection per primary at least")
        try await client.reauthenticate()
        await client.shutdown()
    }
}
