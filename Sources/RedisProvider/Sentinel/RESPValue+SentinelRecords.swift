import RESP

extension RESPValue {
    /// A Sentinel's description of one node (`SENTINEL MASTER`, one element of `SENTINEL
    /// REPLICAS` or `SENTINELS`): a RESP3 map or a flat RESP2 name-value array, as a dictionary.
    package var sentinelRecord: [String: String] {
        var fields: [String: String] = [:]
        if case .map(let pairs) = self {
            for pair in pairs { if let k = pair.key.string, let v = pair.value.string { fields[k] = v } }
            return fields
        }
        let items = elements ?? []
        var i = 0
        while i + 1 < items.count {
            if let k = items[i].string, let v = items[i + 1].string { fields[k] = v }
            i += 2
        }
        return fields
    }

    /// The address in a `SENTINEL GET-MASTER-ADDR-BY-NAME` reply (`[host, port]`); nil for a
    /// null reply (no primary of that name) or another shape.
    package var sentinelAddress: RedisEndpoint? {
        guard let parts = elements, parts.count == 2, let host = parts[0].string, let port = parts[1].string.flatMap({ Int($0) })
        else { return nil }
        return RedisEndpoint(host: host, port: port)
    }

    /// The records of a `SENTINEL REPLICAS` or `SENTINELS` reply.
    package var sentinelRecords: [[String: String]] {
        (elements ?? []).map(\.sentinelRecord)
    }
}
