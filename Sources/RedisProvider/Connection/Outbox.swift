import NIOCore
import RESP
import Synchronization

/// Commands waiting to be written: the one hand-off between the tasks that send on a
/// connection and its event loop.
///
/// This is what auto-pipelining is made of: callers encode straight into one buffer under a
/// lock, and only the first caller after a flush schedules a drain on the event loop. All
/// commands queued before that drain runs leave in one write and one flush.
final class Outbox: Sendable {
    private struct State {
        var buffer = ByteBuffer()
        /// What goes out before `buffer`, in order: the small commands queued before a large
        /// one, and the large one's body itself, which is written as it is instead of copied
        /// (usually empty).
        var segments: [ByteBuffer] = []
        var requests: [PendingRequest] = []
        var drainScheduled = false
        /// Commands in `buffer`.
        var queuedCommands = 0
        var closed: RedisError?
    }

    enum EnqueueResult {
        /// The caller must schedule a drain on the event loop.
        case scheduleDrain
        /// A drain is already scheduled and will take this command.
        case queued
        /// A drain is scheduled, and enough is queued to be worth writing now: a caller on
        /// the event loop should drain at once.
        case flushWorthy
        case rejected(RedisError)
    }

    private let state = Mutex(State())
    /// Mirrors `State.closed != nil` for lock-free checks on the hot path.
    private let closedFlag = Atomic<Bool>(false)
    /// Commands queued plus written-but-unanswered; the event loop subtracts answers
    /// without taking the lock.
    private let outstanding = Atomic<Int>(0)
    let maxOutstanding: Int

    /// The connection's loop's commands on the wire: the measure of an early write.
    let traffic: LoopTraffic

    init(maxOutstanding: Int, traffic: LoopTraffic) {
        self.maxOutstanding = maxOutstanding
        self.traffic = traffic
    }

    /// Queues one command.
    func enqueue(_ command: RESPCommand, _ request: PendingRequest, endpoint: String) -> EnqueueResult {
        enqueue(CollectionOfOne(command), request, endpoint: endpoint)
    }

    /// Queues commands with nothing from other callers between them (a pipeline, ASKING +
    /// command, MULTI … EXEC), all answered to `request`. All are accepted or all rejected.
    func enqueue(_ commands: some Collection<RESPCommand>, _ request: PendingRequest, endpoint: String) -> EnqueueResult {
        state.withLock { s in
            if let closed = s.closed { return .rejected(closed.markedNotSent()) }
            let now = outstanding.load(ordering: .relaxed)
            guard now + commands.count <= maxOutstanding else { return .rejected(tooManyInFlight(now, endpoint)) }
            outstanding.wrappingAdd(commands.count, ordering: .relaxed)
            for command in commands {
                if command.body.readableBytes < Self.copyLimit {
                    command.write(into: &s.buffer)
                } else {
                    s.buffer.writeRESPArrayHeader(command.count)
                    s.segments.append(s.buffer)
                    s.segments.append(command.body)
                    s.buffer = ByteBuffer()
                }
            }
            s.requests.append(request)
            s.queuedCommands += commands.count
            if s.drainScheduled {
                return s.queuedCommands >= Self.earlyWrite(onTheWire: traffic.onTheWire) ? .flushWorthy : .queued
            }
            s.drainScheduled = true
            return .scheduleDrain
        }
    }

    /// How many queued commands are worth a write before the scheduled drain: as many as
    /// the connection's loop has on the wire (unanswered, on all its connections), at least 4.
    ///
    /// Callers resumed by one read send again one by one; waiting for the last of them before
    /// writing leaves the server idle meanwhile, and the client idle while the server works
    /// (a ping-pong). Writing once as many are queued as are on the wire keeps two batches of
    /// about the same size in flight, which overlap: the server answers one while the client
    /// resumes the callers of the other. With 50 callers on one connection this took GET from
    /// about 250k to 400k requests/s on the 2-core machine this project is measured on
    /// (`scripts/bench-compare.sh`). There is no upper bound: with 10,000 callers, a cap of 24
    /// meant hundreds of writes per round and halved the rate. When other connections of the
    /// loop (a cluster's other shards) already keep it busy, their commands on the wire raise
    /// the bar, and a batch is written once, as before: an early write there only cost CPU
    /// (cluster GET fell by a third when each shard's 17 callers wrote in two batches).
    static func earlyWrite(onTheWire: Int) -> Int {
        max(4, onTheWire)
    }

    private func tooManyInFlight(_ outstanding: Int, _ endpoint: String) -> RedisError {
        RedisError(
            .tooManyInFlight,
            "\(outstanding) commands are already waiting on this connection (max_in_flight = \(maxOutstanding)); slow down or raise the limit",
            endpoint: endpoint
        ).markedNotSent()
    }

    /// Commands at least this large (a big value) are not copied into the batch: their own
    /// buffer is written after it, in the same flush. Copying 1 MB cost more than the write.
    static let copyLimit = 32 * 1024

    /// Everything queued, to be written in this order in one flush.
    struct Batch {
        /// Buffers that go before `last`; empty unless a large command was queued.
        var segments: [ByteBuffer]
        var last: ByteBuffer
    }

    /// Takes everything queued (on the event loop, right before writing it). An `early` take
    /// (``EnqueueResult/flushWorthy``) leaves the scheduled drain in place: it takes what the
    /// callers queue next.
    ///
    /// `reusing` is the previous batch's buffer, written by now: it becomes the buffer the next
    /// commands are encoded into (cleared; a new one when it is empty), saving an allocation
    /// per batch.
    func take(into requests: inout [PendingRequest], early: Bool = false, reusing spare: inout ByteBuffer) -> Batch {
        spare.clear()
        return state.withLock { s in
            if !early { s.drainScheduled = false }
            s.queuedCommands = 0
            swap(&requests, &s.requests)
            let batch = Batch(segments: s.segments, last: s.buffer)
            if !s.segments.isEmpty { s.segments = [] }
            swap(&s.buffer, &spare)  // `spare` now holds the batch's buffer, as `batch.last` does
            if s.buffer.capacity == 0 { s.buffer.reserveCapacity(max(256, batch.last.readableBytes)) }
            return batch
        }
    }

    /// A written batch's buffer up to this size is kept for the next batch; a larger one (a
    /// huge pipeline) is let go, so that a connection does not hold on to its largest batch.
    static let reusedCapacityLimit = 256 * 1024

    /// Counts `n` commands as answered.
    func answered(_ n: Int) {
        if n > 0 { outstanding.wrappingSubtract(n, ordering: .relaxed) }
    }

    /// Refuses new commands from now on and returns the requests queued but never written.
    func close(_ error: RedisError) -> [PendingRequest] {
        closedFlag.store(true, ordering: .releasing)
        return state.withLock { s in
            if s.closed == nil { s.closed = error }
            let unsent = s.requests
            s.requests = []
            s.buffer.clear()
            s.segments = []
            outstanding.store(0, ordering: .relaxed)
            return unsent
        }
    }

    var isClosed: Bool { closedFlag.load(ordering: .acquiring) }

    /// `true` when no command is queued or waiting for its reply.
    var isQuiet: Bool { outstanding.load(ordering: .relaxed) == 0 }
}
