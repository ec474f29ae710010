/// Polls `condition` every 20 ms until it holds or `timeout` has passed, then gives its last
/// answer: for what a server or a background task does a moment later (an unsubscription,
/// an expiry, a failover), without a fixed sleep that a loaded machine may outlast.
public func eventually(_ timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}
