import NIOCore
import RESP
import Synchronization

/// One command waiting for its reply. Exactly one of reply, error, timeout or cancellation
/// completes it; whatever comes later is ignored, so a cancelled or timed-out caller leaves
/// its slot in the connection's FIFO and the reply that eventually arrives is dropped there.
final class PendingRequest: Sendable {
    private enum State {
        case created
        case waiting(UnsafeContinuation<RESPValue, any Error>)
        case finished
        /// Completed before the caller started waiting (cancelled early).
        case completedEarly(Result<RESPValue, any Error>)
    }

    private let state = Mutex<State>(.created)
    /// How long this request's reply may take, when not the connection's command timeout
    /// (a blocking command waits as long as its own timeout, plus the command timeout).
    let replyTimeout: TimeAmount?

    init(replyTimeout: TimeAmount? = nil) {
        self.replyTimeout = replyTimeout
    }

    /// Attaches the caller's continuation. Returns `false` (and resumes it at once) when the
    /// request was already completed, e.g. cancelled before it was enqueued.
    func install(_ continuation: UnsafeContinuation<RESPValue, any Error>) -> Bool {
        let early: Result<RESPValue, any Error>? = state.withLock { state in
            switch state {
            case .created:
                state = .waiting(continuation)
                return nil
            case .completedEarly(let result):
                state = .finished
                return result
            case .waiting, .finished:
                preconditionFailure("a request's continuation is installed once")
            }
        }
        if let early {
            continuation.resume(with: early)
            return false
        }
        return true
    }

    /// Completes the request; later completions are ignored.
    func complete(_ result: Result<RESPValue, any Error>) {
        let continuation: UnsafeContinuation<RESPValue, any Error>? = state.withLock { state in
            switch state {
            case .waiting(let c):
                state = .finished
                return c
            case .created:
                state = .completedEarly(result)
                return nil
            case .finished, .completedEarly:
                return nil
            }
        }
        continuation?.resume(with: result)
    }

    /// `true` once a result was delivered (or is waiting to be).
    var isCompleted: Bool {
        state.withLock { state in
            switch state {
            case .created, .waiting: return false
            case .finished, .completedEarly: return true
            }
        }
    }
}
