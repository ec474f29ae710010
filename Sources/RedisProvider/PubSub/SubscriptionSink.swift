import DequeModule
import RESP
import Synchronization

/// One subscriber's mailbox: a bounded buffer of messages and the consumer parked on it.
///
/// When the buffer is full the oldest message is dropped (counted, and the next message the
/// consumer reads says `gapBefore`): a slow consumer never grows memory past its bound and
/// never slows the connection that other subscribers share.
final class SubscriptionSink: Sendable {
    private struct State {
        var buffer = Deque<RedisPubSubMessage>()
        var gapPending = false
        /// Set by `wake()` when no consumer was parked: the next `park` returns at once.
        var woken = false
        var waiter: CheckedContinuation<Void, Never>?
        var failure: RedisError?
        var dropped = 0

        /// The parked consumer, to resume outside the lock; remembers the wake-up when none is.
        mutating func takeWaiter() -> CheckedContinuation<Void, Never>? {
            guard let waiter else {
                woken = true
                return nil
            }
            self.waiter = nil
            return waiter
        }
    }

    private let state = Mutex(State())
    let capacity: Int

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Adds a message; returns `true` when an older one had to be dropped for it.
    @discardableResult
    func deliver(_ message: RedisPubSubMessage) -> Bool {
        let (waiter, dropped) = state.withLock { s -> (CheckedContinuation<Void, Never>?, Bool) in
            var message = message
            if s.gapPending {
                message.gapBefore = true
                s.gapPending = false
            }
            var dropped = false
            if s.buffer.count >= capacity {
                s.buffer.removeFirst()
                s.dropped += 1
                dropped = true
                if s.buffer.isEmpty { message.gapBefore = true } else { s.buffer[0].gapBefore = true }
            }
            s.buffer.append(message)
            return (s.takeWaiter(), dropped)
        }
        waiter?.resume()
        return dropped
    }

    /// Messages may have been lost: the next one delivered says so. Wakes the consumer.
    func markGap() {
        let waiter = state.withLock { s in
            s.gapPending = true
            return s.takeWaiter()
        }
        waiter?.resume()
    }

    /// Something changed that the consumer may need to act on (a connection to repair, a
    /// subscription confirmed).
    func wake() {
        state.withLock { $0.takeWaiter() }?.resume()
    }

    /// The subscription failed for good; the consumer's next read throws `error`.
    func fail(_ error: RedisError) {
        state.withLock { s in
            s.failure = s.failure ?? error
            return s.takeWaiter()
        }?.resume()
    }

    /// The oldest message, if any; throws once the subscription failed and no message is left.
    func take() throws(RedisError) -> RedisPubSubMessage? {
        try state.withLock { s throws(RedisError) -> RedisPubSubMessage? in
            if let message = s.buffer.popFirst() { return message }
            if let failure = s.failure { throw failure }
            return nil
        }
    }

    /// Forgets earlier wake-ups: called before the consumer looks for work, so that a wake-up
    /// arriving after the look and before `park` is not lost.
    func clearWakeUp() {
        state.withLock { $0.woken = false }
    }

    /// Waits for a message or a wake-up (at once if one came since `clearWakeUp`); returns
    /// early when the task is cancelled.
    func park() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.woken || !s.buffer.isEmpty || s.failure != nil || Task.isCancelled {
                        s.woken = false
                        return true
                    }
                    s.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            wake()
        }
    }

    /// The failure that ended the subscription, if any.
    var failure: RedisError? { state.withLock { $0.failure } }

    /// Messages dropped because the consumer fell behind.
    var droppedCount: Int { state.withLock { $0.dropped } }
}
