import NIOCore
import NIOPosix

/// `work`'s result, or `nil` once `deadline` passes; the work is then cancelled. Every wait
/// inside the library ends at once on cancellation (see ``EventLoopFuture/valueOrCancellation(abandoned:)``),
/// so the caller ends on time: what a readiness probe needs.
package func firstResult<T: Sendable>(
    before deadline: ContinuousClock.Instant, _ work: @escaping @Sendable () async -> T
) async -> T? {
    await withTaskGroup(of: T?.self) { group in
        group.addTask { await work() }
        group.addTask {
            try? await Task.sleep(until: deadline, clock: .continuous)
            return nil
        }
        let first = await group.next() ?? nil
        group.cancelAll()
        return first
    }
}

extension EventLoopFuture where Value: Sendable {
    /// The future's value, or `CancellationError` as soon as the task is cancelled. The work
    /// behind the future goes on in NIO; a value that arrives after the cancellation goes to
    /// `abandoned` (to close a channel that connected too late, say).
    package func valueOrCancellation(abandoned: @escaping @Sendable (Value) -> Void = { _ in }) async throws -> Value {
        let result = eventLoop.makePromise(of: Value.self)
        self.cascade(to: result)
        result.futureResult.whenFailure { [self] _ in self.whenSuccess(abandoned) }
        return try await withTaskCancellationHandler {
            try await result.futureResult.get()
        } onCancel: {
            result.fail(CancellationError())
        }
    }
}

extension NIOThreadPool {
    /// Runs blocking `body` (getaddrinfo) on the pool; a cancelled caller stops waiting for it.
    package static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async throws -> T {
        try await singleton.runIfActive(eventLoop: MultiThreadedEventLoopGroup.singleton.next(), body).valueOrCancellation()
    }
}
