import DequeModule
import NIOCore
import RESP

/// What the connection state machine needs to know of a request.
protocol ConnectionRequest {
    associatedtype ID: Equatable
    /// Names the request in a cancellation.
    var id: ID { get }
    /// How many replies it waits for: 1 for a command, the length of a pipeline.
    var replyCount: Int { get }
    /// How long its replies may take instead of the command timeout (a blocking command).
    var replyTimeout: TimeAmount? { get }
    /// `true` once its caller was cancelled; the machine fails it when it sees it.
    var isCancelled: Bool { get }
}

/// The life of one connection as a pure machine: connecting → handshaking → active →
/// closing → closed.
///
/// The channel handler feeds it events (channel active, a request written, a value parsed,
/// a timer tick, a cancellation, a close, the channel gone) and performs the action each
/// returns; the machine itself does no I/O and reads no clock (times come with the events).
/// Replies go to requests in the order the requests were written. A request that times out
/// or is cancelled keeps its place, so that its late reply is dropped and every later reply
/// still reaches its own request.
struct ConnectionStateMachine<Request: ConnectionRequest> {
    enum State {
        case connecting(HandshakeStateMachine)
        /// Waiting for `expecting` replies to the handshake's last commands.
        case handshaking(HandshakeStateMachine, expecting: Int, replies: [RESPValue])
        case active
        /// Closing gracefully: nothing new is written; the channel closes once every
        /// written request has its reply.
        case closing(RedisError)
        case closed(RedisError)
    }

    enum Action {
        case none
        /// Write these (handshake) commands.
        case write([RESPCommand])
        /// The handshake finished: the connection may be handed out.
        case handshakeSucceeded(protocolVersion: Int)
        case succeed(Request, RESPValue)
        /// A pipeline's replies.
        case succeedAll(Request, [RESPValue])
        case fail(Request, RedisError)
        case failAll([Request], RedisError)
        /// A RESP3 push (pub/sub message, invalidation): not a reply to any request.
        case deliverPush(RESPValue)
        /// Close the channel, failing `failing` (and the handshake, if it has not finished)
        /// with `error`.
        case close(failing: [Request], error: RedisError)
    }

    /// A written request waiting for `remaining` more replies; `request` is nil once it
    /// was answered some other way (timed out, cancelled) and its replies are to be dropped.
    private struct InFlight {
        var request: Request?
        var remaining: Int
        var replies: [RESPValue]
        var deadline: NIODeadline
    }

    private(set) var state: State
    private var inFlight = Deque<InFlight>()
    private var answered = 0
    let commandTimeout: TimeAmount?
    let endpoint: String
    /// A subscription connection: once active, every value the server sends (messages,
    /// subscribe confirmations, their error replies, PONGs) goes to the push handler, which
    /// matches them itself; no written request waits for a reply.
    let isSubscriber: Bool

    init(handshake: HandshakeStateMachine, commandTimeout: TimeAmount?, isSubscriber: Bool = false) {
        self.state = .connecting(handshake)
        self.commandTimeout = commandTimeout
        self.endpoint = handshake.endpoint
        self.isSubscriber = isSubscriber
    }

    /// `true` while commands may be written.
    var isActive: Bool {
        if case .active = state { return true }
        return false
    }

    /// `true` while a graceful close waits for replies.
    var isClosing: Bool {
        if case .closing = state { return true }
        return false
    }

    /// How many replies reached a written request since the last call (for the outbox's
    /// in-flight count).
    mutating func takeAnswered() -> Int {
        defer { answered = 0 }
        return answered
    }

    // MARK: - Events

    /// The channel is connected: the handshake starts.
    mutating func channelActive() -> Action {
        guard case .connecting(var handshake) = state else { return .none }
        return handshakeStep(&handshake, handshake.start())
    }

    /// The handshake took longer than `limit`.
    mutating func handshakeTimedOut(after limit: Duration) -> Action {
        switch state {
        case .connecting(let h), .handshaking(let h, _, _):
            let tlsHint = h.configuration.tls == nil ? " (or whether it expects TLS: use rediss://)" : ""
            return closeNow(
                RedisError(
                    .connectTimeout,
                    "The server accepted the connection but did not finish the handshake within \(RedisURL.format(limit)); check that this port serves Redis\(tlsHint)",
                    endpoint: endpoint))
        case .active, .closing, .closed:
            return .none
        }
    }

    /// `request` was written now (`now` is nil when nothing times out).
    mutating func sent(_ request: Request, now: NIODeadline?) -> Action {
        guard isActive else { return .fail(request, stateError.markedNotSent()) }
        let deadline = now.map { $0 + (request.replyTimeout ?? commandTimeout ?? .hours(1)) } ?? .distantFuture
        if request.isCancelled {
            inFlight.append(InFlight(request: nil, remaining: request.replyCount, replies: [], deadline: deadline))
            return .fail(request, Self.cancelled(endpoint))
        }
        inFlight.append(InFlight(request: request, remaining: request.replyCount, replies: [], deadline: deadline))
        return .none
    }

