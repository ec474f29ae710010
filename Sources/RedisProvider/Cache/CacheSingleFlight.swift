import NIOCore
import Synchronization

/// One computation per key at a time: callers that ask for a key while its computation is
/// running wait for that computation and share its result or its error.
///
/// The first caller runs the computation in its own task (structured: nothing runs detached).
/// A waiting caller that is cancelled stops waiting at once (with `CancellationError`) and
/// the others keep waiting. When the caller running the computation is cancelled, the
/// computation is cancelled with it and the callers still waiting start it again, one of
/// them running it.
///
/// Single-flight is per instance, so per process: two processes (or two providers built
/// separately) may compute the same key at the same time.
public final class CacheSingleFlight: Sendable {
    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<ByteBuffer, any Error>
    }

    private struct Flight {
        var id: UInt64
        var waiters: [Waiter] = []
    }

    private struct State {
        var flights: [String: Flight] = [:]
        var nextID: UInt64 = 0

        mutating func makeID() -> UInt64 {
            nextID &+= 1
            return nextID
        }
    }

    /// Told to a waiter whose computation was cancelled with its caller: try again.
    private struct StartAgain: Error {}

    private let state = Mutex(State())

    public init() {}

    /// The result of `work` for `key`: computed now, or the one already running for `key`.
    public func run(_ key: String, _ work: @Sendable () async throws -> ByteBuffer) async throws -> ByteBuffer {
        while true {
            try Task.checkCancellation()
            let flight = state.withLock { state -> UInt64? in
                if state.flights[key] != nil { return nil }
                let id = state.makeID()
                state.flights[key] = Flight(id: id)
                return id
            }
            guard let flight else {
                do { return try await wait(for: key) } catch is StartAgain { continue }
            }
            let result: Result<ByteBuffer, any Error>
            do { result = .success(try await work()) } catch { result = .failure(error) }
            let waiters = state.withLock { state -> [Waiter] in
                guard let f = state.flights[key], f.id == flight else { return [] }
                state.flights[key] = nil
                return f.waiters
            }
            // A computation that ended because its caller was cancelled is not the waiters' answer.
            let abandoned = Task.isCancelled && (try? result.get()) == nil
            for waiter in waiters {
                if abandoned { waiter.continuation.resume(throwing: StartAgain()) } else { waiter.continuation.resume(with: result) }
            }
            return try result.get()
        }
    }

    /// How many callers want `key`'s running computation, its own caller included (0 when
    /// none runs).
    func waiterCount(for key: String) -> Int {
        state.withLock { s in s.flights[key].map { $0.waiters.count + 1 } ?? 0 }
    }

    /// Waits for the computation another caller runs for `key`.
    private func wait(for key: String) async throws -> ByteBuffer {
        let id = state.withLock { $0.makeID() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ByteBuffer, any Error>) in
                enum Parked { case parked, finished, cancelled }
                let parked = state.withLock { state -> Parked in
                    if Task.isCancelled { return .cancelled }
                    guard state.flights[key] != nil else { return .finished }
                    state.flights[key]!.waiters.append(Waiter(id: id, continuation: continuation))
                    return .parked
                }
                switch parked {
                case .parked: break
                case .finished: continuation.resume(throwing: StartAgain())
                case .cancelled: continuation.resume(throwing: CancellationError())
                }
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                guard let i = state.flights[key]?.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.flights[key]!.waiters.remove(at: i)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }
}
