/// The credentials of one connection: an ACL user and its password, or a token used as one.
/// Printing them never shows the password.
public struct RedisCredentials: Sendable, Hashable, CustomStringConvertible {
    /// The ACL user; `nil` for the default user.
    public var username: String?
    /// The password or token.
    public var password: String
    /// How long the server accepts them, from when they were handed out (a 15-minute IAM
    /// token); live connections authenticate again with fresh ones before then. `nil` when
    /// they do not expire.
    public var validFor: Duration?

    public init(username: String? = nil, password: String, validFor: Duration? = nil) {
        self.username = username
        self.password = password
        self.validFor = validFor
    }

    public var description: String {
        "RedisCredentials(user: \(username ?? "default"), password: ***\(validFor.map { ", valid for \(RedisURL.format($0))" } ?? ""))"
    }
}

/// Where connections get credentials that change over time: rotated secrets, short-lived
/// cloud tokens (AWS ElastiCache and MemoryDB IAM, Azure Entra ID).
///
/// Every new connection asks for credentials; when they carry ``RedisCredentials/validFor``,
/// each live connection asks again at four fifths of it and sends `AUTH` with the answer,
/// in order with its other commands, so nothing in flight is dropped. To roll credentials
/// at once (a secret changed), call `reauthenticate()` on the client.
///
/// ```swift
/// var configuration = RedisClientConfiguration()
/// configuration.credentialProvider = RedisCredentialClosure {
///     RedisCredentials(username: "app", password: try await fetchToken(), validFor: .seconds(900))
/// }
/// ```
public protocol RedisCredentialProvider: Sendable {
    /// Credentials for a new connection, or for a live one whose credentials expire soon.
    func credentials() async throws -> RedisCredentials
}

/// A ``RedisCredentialProvider`` made of a closure.
public struct RedisCredentialClosure: RedisCredentialProvider {
    private let body: @Sendable () async throws -> RedisCredentials

    public init(_ body: @escaping @Sendable () async throws -> RedisCredentials) {
        self.body = body
    }

    public func credentials() async throws -> RedisCredentials {
        try await body()
    }
}

extension RedisClientConfiguration {
    /// Credentials from `credentialProvider` in place of `username`/`password`, or the
    /// configuration as it is without one. A provider that fails gives an `.authentication`
    /// error that names it (never the credentials).
    func withProvidedCredentials(endpoint: String) async throws(RedisError) -> (RedisClientConfiguration, RedisCredentials?) {
        guard let provider = credentialProvider else { return (self, nil) }
        let credentials: RedisCredentials
        do {
            credentials = try await provider.credentials()
        } catch {
            throw RedisError(
                .authentication,
                "The credential provider (\(type(of: provider))) failed: \(error). Check what it reads (the secret, the token service) and its permissions.",
                endpoint: endpoint
            ).markedNotSent()
        }
        var configuration = self
        configuration.username = credentials.username
        configuration.password = credentials.password
        return (configuration, credentials)
    }
}
