import NIOCore
import RESP
import RedisProvider
import Synchronization

/// `bench --stream-consumers 1,4`: how fast consumer-group workers (`RedisStreamConsumer`)
/// get through a stream, with one acknowledgement per entry and with one per batch.
extension Bench {
    /// For each worker count, fills a fresh stream with -n entries of -d bytes, then runs that
    /// many workers until every entry was handed out, and prints entries per second.
    func measureStreamConsumers(_ client: RedisProvider, counts: [Int]) async throws {
        let value = ByteBuffer(repeating: UInt8(ascii: "x"), count: dataSize)
        for batches in [false, true] {
            for workers in counts {
                let stream = "bench:stream:{\(workers)}"
                _ = try await client.del([stream])
                var added = 0
                while added < requests {
                    let chunk = min(1000, requests - added)
                    let commands = (0..<chunk).map { _ in RESPCommand("XADD", stream, "*", "v", value) }
                    for result in await client.pipeline(commands) { _ = try result.get() }
                    added += chunk
                }
                let options = { var o = RedisStreamConsumer.Options(); o.acknowledgeInBatches = batches; return o }()
                let handedOut = HandedOut()
                let total = requests
                let started = ContinuousClock.now
                let finished = try await withThrowingTaskGroup(of: ContinuousClock.Instant?.self) { group in
                    for i in 0..<workers {
                        group.addTask {
                            let consumer = RedisStreamConsumer(stream: stream, group: "bench", consumer: "w\(i)", on: client, options: options)
                            for try await _ in consumer where handedOut.count.add(1, ordering: .relaxed).newValue == total {
                                return .now
                            }
                            return nil
                        }
                    }
                    var finished: ContinuousClock.Instant?
                    while let next = try await group.next() {
                        if let next {
                            finished = next
                            group.cancelAll()
                        }
                    }
                    return finished
                }
                let elapsed = (finished ?? .now) - started
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                let left = try await client.xpending(stream, group: "bench").count
                _ = try await client.del([stream])
                print(
                    "STREAM CONSUMERS \(workers) (\(batches ? "XACK per batch" : "XACK per entry")): "
                        + String(format: "%.0f entries per second", Double(total) / seconds)
                        + " (\(total) entries of \(dataSize) bytes in \(String(format: "%.2f", seconds)) s; \(left) unacknowledged when the workers stopped)"
                )
            }
        }
    }
}

/// How many entries the workers were handed, together.
private final class HandedOut: Sendable {
    let count = Atomic<Int>(0)
}
