import Logging
import NIOCore
import NIOPosix
import NIOSSL
import RESP
import Synchronization

/// One multiplexed connection to one node.
///
/// Any number of tasks may `send` at once: their commands are written in the order they
/// arrive, batched per event-loop tick (auto-pipelining), and each gets its own reply.
public final class RedisConnection: Sendable {
    /// The node this connection talks to.
    public let endpoint: RedisEndpoint
    /// The RESP version agreed in the handshake (2 or 3).
    public var protocolVersion: Int { negotiatedVersion.load(ordering: .relaxed) }
    private let negotiatedVersion = Atomic<Int>(3)

    let channel: any Channel
    private let outbox: Outbox
    private let handler: NIOLoopBound<RedisChannelHandler>
    private let commandTimeout: Duration?
    private let endpointText: String

    private init(
        endpoint: RedisEndpoint, channel: any Channel, outbox: Outbox,
        handler: NIOLoopBound<RedisChannelHandler>, commandTimeout: Duration?
    ) {
        self.endpoint = endpoint
        self.endpointText = endpoint.description
        self.channel = channel
        self.outbox = outbox
        self.handler = handler
        self.commandTimeout = commandTimeout
    }

    /// Connects, secures (TLS) and performs the handshake (`HELLO`/`AUTH`, `SELECT`,
    /// `CLIENT SETNAME`/`SETINFO`).
    public static func connect(
        to endpoint: RedisEndpoint,
        configuration: RedisClientConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        sslContext: NIOSSLContext? = nil,
        onPush: (@Sendable (RESPValue) -> Void)? = nil
    ) async throws(RedisError) -> RedisConnection {
        let endpointText = endpoint.description
        let outbox = Outbox(maxOutstanding: configuration.maxInFlight)
        let timeout = configuration.commandTimeout.map { TimeAmount($0) }
        var sslContext = sslContext
        if sslContext == nil, let tls = configuration.tls { sslContext = try tls.makeContext() }
        let serverName = configuration.tls?.serverName ?? (Self.isIPAddress(endpoint.host) ? nil : endpoint.host)
        let tlsContext = sslContext
        let bootstrap = ClientBootstrap(group: eventLoopGroup)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tlsContext {
                        let tlsHandler = try NIOSSLClientHandler(context: tlsContext, serverHostname: serverName)
                        try channel.pipeline.syncOperations.addHandler(tlsHandler)
                    }
                    let handler = RedisChannelHandler(
                        outbox: outbox, endpoint: endpointText, limits: configuration.decoderLimits,
                        commandTimeout: timeout, onPush: onPush)
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: endpoint.host, port: endpoint.port).get()
        } catch {
            throw mapConnectError(error, endpoint: endpoint, configuration: configuration)
        }
        let handler: NIOLoopBound<RedisChannelHandler>
        do {
            handler = try await channel.eventLoop.submit {
                NIOLoopBound(try channel.pipeline.syncOperations.handler(type: RedisChannelHandler.self), eventLoop: channel.eventLoop)
            }.get()
        } catch {
            channel.close(promise: nil)
            // The channel can fail (a TLS certificate rejected, say) before this lookup runs.
            throw outbox.closeReason
                ?? RedisError(.connectionClosed, "The connection closed during set-up", endpoint: endpointText)
        }
        let connection = RedisConnection(
            endpoint: endpoint, channel: channel, outbox: outbox, handler: handler,
            commandTimeout: configuration.commandTimeout)
        // The handshake is bounded by the connect timeout, whatever the command timeout.
        let handshakeTimedOut = AtomicFlag()
        let guardTask = channel.eventLoop.scheduleTask(in: TimeAmount(configuration.connectTimeout)) {
            handshakeTimedOut.set()
            channel.close(promise: nil)
        }
        defer { guardTask.cancel() }
        do {
            let version = try await Handshake(configuration: configuration, endpoint: endpointText).run(on: connection)
            connection.negotiatedVersion.store(version, ordering: .relaxed)
        } catch {
            channel.close(promise: nil)
            if handshakeTimedOut.isSet {
                throw RedisError(
                    .connectTimeout,
                    "The server accepted the connection but did not finish the handshake within \(RedisURL.format(configuration.connectTimeout)); check that this port serves Redis\(configuration.tls == nil ? " (or whether it expects TLS: use rediss://)" : "")",
                    endpoint: endpointText)
            }
            throw error
        }
        return connection
    }

    /// Sends one command and returns its reply. Error replies are returned as `.error`
    /// values, not thrown: callers such as the cluster router inspect them. Transport
    /// failures (closed, timeout, cancelled, too many in flight) are thrown.
    nonisolated(nonsending) public func send(_ command: RESPCommand) async throws(RedisError) -> RESPValue {
        let request = PendingRequest()
        return try await reply(to: request) { enqueue(command, request) }
    }

    /// Sends one command whose reply may take `replyTimeout` instead of the command timeout
    /// (a blocking command); `nil` waits for ever.
    nonisolated(nonsending) func send(_ command: RESPCommand, replyTimeout: Duration?) async throws(RedisError) -> RESPValue {
        let request = PendingRequest(replyTimeout: TimeAmount(replyTimeout ?? .seconds(1_000_000_000)))
        return try await reply(to: request) { enqueue(command, request) }
    }

    /// Sends several commands back to back (one write, nothing from other callers between
    /// them) and returns their replies in order.
    nonisolated(nonsending) public func send(pipeline commands: [RESPCommand]) async throws(RedisError) -> [RESPValue] {
        // Enqueue all before awaiting any, so they leave together.
        let requests = commands.map { _ in PendingRequest() }
        act(on: outbox.enqueue(batch: Array(zip(commands, requests)), endpoint: endpointText), requests)
        var replies: [RESPValue] = []
        replies.reserveCapacity(commands.count)
        for request in requests {
            replies.append(try await reply(to: request) {})
        }
        return replies
    }

    /// Waits for `request`'s reply; `enqueue` runs once the caller is ready to be resumed.
    /// Cancelling the caller fails the request at once (its reply is dropped when it comes).
    ///
    /// Everything runs isolated to the caller's `isolation`: an operation closure that did
    /// not use it would run on the global executor, a hop there and back per command for
    /// callers on an actor.
    private func reply(
        to request: PendingRequest, isolation: isolated (any Actor)? = #isolation, enqueue: () -> Void
    ) async throws(RedisError) -> RESPValue {
        let endpoint = endpointText
        do {
            return try await withTaskCancellationHandler(
                operation: {
                    try await withUnsafeThrowingContinuation(isolation: isolation) { (continuation: UnsafeContinuation<RESPValue, any Error>) in
                        if request.install(continuation) { enqueue() }
                    }
                },
                onCancel: {
                    request.complete(.failure(RedisError(.cancelled, "The task was cancelled while waiting for the reply", endpoint: endpoint)))
                },
                isolation: isolation)
        } catch let error as RedisError {
            throw error
        } catch {
            throw RedisError(.connectionClosed, "\(error)", endpoint: endpoint)
        }
    }

    private func enqueue(_ command: RESPCommand, _ request: PendingRequest) {
        act(on: outbox.enqueue(command, request, endpoint: endpointText), CollectionOfOne(request))
    }

    /// Schedules the drain the first enqueue after a flush asks for, or fails rejected requests.
    private func act(on result: Outbox.EnqueueResult, _ requests: some Collection<PendingRequest>) {
        switch result {
        case .queued:
            break
        case .scheduleDrain:
            let handler = self.handler
            channel.eventLoop.execute { handler.value.drain() }
        case .rejected(let error):
            for request in requests { request.complete(.failure(error)) }
        }
    }

    /// `false` once the connection closed or failed.
    public var isActive: Bool { !outbox.isClosed && channel.isActive }

    /// `true` when the connection is open and no command on it awaits a reply: it may be
    /// handed to the next user of a pool.
    func isReusable() async -> Bool {
        guard isActive else { return false }
        if outbox.isQuiet { return true }
        // A reply's caller may resume before the handler has counted the reply as answered
        // (it counts once per read); on the event loop, after that read, the count is settled.
        let outbox = outbox
        return (try? await channel.eventLoop.submit { outbox.isQuiet }.get()) ?? false
    }

    /// Completes when the connection has closed.
    public var closeFuture: EventLoopFuture<Void> { channel.closeFuture }

    /// Closes the connection. With `graceful`, commands already sent get their replies first
    /// (bounded by the command timeout); queued ones fail with `.shutdown`.
    public func close(graceful: Bool = true) async {
        if graceful {
            // QUIT-free drain: a PING sent now is answered after everything before it.
            _ = try? await send(RESPCommand("PING"))
        }
        let error = RedisError(.shutdown, "The connection was closed by the client", endpoint: endpointText)
        for request in outbox.close(error) { request.complete(.failure(error.markedNotSent())) }
        try? await channel.close()
    }

    // MARK: - Error mapping

    static func mapConnectError(_ error: any Error, endpoint: RedisEndpoint, configuration: RedisClientConfiguration) -> RedisError {
        let text = endpoint.description
        if let e = error as? NIOConnectionError {
            if e.connectionErrors.isEmpty, e.dnsAError != nil || e.dnsAAAAError != nil {
                return RedisError(
                    .dnsFailure,
                    "Cannot resolve the host name '\(endpoint.host)'; check the spelling and that DNS (e.g. the Kubernetes service) exists",
                    endpoint: text)
            }
            if let first = e.connectionErrors.first { return mapConnectError(first.error, endpoint: endpoint, configuration: configuration) }
        }
        if let e = error as? ChannelError, case .connectTimeout = e {
            return RedisError(
                .connectTimeout,
                "Connecting took longer than \(RedisURL.format(configuration.connectTimeout)); check that the host is reachable and not firewalled",
                endpoint: text)
        }
        if let e = error as? IOError, e.errnoCode == ECONNREFUSED || e.errnoCode == EHOSTUNREACH || e.errnoCode == ENETUNREACH {
            return RedisError(
                .connectionRefused,
                "Connection refused by \(text); check that the server is running and listens on this address and port",
                endpoint: text)
        }
        if error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError {
            return RedisError(.tls, "TLS failed: \(error); check the CA file, the server name and that the server speaks TLS on this port", endpoint: text)
        }
        return RedisError(.connectionRefused, "Cannot connect to \(text): \(error)", endpoint: text)
    }

    static func mapTransportError(_ error: any Error, endpoint: String) -> RedisError {
        if let e = error as? NIOSSLError {
            return RedisError(
                .tls,
                "TLS failed: \(e); check the CA file (tls_ca_file), the server name (tls_server_name) and that the server speaks TLS on this port",
                endpoint: endpoint)
        }
        if error is BoringSSLError || error is NIOSSLExtraError {
            return RedisError(
                .tls,
                "TLS failed: \(error); check that the certificate is valid for this host (or set tls_server_name) and signed by the CA in tls_ca_file",
                endpoint: endpoint)
        }
        return RedisError(.connectionClosed, "The connection failed: \(error)", endpoint: endpoint)
    }

    private static func isIPAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, atto) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + atto / 1_000_000_000)
    }
}

/// A flag that escaping closures can share.
final class AtomicFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .relaxed) }
    var isSet: Bool { value.load(ordering: .relaxed) }
}