    /// A value was parsed from the server's bytes.
    mutating func received(_ value: RESPValue) -> Action {
        if case .push = value { return .deliverPush(value) }
        switch state {
        case .connecting:
            return closeNow(Self.unexpected(endpoint))
        case .handshaking(var handshake, let expecting, var replies):
            replies.append(value)
            guard replies.count == expecting else {
                state = .handshaking(handshake, expecting: expecting, replies: replies)
                return .none
            }
            return handshakeStep(&handshake, handshake.received(replies))
        case .active, .closing:
            if isSubscriber { return .deliverPush(value) }
            guard !inFlight.isEmpty else { return closeNow(Self.unexpected(endpoint)) }
            answered += 1
            if inFlight[0].remaining == 1 {
                let done = inFlight.removeFirst()
                guard let request = done.request else { return .none }
                if done.replies.isEmpty { return .succeed(request, value) }
                return .succeedAll(request, done.replies + [value])
            }
            inFlight[0].remaining -= 1
            if inFlight[0].request != nil { inFlight[0].replies.append(value) }
            return .none
        case .closed:
            return .none
        }
    }

    /// Every value of one read was handled: a graceful close whose last reply came, closes.
    mutating func readComplete() -> Action {
        guard case .closing(let error) = state, !inFlight.contains(where: { $0.request != nil }) else { return .none }
        return closeNow(error)
    }

    /// The periodic check: fails requests whose deadline passed (their places stay). A reply
    /// overdue by twice the command timeout means the connection is dead: it closes.
    mutating func timerFired(now: NIODeadline) -> Action {
        guard let commandTimeout, isActive || isClosing else { return .none }
        var expired: [Request] = []
        for i in inFlight.indices {
            guard inFlight[i].deadline <= now else { break }
            if now - inFlight[i].deadline > commandTimeout {
                return closeNow(
                    RedisError(
                        .commandTimeout,
                        "The server has not answered for more than twice the command timeout; the connection was closed and will be reopened",
                        endpoint: endpoint),
                    alsoFailing: expired)
            }
            if let request = inFlight[i].request {
                expired.append(request)
                inFlight[i].request = nil
                inFlight[i].replies = []
            }
        }
        guard !expired.isEmpty else { return .none }
        return .failAll(
            expired,
            RedisError(
                .commandTimeout,
                "No reply within the command timeout of \(commandTimeout.nanoseconds / 1_000_000) ms; the command may still run. Raise 'timeout' in the URL for slow commands",
                endpoint: endpoint))
    }

    /// The caller of request `id` was cancelled. Its place stays; its reply is dropped.
    mutating func cancel(_ id: Request.ID) -> Action {
        guard let i = inFlight.firstIndex(where: { $0.request?.id == id }) else { return .none }
        let request = inFlight[i].request!
        inFlight[i].request = nil
        inFlight[i].replies = []
        return .fail(request, Self.cancelled(endpoint))
    }

    /// The client closes the connection: `graceful` lets written requests get their replies.
    mutating func close(graceful: Bool, error: RedisError) -> Action {
        switch state {
        case .closed:
            return .none
        case .active where graceful && inFlight.contains(where: { $0.request != nil }):
            state = .closing(error)
            return .none
        case .closing where graceful:
            return .none
        case .connecting, .handshaking, .active, .closing:
            return closeNow(error)
        }
    }

    /// A graceful close waited too long for its replies.
    mutating func closeTimedOut() -> Action {
        guard case .closing(let error) = state else { return .none }
        return closeNow(error)
    }

    /// The transport failed (TLS, a socket error) or the bytes broke the protocol.
    mutating func failed(_ error: RedisError) -> Action {
        if case .closed = state { return .none }
        return closeNow(error)
    }

    /// The channel is gone.
    mutating func channelInactive() -> Action {
        switch state {
        case .closed:
            return .none
        case .connecting, .handshaking:
            return closeNow(
                RedisError(
                    .connectionClosed,
                    "The server closed the connection during set-up; check that this port serves Redis and accepts this client",
                    endpoint: endpoint))
        case .active, .closing:
            return closeNow(
                RedisError(
                    .connectionClosed,
                    "The connection to the server closed; commands that were sent may or may not have run",
                    endpoint: endpoint))
        }
    }

    // MARK: - Helpers

    private mutating func handshakeStep(_ handshake: inout HandshakeStateMachine, _ step: HandshakeStateMachine.Action) -> Action {
        switch step {
        case .send(let commands):
            state = .handshaking(handshake, expecting: commands.count, replies: [])
            return .write(commands)
        case .succeed(let version):
            state = .active
            return .handshakeSucceeded(protocolVersion: version)
        case .fail(let error):
            return closeNow(error)
        }
    }

    /// Moves to closed and fails every request still waiting.
    private mutating func closeNow(_ error: RedisError, alsoFailing earlier: [Request] = []) -> Action {
        state = .closed(error)
        let waiting = earlier + inFlight.compactMap(\.request)
        inFlight.removeAll()
        return .close(failing: waiting, error: error)
    }

    /// Why a request cannot be written now.
    private var stateError: RedisError {
        switch state {
        case .closed(let e), .closing(let e): return e
        case .connecting, .handshaking, .active:
            return RedisError(.connectionClosed, "The connection is not ready for commands", endpoint: endpoint)
        }
    }

    private static func cancelled(_ endpoint: String) -> RedisError {
        RedisError(.cancelled, "The task was cancelled while waiting for the reply", endpoint: endpoint)
    }

    private static func unexpected(_ endpoint: String) -> RedisError {
        RedisError(.protocolViolation, "the server sent a reply nobody asked for; closing the connection", endpoint: endpoint)
    }
}
