import NIOCore
import Synchronization

/// One computation per key at a time: callers that ask for a key while its computation is
/// running wait for that computation and share its result or its error.
///
/// The computation runs in a task of its own, so one caller's cancellation does not cancel
/// it for the others: a cancelled caller stops waiting (with `CancellationError`), and the
/// computation is cancelled only when every caller waiting for it has gone.
///
/// Single-flight is per instance, so per process: two processes (or two providers built
/// separately) may compute the same key at the same time.
public final class CacheSingleFlight: Sendable {
    private typealias Waiter = CheckedContinuation<ByteBuffer, any Error>

    private struct Flight {
        var id: UInt64
        var task: Task<Void, Never>?
        var waiters: [UInt64: Waiter]
    }

    private struct State {
        var flights: [String: Flight] = [:]
        var nextID: UInt64 = 0

        mutating func makeID() -> UInt64 {
            nextID &+= 1
            return nextID
        }
    }

    private let state = Mutex(State())

    public init() {}

    /// The result of `work` for `key`: started now, or the one already running for `key`.
    public func run(
        _ key: String, _ work: @escaping @Sendable () async throws -> ByteBuffer
    ) async throws -> ByteBuffer {
        let waiterID = state.withLock { $0.makeID() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (waiter: Waiter) in
                let cancelled = state.withLock { state -> Bool in
                    if Task.isCancelled { return true }
                    if state.flights[key] != nil {
                        state.flights[key]!.waiters[waiterID] = waiter
                        return false
                    }
                    let id = state.makeID()
                    state.flights[key] = Flight(id: id, task: nil, waiters: [waiterID: waiter])
                    // Created under the lock, so a cancellation can always find it; it cannot
                    // finish (and take the lock) before the lock is released.
                    state.flights[key]!.task = Task {
                        let result: Result<ByteBuffer, any Error>
                        do { result = .success(try await work()) } catch { result = .failure(error) }
                        self.finish(key, flight: id, result)
                    }
                    return false
                }
                if cancelled { waiter.resume(throwing: CancellationError()) }
            }
        } onCancel: {
            self.leave(key, waiter: waiterID)
        }
    }

    /// How many callers wait for `key`'s running computation (0 when none runs).
    func waiterCount(for key: String) -> Int {
        state.withLock { $0.flights[key]?.waiters.count ?? 0 }
    }

    private func finish(_ key: String, flight id: UInt64, _ result: Result<ByteBuffer, any Error>) {
        let waiters = state.withLock { state -> [Waiter] in
            guard let flight = state.flights[key], flight.id == id else { return [] }
            state.flights[key] = nil
            return Array(flight.waiters.values)
        }
        for waiter in waiters { waiter.resume(with: result) }
    }

    private func leave(_ key: String, waiter id: UInt64) {
        let (waiter, orphaned) = state.withLock { state -> (Waiter?, Task<Void, Never>?) in
            guard var flight = state.flights[key], let waiter = flight.waiters.removeValue(forKey: id) else {
                return (nil, nil)
            }
            if flight.waiters.isEmpty {
                state.flights[key] = nil
                return (waiter, flight.task)
            }
            state.flights[key] = flight
            return (waiter, nil)
        }
        orphaned?.cancel()
        waiter?.resume(throwing: CancellationError())
    }
}
