import NIOSSL

/// How to secure connections with TLS.
///
/// By default certificates and host names are verified against the system's trust store.
public struct RedisTLSConfiguration: Sendable, Hashable {
    /// PEM file with the CA certificates to trust instead of the system's.
    public var caFile: String?
    /// PEM client certificate for mutual TLS (with `keyFile`).
    public var certificateFile: String?
    /// PEM private key for `certificateFile`.
    public var keyFile: String?
    /// The name sent in SNI and checked against the certificate, when it differs from the
    /// host connected to (e.g. connecting to an IP address).
    public var serverName: String?
    /// Skips certificate and host-name verification. For testing only.
    public var insecure: Bool

    public init(
        caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil,
        serverName: String? = nil, insecure: Bool = false
    ) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.serverName = serverName
        self.insecure = insecure
    }

    /// Builds the NIOSSL context once; it is shared by every connection of a client.
    func makeContext() throws(RedisError) -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = insecure ? .none : .fullVerification
        do {
            if let caFile {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
            }
            if let certificateFile, let keyFile {
                tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certificateFile).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem))
            }
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw RedisError(
                .invalidConfiguration,
                "Cannot load the TLS files (CA \(caFile ?? "system"), certificate \(certificateFile ?? "none"), key \(keyFile ?? "none")): \(error). Check that the paths exist and hold PEM data."
            )
        }
    }
}
