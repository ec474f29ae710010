import Synchronization

/// `work`'s result, or `nil` once `deadline` passes. Work still running then is left to
/// finish on its own (it is not awaited), so the caller ends on time even when the work
/// ignores cancellation: what a readiness probe needs.
func firstResult<T: Sendable>(
    before deadline: ContinuousClock.Instant, _ work: @escaping @Sendable () async -> T
) async -> T? {
    let decided = Once()
    return await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
        let timer = Task {
            try? await Task.sleep(until: deadline, clock: .continuous)
            if decided.claim() { continuation.resume(returning: nil) }
        }
        Task {
            let result = await work()
            if decided.claim() {
                timer.cancel()
                continuation.resume(returning: result)
            }
        }
    }
}

/// A flag only one of several racing tasks can claim.
private final class Once: Sendable {
    private let claimed = Atomic<Bool>(false)
    func claim() -> Bool { claimed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged }
}
