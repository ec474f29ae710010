import NIOCore
import RESP

/// The NIO handler of one connection: the I/O around ``ConnectionStateMachine``.
///
/// It turns channel events, parsed values, timer ticks, cancellations and close requests
/// into the machine's events and performs the actions it returns: writing, completing
/// requests, handing pushes aside, closing. It runs on the channel's event loop only.
final class RedisChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let outbox: Outbox
    let onPush: (@Sendable (RESPValue) -> Void)?
    private var machine: ConnectionStateMachine<PendingRequest>
    private var parser: RESPParser
    private var readBuffer = ByteBuffer()
    private static let noBytes = ByteBuffer()
    /// The last batch's buffer, written by now: the next batch is encoded into it (cleared)
    /// instead of a new one.
    private var written = ByteBuffer()
    private var spare: [PendingRequest] = []
    /// Replies this connection still expects; part of its loop's ``LoopTraffic``.
    private var onTheWire = 0
    private var context: ChannelHandlerContext?
    private var sweeper: RepeatedTask?
    private var keepAlive: KeepAliveStateMachine?
    private var keepAliveTicker: RepeatedTask?
    /// A blocking command is on the wire: the server is silent on purpose until it answers,
    /// so the health check waits.
    private var expectsSilence = false
    /// Bytes arrived since the health check's last tick (noted here rather than reading the
    /// clock on every read; the tick stamps it, at a tenth of the interval's precision).
    private var readSinceTick = false
    private let isSubscriber: Bool
    /// The handshake's deadline, then a graceful close's.
    private var deadline: Scheduled<Void>?
    private var handshakePromise: EventLoopPromise<Int>?
    private let connectTimeout: Duration

    init(
        outbox: Outbox, configuration: RedisClientConfiguration, endpoint: String,
        handshakePromise: EventLoopPromise<Int>, onPush: (@Sendable (RESPValue) -> Void)?, isSubscriber: Bool = false
    ) {
        self.outbox = outbox
        self.onPush = onPush
        self.machine = ConnectionStateMachine(
            handshake: HandshakeStateMachine(configuration: configuration, endpoint: endpoint),
            commandTimeout: configuration.commandTimeout.map { TimeAmount($0) }, isSubscriber: isSubscriber)
        self.parser = RESPParser(limits: configuration.decoderLimits)
        self.handshakePromise = handshakePromise
        self.connectTimeout = configuration.connectTimeout
        self.isSubscriber = isSubscriber
        if let interval = configuration.healthCheckInterval {
            keepAlive = KeepAliveStateMachine(interval: TimeAmount(interval), timeout: TimeAmount(configuration.healthCheckTimeout), now: .now())
        }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if let commandTimeout = machine.commandTimeout {
            // One cheap periodic check instead of a timer per command.
            let period = TimeAmount.nanoseconds(max(min(commandTimeout.nanoseconds / 4, 100_000_000), 5_000_000))
            let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
            sweeper = context.eventLoop.scheduleRepeatedTask(initialDelay: period, delay: period) { _ in
                handler.value.perform(handler.value.machine.timerFired(now: .now()))
            }
        }
        if let period = keepAlive?.tickPeriod {
            let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
            keepAliveTicker = context.eventLoop.scheduleRepeatedTask(initialDelay: period, delay: period) { _ in
                handler.value.checkAlive()
            }
        }
        if context.channel.isActive { start(context) }
    }

    /// The health check's tick: probe an idle connection, close a silent one.
    private func checkAlive() {
        guard machine.isActive, keepAlive != nil else { return }
        let now = NIODeadline.now()
        if expectsSilence || readSinceTick {
            readSinceTick = false
            keepAlive!.read(now: now)
            if expectsSilence { return }
        }
        guard let action = keepAlive?.tick(now: now) else { return }
        switch action {
        case .none:
            break
        case .probe:
            if isSubscriber {
                perform(.write([RESPCommand("PING")]))  // answered through the push handler, which ignores it
                return
            }
            let probe = PendingRequest(continuation: .discarded, replyCount: 1, replyTimeout: nil, cancellation: AtomicFlag())
            if case .rejected = outbox.enqueue(RESPCommand("PING"), probe, endpoint: machine.endpoint) { return }
            drain()
        case .close(let silent):
            let seconds = Double(silent.nanoseconds) / 1e9
            perform(
                machine.failed(
                    RedisError(
                        .connectionClosed,
                        "Nothing came from the server for \(String(format: "%.1f", seconds)) s, not even the answer to a health-check PING: "
                            + "the connection is half-open (a peer or load balancer dropped it) and was closed to be replaced",
                        endpoint: machine.endpoint)))
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        sweeper?.cancel()
        sweeper = nil
        keepAliveTicker?.cancel()
        keepAliveTicker = nil
        perform(machine.channelInactive())
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    private func start(_ context: ChannelHandlerContext) {
        guard case .connecting = machine.state else { return }
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let limit = connectTimeout
        deadline = context.eventLoop.scheduleTask(in: TimeAmount(limit)) {
            handler.value.perform(handler.value.machine.handshakeTimedOut(after: limit))
        }
        perform(machine.channelActive())
    }

    /// Writes everything queued in the outbox in one write and one flush; `early` when a
    /// caller on this loop found enough queued to write before the scheduled drain.
    func drain(early: Bool = false) {
        let batch = outbox.take(into: &spare, early: early, reusing: &written)
        guard !spare.isEmpty else { return }
        // One clock read per batch: every command in it was queued within this tick.
        let now: NIODeadline? = machine.commandTimeout == nil ? nil : .now()
        let writing = machine.isActive
        var replies = 0
        for request in spare {
            replies += request.replyCount
            if request.replyTimeout != nil { expectsSilence = true }
            perform(machine.sent(request, now: now))
        }
        spare.removeAll(keepingCapacity: true)
        if writing, let context {
            onTheWire += replies
            outbox.traffic.written(replies)
            for segment in batch.segments { context.write(wrapOutboundOut(segment), promise: nil) }
            if batch.last.readableBytes > 0 {
                context.writeAndFlush(wrapOutboundOut(batch.last), promise: nil)
            } else {
                context.flush()
            }
        }
        // Written at once on most flushes; when not, clearing it for the next batch copies.
        written = batch.last.capacity <= Outbox.reusedCapacityLimit ? batch.last : Self.noBytes
    }

    /// Counts the replies the machine matched since the last call as answered.
    private func countAnswered() {
        let n = machine.takeAnswered()
        guard n > 0 else { return }
        outbox.answered(n)
        onTheWire -= n
        if onTheWire == 0 { expectsSilence = false }
        outbox.traffic.answered(n)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        readSinceTick = true
        var incoming = unwrapInboundIn(data)
        if readBuffer.readableBytes == 0 {
            readBuffer = incoming
        } else {
            readBuffer.writeBuffer(&incoming)
        }
        do {
            while let value = try parser.next(from: &readBuffer) {
                perform(machine.received(value))
            }
        } catch let error as RESPProtocolError {
            countAnswered()
            perform(machine.failed(RedisError(.protocolViolation, "\(error); closing the connection", endpoint: machine.endpoint)))
            return
        } catch {
            preconditionFailure("the parser throws RESPProtocolError only")
        }
        countAnswered()
        perform(machine.readComplete())
        if readBuffer.readableBytes == 0 {
            // Let go of the read's storage: once the replies' slices are gone too, NIO reads
            // into it again instead of allocating a new receive buffer.
            readBuffer = Self.noBytes
        } else if readBuffer.readerIndex > 65_536 {
            readBuffer.discardReadBytes()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        perform(machine.channelInactive())
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        perform(machine.failed(RedisConnection.mapTransportError(error, endpoint: machine.endpoint)))
    }

    /// Writes commands whose answers come through the push handler (a subscription
    /// connection's SUBSCRIBE, UNSUBSCRIBE, PING); dropped unless the connection is active.
    func writeUnanswered(_ commands: [RESPCommand]) {
        guard machine.isActive else { return }
        perform(.write(commands))
    }

    /// The caller of request `id` was cancelled.
    func cancel(_ id: ObjectIdentifier) {
        perform(machine.cancel(id))
    }

    /// Closes the connection; `graceful` lets commands already queued get their replies,
    /// for up to the command timeout (5 s without one).
    func close(graceful: Bool) {
        if graceful { drain() }
        let error = RedisError(.shutdown, "The connection was closed by the client", endpoint: machine.endpoint)
        for request in outbox.close(error) { request.fail(error.markedNotSent()) }
        perform(machine.close(graceful: graceful, error: error))
        if machine.isClosing, let context {
            let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
            deadline?.cancel()
            deadline = context.eventLoop.scheduleTask(in: machine.commandTimeout ?? .seconds(5)) {
                handler.value.perform(handler.value.machine.closeTimedOut())
            }
        }
    }

    private func perform(_ action: ConnectionStateMachine<PendingRequest>.Action) {
        switch action {
        case .none:
            break
        case .succeed(let request, let value):
            request.succeed(value)
        case .succeedAll(let request, let values):
            request.succeed(all: values)
        case .fail(let request, let error):
            request.fail(error)
        case .failAll(let requests, let error):
            for request in requests { request.fail(error) }
        case .deliverPush(let value):
            onPush?(value)
        case .write(let commands):
            guard let context else { return }
            var buffer = context.channel.allocator.buffer(capacity: 256)
            for command in commands { command.write(into: &buffer) }
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        case .handshakeSucceeded(let version):
            deadline?.cancel()
            deadline = nil
            handshakePromise?.succeed(version)
            handshakePromise = nil
        case .close(let failing, let error):
            deadline?.cancel()
            deadline = nil
            handshakePromise?.fail(error)
            handshakePromise = nil
            let unsent = error.markedNotSent()
            outbox.traffic.answered(onTheWire)  // nothing more comes on this connection
            onTheWire = 0
            for request in outbox.close(error) { request.fail(unsent) }
            for request in failing { request.fail(error) }
            context?.close(promise: nil)
        }
    }
}
