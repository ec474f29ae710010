import Synchronization

/// Hands each topology event to every current subscriber; finishes them all at shutdown.
final class TopologyEventBroadcaster: Sendable {
    private struct State {
        var next = 0
        var subscribers: [Int: AsyncStream<RedisTopologyEvent>.Continuation] = [:]
        var finished = false
    }

    private let state = Mutex(State())

    func subscribe() -> AsyncStream<RedisTopologyEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: RedisTopologyEvent.self, bufferingPolicy: .bufferingNewest(256))
        let id: Int? = state.withLock { s in
            if s.finished { return nil }
            s.next += 1
            s.subscribers[s.next] = continuation
            return s.next
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    func yield(_ event: RedisTopologyEvent) {
        for c in state.withLock({ Array($0.subscribers.values) }) { c.yield(event) }
    }

    func finish() {
        let all = state.withLock { s in
            s.finished = true
            defer { s.subscribers = [:] }
            return Array(s.subscribers.values)
        }
        for c in all { c.finish() }
    }
}
