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
    public let protocolVersion: Int

    let channel: any Channel
    private let outbox: Outbox
    private let handler: NIOLoopBound<RedisChannelHandler>
    private let endpointText: String

    private init(
        endpoint: RedisEndpoint, channel: any Channel, outbox: Outbox, handler: NIOLoopBound<RedisChannelHandler>,
        protocolVersion: Int
    ) {
        self.endpoint = endpoint
        self.endpointText = endpoint.description
        self.channel = channel
        self.outbox = outbox
        self.handler = handler
        self.protocolVersion = protocolVersion
    }

    /// Connects, secures (TLS) and performs the handshake (`HELLO`/`AUTH`, `SELECT`,
    /// `CLIENT SETNAME`/`SETINFO`), all within the connect timeout.
    public static func connect(
        to endpoint: RedisEndpoint,
        configuration: RedisClientConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        sslContext: NIOSSLContext? = nil,
        onPush: (@Sendable (RESPValue) -> Void)? = nil
    ) async throws(RedisError) -> RedisConnection {
        try await connect(
            to: endpoint, configuration: configuration, eventLoopGroup: eventLoopGroup, sslContext: sslContext,
            isSubscriber: false, onPush: onPush)
    }

    /// Connects as ``connect(to:configuration:eventLoopGroup:sslContext:onPush:)``; a
    /// subscriber connection hands every value the server sends after the handshake to `onPush`.
    static func connect(
        to endpoint: RedisEndpoint,
        configuration: RedisClientConfiguration,
        eventLoopGroup: any EventLoopGroup,
        sslContext: NIOSSLContext?,
        isSubscriber: Bool,
        onPush: (@Sendable (RESPValue) -> Void)?
    ) async throws(RedisError) -> RedisConnection {
        let endpointText = endpoint.description
        let provider = configuration.credentialProvider
        let (configuration, credentials) = try await configuration.withProvidedCredentials(endpoint: endpointText)
        let loop = eventLoopGroup.next()
        let outbox = Outbox(maxOutstanding: configuration.maxInFlight, traffic: LoopTraffic.of(loop))
        var sslContext = sslContext
        if sslContext == nil, let tls = configuration.tls { sslContext = try tls.makeContext() }
        let serverName = configuration.tls?.serverName ?? (Self.isIPAddress(endpoint.host) ? nil : endpoint.host)
        let tlsContext = sslContext
        let handshake = loop.makePromise(of: Int.self)
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.socketOption(.so_keepalive), value: configuration.tcpKeepAlive ? 1 : 0)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tlsContext {
                        let tlsHandler = try NIOSSLClientHandler(context: tlsContext, serverHostname: serverName)
                        try channel.pipeline.syncOperations.addHandler(tlsHandler)
                    }
                    let handler = RedisChannelHandler(
                        outbox: outbox, configuration: configuration, endpoint: endpointText,
                        handshakePromise: handshake, onPush: onPush, isSubscriber: isSubscriber)
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: endpoint.host, port: endpoint.port)
                .valueOrCancellation { $0.close(promise: nil) }
        } catch is CancellationError {
            let cancelled = RedisError(.cancelled, "The task was cancelled while connecting", endpoint: endpointText).markedNotSent()
            handshake.fail(cancelled)
            throw cancelled
        } catch {
            let mapped = mapConnectError(error, endpoint: endpoint, configuration: configuration)
            handshake.fail(mapped)
            throw mapped
        }
        let version: Int
        let handler: NIOLoopBound<RedisChannelHandler>
        do {
            // A cancelled caller closes the channel, which fails the handshake at once.
            version = try await withTaskCancellationHandler {
                try await handshake.futureResult.get()
            } onCancel: {
                channel.close(promise: nil)
            }
            handler = try await channel.eventLoop.submit {
                NIOLoopBound(try channel.pipeline.syncOperations.handler(type: RedisChannelHandler.self), eventLoop: channel.eventLoop)
            }.get()
        } catch {
            channel.close(promise: nil)
            if Task.isCancelled {
                throw RedisError(.cancelled, "The task was cancelled during the connection handshake", endpoint: endpointText).markedNotSent()
            }
            throw error as? RedisError
                ?? RedisError(.connectionClosed, "The connection closed during set-up", endpoint: endpointText)
        }
        let connection = RedisConnection(endpoint: endpoint, channel: channel, outbox: outbox, handler: handler, protocolVersion: version)
        if let provider, let credentials {
            connection.keepAuthenticated(by: provider, current: credentials, isSubscriber: isSubscriber)
        }
        return connection
    }

    /// Sends one command and returns its reply. Error replies are returned as `.error`
    /// values, not thrown: callers such as the cluster router inspect them. Transport
    /// failures (closed, timeout, cancelled, too many in flight) are thrown.
    nonisolated(nonsending) public func send(_ command: RESPCommand) async throws(RedisError) -> RESPValue {
        try await reply(count: 1, replyTimeout: nil, wrap: PendingRequest.Continuation.one) { [outbox, endpointText] request in
            outbox.enqueue(command, request, endpoint: endpointText)
        }
    }

    /// Sends one command whose reply may take `replyTimeout` instead of the command timeout
    /// (a blocking command); `nil` waits for ever.
    nonisolated(nonsending) func send(_ command: RESPCommand, replyTimeout: Duration?) async throws(RedisError) -> RESPValue {
        try await reply(
            count: 1, replyTimeout: TimeAmount(replyTimeout ?? .seconds(1_000_000_000)), wrap: PendingRequest.Continuation.one
        ) { [outbox, endpointText] request in
            outbox.enqueue(command, request, endpoint: endpointText)
        }
    }

    /// Sends several commands back to back (one write, nothing from other callers between
    /// them) and returns their replies in order.
    nonisolated(nonsending) public func send(pipeline commands: [RESPCommand]) async throws(RedisError) -> [RESPValue] {
        guard !commands.isEmpty else { return [] }
        return try await reply(count: commands.count, replyTimeout: nil, wrap: PendingRequest.Continuation.all) {
            [outbox, endpointText] request in
            outbox.enqueue(commands, request, endpoint: endpointText)
        }
    }

    /// Queues a request for `count` replies and waits for them. Cancelling the caller fails
    /// the request at once (its replies are dropped when they come).
    ///
    /// Everything runs isolated to the caller's `isolation`: an operation closure that did
    /// not use it would run on the global executor, a hop there and back per command for
    /// callers on an actor.
    private func reply<T>(
        isolation: isolated (any Actor)? = #isolation, count: Int, replyTimeout: TimeAmount?,
        wrap: (UnsafeContinuation<T, any Error>) -> PendingRequest.Continuation,
        enqueue: (PendingRequest) -> Outbox.EnqueueResult
    ) async throws(RedisError) -> T {
        let cancellation = AtomicFlag()
        let endpoint = endpointText
        do {
            return try await withTaskCancellationHandler(
                operation: {
                    try await withUnsafeThrowingContinuation(isolation: isolation) { (continuation: UnsafeContinuation<T, any Error>) in
                        let request = PendingRequest(
                            continuation: wrap(continuation), replyCount: count, replyTimeout: replyTimeout, cancellation: cancellation)
                        guard !cancellation.isSet else {
                            request.fail(RedisError(.cancelled, "The task was cancelled before the command was sent", endpoint: endpoint).markedNotSent())
                            return
                        }
                        switch enqueue(request) {
                        case .queued:
                            break
                        case .flushWorthy:
                            // Only a caller on the connection's loop may write; others leave it
                            // to the scheduled drain.
                            if channel.eventLoop.inEventLoop { handler.value.drain(early: true) }
                        case .scheduleDrain:
                            let handler = self.handler
                            channel.eventLoop.execute { handler.value.drain() }
                        case .rejected(let error):
                            request.fail(error)
                        }
                    }
                },
                onCancel: { [handler, channel] in
                    cancellation.set()
                    let id = ObjectIdentifier(cancellation)
                    channel.eventLoop.execute { handler.value.cancel(id) }
                },
                isolation: isolation)
        } catch let error as RedisError {
            throw error
        } catch {
            throw RedisError(.connectionClosed, "\(error)", endpoint: endpoint)
        }
    }

    /// Writes `commands` without waiting for replies: on a subscriber connection their answers
    /// come through the push handler. Nothing is written unless the connection is open.
    func write(unanswered commands: [RESPCommand]) {
        let handler = self.handler
        channel.eventLoop.execute { handler.value.writeUnanswered(commands) }
    }

    /// Starts closing the connection at once, failing whatever waits on it (for callers that
    /// cannot wait, such as a subscription ended from a `deinit`).
    func closeNow() {
        let handler = self.handler
        channel.eventLoop.execute { handler.value.close(graceful: false) }
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

    /// Closes the connection. With `graceful`, commands already queued get their replies
    /// first (bounded by the command timeout); later ones fail with `.shutdown`.
    public func close(graceful: Bool = true) async {
        let handler = self.handler
        channel.eventLoop.execute { handler.value.close(graceful: graceful) }
        try? await channel.closeFuture.get()
    }

    // MARK: - Error mapping

    package static func mapConnectError(_ error: any Error, endpoint: RedisEndpoint, configuration: RedisClientConfiguration) -> RedisError {
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
