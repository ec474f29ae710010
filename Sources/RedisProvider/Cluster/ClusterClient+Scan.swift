import NIOCore
import RESP

extension RedisClusterClient {
    /// Every key of the cluster matching, shard after shard, as an async sequence.
    ///
    /// Each shard is scanned to the end on its current primary (or replica, per the read
    /// policy); the cursor remembers the shard by its lowest slot, so after a failover the
    /// scan goes on at the shard's new primary with the same cursor. A stable cluster yields
    /// every key exactly once; keys written or moved during the scan follow SCAN's rules.
    public func scanKeys(match: String?, count: Int?, type: String?) -> RedisScanSequence {
        RedisScanSequence { cursor async throws(RedisError) in
            let map = try await self.slotMap()
            let anchors = Self.shardAnchors(map)
            guard let firstAnchor = anchors.first else { return RedisScanPage(cursor: "0", elements: []) }
            var anchor = firstAnchor
            var nodeCursor = "0"
            if cursor != "0" {
                let parts = cursor.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, let a = Int(parts[0]) else {
                    throw RedisError(.invalidConfiguration, "'\(cursor)' is not a cluster scan cursor")
                }
                anchor = a
                nodeCursor = String(parts[1])
            }
            var command = RESPCommand("SCAN", nodeCursor)
            if let match { command.append("MATCH"); command.append(match) }
            if let count { command.append("COUNT"); command.append(count) }
            if let type { command.append("TYPE"); command.append(type) }
            let reply = try await self.send(command, slot: anchor, readOnly: true, idempotent: true)
            var page = try RedisScanPage(reply)
            if page.cursor == "0" {
                let next = anchors.first { $0 > anchor }
                page.cursor = next.map { "\($0):0" } ?? "0"
            } else {
                page.cursor = "\(anchor):\(page.cursor)"
            }
            return page
        }
    }

    /// The lowest slot of each shard, ascending: a shard's name that survives failovers.
    static func shardAnchors(_ map: SlotMap) -> [Int] {
        map.topology.shards.compactMap { $0.slots.map(\.lowerBound).min() }.sorted()
    }
}
