import DequeModule
import NIOCore
import RESP

/// The NIO handler of one connection: writes what the outbox collected, parses replies and
/// hands each to the oldest waiting request (FIFO), routes RESP3 pushes aside, and fails
/// what is left when the connection ends.
final class RedisChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let outbox: Outbox
    let endpoint: String
    let commandTimeout: TimeAmount?
    let onPush: (@Sendable (RESPValue) -> Void)?

    private var parser: RESPParser
    private var readBuffer = ByteBuffer()
    /// Written requests awaiting replies, oldest first, each with its reply deadline.
    private var inFlight = Deque<(request: PendingRequest, deadline: NIODeadline)>()
    private var spare: [PendingRequest] = []
    private var context: ChannelHandlerContext?
    private var failure: RedisError?
    private var sweeper: RepeatedTask?

    init(
        outbox: Outbox, endpoint: String, limits: RESPDecoderLimits, commandTimeout: TimeAmount?,
        onPush: (@Sendable (RESPValue) -> Void)?
    ) {
        self.outbox = outbox
        self.endpoint = endpoint
        self.parser = RESPParser(limits: limits)
        self.commandTimeout = commandTimeout
        self.onPush = onPush
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if let commandTimeout {
            // One cheap periodic check instead of a timer per command.
            let period = TimeAmount.nanoseconds(max(min(commandTimeout.nanoseconds / 4, 100_000_000), 5_000_000))
            let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
            sweeper = context.eventLoop.scheduleRepeatedTask(initialDelay: period, delay: period) { _ in
                loopBound.value.expireTimedOut()
            }
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        sweeper?.cancel()
        sweeper = nil
        self.context = nil
    }

    /// Writes everything queued in the outbox in one write and one flush.
    func drain() {
        let buffer = outbox.take(into: &spare)
        guard !spare.isEmpty else { return }
        // One clock read per batch: every command in it was queued within this tick.
        // Without a command timeout nothing expires; a blocking command has a timeout of its own.
        let now: NIODeadline? = commandTimeout == nil ? nil : .now()
        for request in spare {
            inFlight.append((request, now.map { $0 + (request.replyTimeout ?? commandTimeout!) } ?? .distantFuture))
        }
        spare.removeAll(keepingCapacity: true)
        guard let context else {
            failAll(RedisError(.connectionClosed, "The connection closed before the command was sent", endpoint: endpoint))
            return
        }
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if readBuffer.readableBytes == 0 {
            readBuffer = incoming
        } else {
            readBuffer.writeBuffer(&incoming)
        }
        var answered = 0
        do {
            while let value = try parser.next(from: &readBuffer) {
                if case .push = value {
                    onPush?(value)
                    continue
                }
                guard let (request, _) = inFlight.popFirst() else {
                    throw RESPProtocolError(.invalidTypeMarker, "the server sent a reply nobody asked for")
                }
                answered += 1
                request.complete(.success(value))
            }
        } catch let error as RESPProtocolError {
            outbox.answered(answered)
            fail(RedisError(.protocolViolation, "\(error); closing the connection", endpoint: endpoint), context: context)
            return
        } catch {
            preconditionFailure("the parser throws RESPProtocolError only")
        }
        outbox.answered(answered)
        if readBuffer.readableBytes == 0 {
            readBuffer.clear()
        } else if readBuffer.readerIndex > 65_536 {
            readBuffer.discardReadBytes()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        let error =
            failure
            ?? RedisError(
                .connectionClosed,
                "The connection to the server closed; commands that were sent may or may not have run",
                endpoint: endpoint)
        failAll(error)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(RedisConnection.mapTransportError(error, endpoint: endpoint), context: context)
    }

    /// Records why the connection ends and closes it; `channelInactive` fails the requests.
    private func fail(_ error: RedisError, context: ChannelHandlerContext) {
        if failure == nil { failure = error }
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: RedisError) {
        let unsent = error.markedNotSent()
        for request in outbox.close(error) { request.complete(.failure(unsent)) }
        while let (request, _) = inFlight.popFirst() { request.complete(.failure(error)) }
    }

    /// Fails requests whose deadline passed. Their slots stay, so late replies are dropped in
    /// order. A reply overdue by twice the timeout means the connection is dead: close it.
    private func expireTimedOut() {
        guard !inFlight.isEmpty, let commandTimeout else { return }
        let now = NIODeadline.now()
        for (request, deadline) in inFlight {
            guard deadline <= now else { break }
            if now - deadline > commandTimeout, let context {
                fail(
                    RedisError(
                        .commandTimeout,
                        "The server has not answered for more than twice the command timeout; the connection was closed and will be reopened",
                        endpoint: endpoint), context: context)
                return
            }
            request.complete(
                .failure(
                    RedisError(
                        .commandTimeout,
                        "No reply within the command timeout of \(commandTimeout.nanoseconds / 1_000_000) ms; the command may still run. Raise 'timeout' in the URL for slow commands",
                        endpoint: endpoint)))
        }
    }
}
