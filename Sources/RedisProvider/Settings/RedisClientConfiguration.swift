import RESP

/// Everything a client needs to connect to a node and talk to it.
public struct RedisClientConfiguration: Sendable {
    /// The ACL user, or `nil` for the default user.
    public var username: String?
    /// The password. Never logged or printed.
    public var password: String?
    /// The database to `SELECT` after connecting (standalone only).
    public var database: Int
    /// The name sent with `CLIENT SETNAME`.
    public var clientName: String?
    /// The RESP version to ask for: 3 (default, falls back to 2 on servers without `HELLO`) or 2.
    public var protocolVersion: Int
    /// TLS settings, or `nil` for plain TCP.
    public var tls: RedisTLSConfiguration?
    /// How long connecting (TCP, TLS and handshake) may take.
    public var connectTimeout: Duration
    /// How long a command may wait for its reply; `nil` waits for ever.
    public var commandTimeout: Duration?
    /// Multiplexed connections per node; commands are spread round-robin.
    public var connectionsPerNode: Int
    /// Commands allowed to wait on one connection before new ones fail with `.tooManyInFlight`.
    public var maxInFlight: Int
    /// First reconnect delay after a failed connect; doubles per failure, with jitter.
    public var reconnectBaseDelay: Duration
    /// Longest reconnect delay.
    public var reconnectMaxDelay: Duration
    /// Bounds on what the server may send.
    public var decoderLimits: RESPDecoderLimits
    /// Dedicated connections (blocking commands, transactions, sessions) kept open per node
    /// for the next one that needs them; more may be open at once, and those beyond this
    /// number are closed when returned. 0 opens a connection for each use.
    public var maxIdleDedicatedConnections = 4
    /// Sends `READONLY` after connecting: cluster replica connections that serve reads.
    public var readOnly = false
    /// While reconnecting after a failure, commands wait for the next attempt (when it comes
    /// before their timeout). A cluster turns this off: it re-routes instead of waiting on a
    /// node that may have been failed over.
    public var waitsForReconnect = true
    /// Messages each subscriber may have waiting before the oldest is dropped (counted in
    /// `redis_pubsub_dropped_total`, and the next message says `gapBefore`).
    public var subscriptionBufferSize = 1024
    /// After this long with nothing read, a connection (shared, dedicated or subscribed)
    /// sends a `PING`; when nothing comes back within ``healthCheckTimeout`` it is closed as
    /// half-open and replaced. `nil` turns the check off. URL option `health_check=30s`.
    public var healthCheckInterval: Duration? = .seconds(30)
    /// How long the health check's `PING` may go unanswered (default 5 s).
    public var healthCheckTimeout: Duration = .seconds(5)
    /// Where each connection gets its credentials, instead of `username` and `password`:
    /// for rotated secrets and short-lived tokens (see ``RedisCredentialProvider``).
    public var credentialProvider: (any RedisCredentialProvider)?
    /// TCP keep-alive (`SO_KEEPALIVE`) on every connection, so the kernel also notices a
    /// peer that vanished, after its own (usually long) idle time.
    public var tcpKeepAlive = true

    public init(
        username: String? = nil,
        password: String? = nil,
        database: Int = 0,
        clientName: String? = nil,
        protocolVersion: Int = 3,
        tls: RedisTLSConfiguration? = nil,
        connectTimeout: Duration = .seconds(5),
        commandTimeout: Duration? = .seconds(5),
        connectionsPerNode: Int = 1,
        maxInFlight: Int = 100_000,
        reconnectBaseDelay: Duration = .milliseconds(20),
        reconnectMaxDelay: Duration = .seconds(2),
        decoderLimits: RESPDecoderLimits = .default
    ) {
        self.username = username
        self.password = password
        self.database = database
        self.clientName = clientName
        self.protocolVersion = protocolVersion
        self.tls = tls
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.connectionsPerNode = connectionsPerNode
        self.maxInFlight = maxInFlight
        self.reconnectBaseDelay = reconnectBaseDelay
        self.reconnectMaxDelay = reconnectMaxDelay
        self.decoderLimits = decoderLimits
    }

    /// The configuration a URL describes: its credentials, database and options.
    public init(url: RedisURL) {
        self.init(username: url.username, password: url.password, database: url.database ?? 0)
        let o = url.options
        clientName = o.clientName
        protocolVersion = o.protocolVersion ?? 3
        if url.tls {
            tls = RedisTLSConfiguration(
                caFile: o.tlsCAFile, certificateFile: o.tlsCertificateFile, keyFile: o.tlsKeyFile,
                serverName: o.tlsServerName, insecure: o.tlsInsecure ?? false)
        }
        if let t = o.connectTimeout { connectTimeout = t }
        if let t = o.commandTimeout { commandTimeout = t }
        if let n = o.connectionsPerNode { connectionsPerNode = n }
        if let n = o.maxInFlight { maxInFlight = n }
        if let check = o.healthCheck { healthCheckInterval = check.interval }
    }
}
