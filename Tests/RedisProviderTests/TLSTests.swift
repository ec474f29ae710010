import Foundation
import RedisProviderTestSupport
import Testing

@testable import RedisProvider

/// TLS against `redis-server --tls-port` with certificates made for the test.
@Suite(.serialized) struct TLSTests {
    static let certificates = Result { try TestCertificates.generate() }

    private func withTLSServer(clientCertificates: Bool = false, _ body: (RedisServer, TestCertificates) async throws -> Void) async throws {
        let certs = try Self.certificates.get()
        var options = RedisServer.Options()
        options.tls = certs
        options.tlsRequireClientCertificate = clientCertificates
        try await withServer(options) { try await body($0, certs) }
    }

    @Test func verifiedWithTheRightCA() async throws {
        try await withTLSServer { server, certs in
            let client = try RedisClient(url: "rediss://127.0.0.1:\(server.port)?tls_ca_file=\(certs.caCertificate)")
            #expect(try await client.ping() == "PONG")
            try await client.set("k", "secure")
            #expect(try await client.get("k").text == "secure")
            await client.shutdown()
        }
    }

    @Test func serverNameOverride() async throws {
        // A certificate for a DNS name only, as a cloud service would present.
        let named = try TestCertificates.generate(serverNames: ["DNS:redis.internal"])
        defer { named.remove() }
        var options = RedisServer.Options()
        options.tls = named
        try await withServer(options) { server in
            let base = "rediss://127.0.0.1:\(server.port)?tls_ca_file=\(named.caCertificate)"
            let good = try RedisClient(url: base + "&tls_server_name=redis.internal")
            #expect(try await good.ping() == "PONG")
            await good.shutdown()
            for bad in [base, base + "&tls_server_name=other.internal"] {
                let client = try RedisClient(url: bad)
                let e = await redisError { try await client.ping() }
                #expect(e?.kind == .tls)
                await client.shutdown()
            }
        }
    }

    @Test func wrongCAIsAClearTLSError() async throws {
        let other = try TestCertificates.generate(name: "Another CA")
        defer { other.remove() }
        try await withTLSServer { server, _ in
            let client = try RedisClient(url: "rediss://127.0.0.1:\(server.port)?tls_ca_file=\(other.caCertificate)")
            let e = await redisError { try await client.ping() }
            #expect(e?.kind == .tls)
            #expect(e?.message.contains("tls_ca_file") == true)
            await client.shutdown()
            // The system trust store does not know the test CA either.
            let system = try RedisClient(url: "rediss://127.0.0.1:\(server.port)")
            #expect(await redisError { try await system.ping() }?.kind == .tls)
            await system.shutdown()
        }
    }

    @Test func insecureSkipsVerification() async throws {
        try await withTLSServer { server, _ in
            let client = try RedisClient(url: "rediss://127.0.0.1:\(server.port)?tls_insecure=true")
            #expect(try await client.ping() == "PONG")
            await client.shutdown()
        }
    }

    @Test func mutualTLS() async throws {
        try await withTLSServer(clientCertificates: true) { server, certs in
            let withCert = try RedisClient(
                url: "rediss://127.0.0.1:\(server.port)?tls_ca_file=\(certs.caCertificate)&tls_cert_file=\(certs.clientCertificate)&tls_key_file=\(certs.clientKey)")
            #expect(try await withCert.ping() == "PONG")
            await withCert.shutdown()
            let without = try RedisClient(url: "rediss://127.0.0.1:\(server.port)?tls_ca_file=\(certs.caCertificate)")
            let e = await redisError { try await without.ping() }
            #expect(e?.kind == .tls || e?.kind == .connectionClosed)
            await without.shutdown()
        }
    }

    @Test func plainClientOnATLSPortTimesOutWithAHint() async throws {
        try await withTLSServer { server, _ in
            let client = try RedisClient(url: "redis://127.0.0.1:\(server.port)?connect_timeout=500ms")
            let e = await redisError { try await client.ping() }
            #expect(e?.kind == .connectTimeout || e?.kind == .connectionClosed)
            await client.shutdown()
        }
    }

    /// Certificate files rotated on disk (as Kubernetes swaps a mounted Secret) are read again
    /// for the next connection: a client whose certificate the server rejects works once the
    /// right one is in place, without being made anew.
    @Test func rotatedCertificateFilesAreReadAgain() async throws {
        try await withTLSServer(clientCertificates: true) { server, certs in
            let stranger = try TestCertificates.generate(name: "Another CA")
            defer { stranger.remove() }
            let mounted = FileManager.default.temporaryDirectory.appendingPathComponent("mounted-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: mounted, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: mounted) }
            let cert = mounted.appendingPathComponent("tls.crt"), key = mounted.appendingPathComponent("tls.key")
            func mount(_ from: TestCertificates) throws {
                try Data(contentsOf: URL(fileURLWithPath: from.clientCertificate)).write(to: cert, options: .atomic)
                try Data(contentsOf: URL(fileURLWithPath: from.clientKey)).write(to: key, options: .atomic)
            }
            try mount(stranger)  // a certificate the server's CA did not sign
            let client = try RedisClient(
                url: "rediss://127.0.0.1:\(server.port)?tls_ca_file=\(certs.caCertificate)&tls_cert_file=\(cert.path)&tls_key_file=\(key.path)")
            let refused = await redisError { _ = try await client.ping() }
            #expect(refused != nil)
            try mount(certs)  // the rotation
            #expect(try await eventually(.seconds(10)) { (try? await client.ping()) == "PONG" })
            await client.shutdown()
        }
    }

    @Test func missingCertificateFileIsAConfigurationError() throws {
        #expect(throws: RedisError.self) {
            _ = try RedisClient(url: "rediss://127.0.0.1:6379?tls_ca_file=/nonexistent/ca.pem")
        }
    }
}
