import NIOCore
import Synchronization

/// The commands written and not yet answered on all connections of one event loop: what
/// tells a caller on that loop whether writing its connection's batch early pays.
///
/// Only the loop's own thread changes it (a connection's handler when it writes and when
/// replies come) and reads it for a decision (a caller running on that loop), so relaxed
/// atomics are enough; it is atomic only so that the type is checked `Sendable`.
final class LoopTraffic: Sendable {
    private let wire = Atomic<Int>(0)

    /// Commands on the wire, summed over the loop's connections.
    var onTheWire: Int { wire.load(ordering: .relaxed) }

    func written(_ n: Int) { wire.wrappingAdd(n, ordering: .relaxed) }
    func answered(_ n: Int) { wire.wrappingSubtract(n, ordering: .relaxed) }

    private static let byLoop = Mutex<[ObjectIdentifier: LoopTraffic]>([:])

    /// The one instance for `loop`, shared by every connection on it (looked up when a
    /// connection is made, never per command). Kept for the life of the process: one small
    /// object per event loop ever used.
    static func of(_ loop: any EventLoop) -> LoopTraffic {
        byLoop.withLock { all in
            if let traffic = all[ObjectIdentifier(loop)] { return traffic }
            let traffic = LoopTraffic()
            all[ObjectIdentifier(loop)] = traffic
            return traffic
        }
    }
}
