import NIOCore
import RESP
import Synchronization

/// Commands waiting to be written, shared by every task that sends on one connection.
///
/// This is what auto-pipelining is made of: callers encode straight into one buffer under a
/// lock, and only the first caller after a flush schedules a drain on the event loop. All
/// commands queued before that drain runs leave in one write and one flush.
final class Outbox: Sendable {
    private struct State {
        var buffer = ByteBuffer()
        var requests: [PendingRequest] = []
        var drainScheduled = false
        /// Queued plus written-but-unanswered requests.
        var outstanding = 0
        var closed: RedisError?
    }

    enum EnqueueResult {
        /// The caller must schedule a drain on the event loop.
        case scheduleDrain
        /// A drain is already scheduled and will take this command.
        case queued
        case rejected(RedisError)
    }

    private let state = Mutex(State())
    /// Mirrors `State.closed != nil` for lock-free checks on the hot path.
    private let closedFlag = Atomic<Bool>(false)
    let maxOutstanding: Int

    init(maxOutstanding: Int) {
        self.maxOutstanding = maxOutstanding
    }

    func enqueue(_ command: RESPCommand, _ request: PendingRequest, endpoint: String) -> EnqueueResult {
        state.withLock { s in
            if let closed = s.closed { return .rejected(closed.markedNotSent()) }
            guard s.outstanding < maxOutstanding else {
                return .rejected(tooManyInFlight(s.outstanding, endpoint))
            }
            s.outstanding += 1
            command.write(into: &s.buffer)
            s.requests.append(request)
            if s.drainScheduled { return .queued }
            s.drainScheduled = true
            return .scheduleDrain
        }
    }

    /// Enqueues several commands with nothing from other callers between them (ASKING +
    /// command, MULTI … EXEC). All are accepted or all rejected.
    func enqueue(batch: [(RESPCommand, PendingRequest)], endpoint: String) -> EnqueueResult {
        state.withLock { s in
            if let closed = s.closed { return .rejected(closed.markedNotSent()) }
            guard s.outstanding + batch.count <= maxOutstanding else {
                return .rejected(tooManyInFlight(s.outstanding, endpoint))
            }
            s.outstanding += batch.count
            for (command, request) in batch {
                command.write(into: &s.buffer)
                s.requests.append(request)
            }
            if s.drainScheduled { return .queued }
            s.drainScheduled = true
            return .scheduleDrain
        }
    }

    private func tooManyInFlight(_ outstanding: Int, _ endpoint: String) -> RedisError {
        RedisError(
            .tooManyInFlight,
            "\(outstanding) commands are already waiting on this connection (max_in_flight = \(maxOutstanding)); slow down or raise the limit",
            endpoint: endpoint
        ).markedNotSent()
    }

    /// Takes everything queued (on the event loop, right before writing it).
    func take(into requests: inout [PendingRequest]) -> ByteBuffer {
        state.withLock { s in
            s.drainScheduled = false
            swap(&requests, &s.requests)
            let buffer = s.buffer
            s.buffer = ByteBuffer()
            s.buffer.reserveCapacity(max(256, buffer.readableBytes))
            return buffer
        }
    }

    /// Counts `n` requests as answered.
    func answered(_ n: Int) {
        state.withLock { $0.outstanding -= n }
    }

    /// Refuses new commands from now on and returns the ones queued but never written.
    func close(_ error: RedisError) -> [PendingRequest] {
        closedFlag.store(true, ordering: .releasing)
        return state.withLock { s in
            if s.closed == nil { s.closed = error }
            let unsent = s.requests
            s.requests = []
            s.buffer.clear()
            s.outstanding = 0
            return unsent
        }
    }

    var isClosed: Bool { closedFlag.load(ordering: .acquiring) }

    /// `true` when no command is queued or waiting for its reply.
    var isQuiet: Bool { state.withLock { $0.outstanding == 0 } }

    /// Why the outbox closed, once it has.
    var closeReason: RedisError? { state.withLock { $0.closed } }
}
