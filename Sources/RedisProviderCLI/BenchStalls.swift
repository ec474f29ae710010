import Foundation
import RESP
import RedisProvider

/// What the callers of one shard saw during an outage: the requests that took longer than the
/// stall threshold, the longest of them, when the first was sent, and when the first and the
/// last of them were answered (the shard serving again, and its last stuck caller served).
/// Times are seconds from the start of the run.
struct BenchStall: Codable, Equatable {
    /// The shard, named by its primary when the run started (`all` for a single server).
    var shard: String
    var requests: Int
    var errors: Int
    var longestMilliseconds: Double
    var firstSentAtSeconds: Double
    var firstAnsweredAtSeconds: Double?
    var lastAnsweredAtSeconds: Double?

    var line: String {
        var s = String(
            format: "stalls on %@: %d requests over the threshold (%d failed), longest %.0f ms, the first sent at %.3f s",
            shard, requests, errors, longestMilliseconds, firstSentAtSeconds)
        if let first = firstAnsweredAtSeconds, let last = lastAnsweredAtSeconds {
            s += String(format: "; answered again from %.3f s, the last stuck caller at %.3f s", first, last)
        }
        return s
    }
}

/// Requests slower than a threshold, as one caller saw them.
struct StallRecorder: Sendable {
    struct Stall: Sendable {
        var key: String
        var sent: Duration
        var ended: Duration
        var succeeded: Bool
    }

    let threshold: Duration
    private(set) var stalls: [Stall] = []

    init(threshold: Duration) { self.threshold = threshold }

    /// Records the request for `key` sent at `sent` and ended at `ended` (from the run's
    /// start) when it took longer than the threshold.
    mutating func record(key: String, sent: Duration, ended: Duration, succeeded: Bool) {
        guard ended - sent > threshold, stalls.count < 100_000 else { return }
        stalls.append(Stall(key: key, sent: sent, ended: ended, succeeded: succeeded))
    }

    /// The stalls of every caller by shard, the shard of a key named by `shardOf`.
    static func summary(_ stalls: [Stall], shardOf: (String) -> String) -> [BenchStall] {
        Dictionary(grouping: stalls) { shardOf($0.key) }.map { shard, stalls in
            let answered = stalls.filter(\.succeeded).map(\.ended.seconds)
            return BenchStall(
                shard: shard, requests: stalls.count, errors: stalls.count - answered.count,
                longestMilliseconds: stalls.map { ($0.ended - $0.sent).seconds * 1000 }.max() ?? 0,
                firstSentAtSeconds: stalls.map(\.sent.seconds).min() ?? 0,
                firstAnsweredAtSeconds: answered.min(), lastAnsweredAtSeconds: answered.max())
        }.sorted { $0.firstSentAtSeconds < $1.firstSentAtSeconds }
    }
}

/// Names the shard of a key: the primary serving its slot when the run started.
struct ShardNames: Sendable {
    private let primaries: [String]

    /// Every key in one shard, `all`.
    static let none = ShardNames(primaries: [])

    private init(primaries: [String]) { self.primaries = primaries }

    /// Asks the cluster behind `client` for its shards; a single server is one shard, `all`.
    init(_ client: RedisProvider, url: RedisURL) async {
        guard url.mode.isCluster, let reply = try? await client.execute(RESPCommand("CLUSTER", "SHARDS")),
            let topology = try? ClusterTopology.parse(clusterShards: reply, connectedTo: url.endpoints[0], tls: url.tls)
        else {
            primaries = []
            return
        }
        let map = SlotMap(topology)
        primaries = (0..<HashSlot.count).map { map.primary(for: $0)?.description ?? "unserved" }
    }

    func shard(of key: String) -> String {
        primaries.isEmpty ? "all" : primaries[HashSlot.slot(for: key)]
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
