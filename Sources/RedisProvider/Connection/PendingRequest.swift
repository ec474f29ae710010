import NIOCore
import RESP

/// One command (or one pipeline) waiting for its replies: the caller's continuation.
///
/// It is completed exactly once, and without a lock: by the connection's event loop (a
/// reply, a timeout, a cancellation, the connection closing), or by the caller itself when
/// the outbox refused it or its task was cancelled before it was queued. It reaches the
/// event loop through the outbox only, so the two never both hold it.
struct PendingRequest: ConnectionRequest, Sendable {
    enum Continuation: Sendable {
        case one(UnsafeContinuation<RESPValue, any Error>)
        case all(UnsafeContinuation<[RESPValue], any Error>)
        /// Nobody waits: the connection's own health-check `PING`.
        case discarded
    }

    let continuation: Continuation
    let replyCount: Int
    let replyTimeout: TimeAmount?
    /// Set by the caller's cancellation handler; also names the request in a cancellation.
    let cancellation: AtomicFlag

    var id: ObjectIdentifier { ObjectIdentifier(cancellation) }
    var isCancelled: Bool { cancellation.isSet }

    func succeed(_ value: RESPValue) {
        switch continuation {
        case .one(let c): c.resume(returning: value)
        case .all(let c): c.resume(returning: [value])
        case .discarded: break
        }
    }

    func succeed(all values: [RESPValue]) {
        switch continuation {
        case .one(let c): c.resume(returning: values[0])
        case .all(let c): c.resume(returning: values)
        case .discarded: break
        }
    }

    func fail(_ error: RedisError) {
        switch continuation {
        case .one(let c): c.resume(throwing: error)
        case .all(let c): c.resume(throwing: error)
        case .discarded: break
        }
    }
}
