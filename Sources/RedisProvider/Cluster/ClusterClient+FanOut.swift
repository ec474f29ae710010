import NIOCore
import RESP

extension RedisClusterClient {
    /// Runs the parts of a split multi-key command concurrently, one per slot, and merges the
    /// replies in the caller's key order (MGET) or by the command's response policy (sum for
    /// DEL/EXISTS/TOUCH/UNLINK, all-succeeded for MSET).
    func executeSplit(_ route: ClusterRoute, _ parts: [(slot: Int, groups: [Int])]) async throws(RedisError) -> RESPValue {
        let replies = try await concurrently(parts.count) { i async throws(RedisError) in
            let part = parts[i]
            return try await self.send(route.command(for: part.groups), slot: part.slot, readOnly: route.readOnly, idempotent: route.idempotent)
        }
        switch route.metadata?.responsePolicy {
        case .aggSum?:
            var total: Int64 = 0
            for r in replies { if case .integer(let n) = r { total += n } }
            return .integer(total)
        case .allSucceeded?, .oneSucceeded?:
            return replies[0]
        default:
            // MGET-like: one element per group, back in the caller's order.
            var merged = [RESPValue](repeating: .null, count: route.groups.count)
            for (part, reply) in zip(parts, replies) {
                guard let elements = reply.elements, elements.count == part.groups.count else {
                    throw RedisError(.protocolViolation, "\(route.name.uppercased()) returned \(reply.shapeDescription) for \(part.groups.count) keys")
                }
                for (g, e) in zip(part.groups, elements) { merged[g] = e }
            }
            return .array(merged)
        }
    }

    /// Sends a keyless command to every primary (or every node) and merges the replies by the
    /// command's response policy.
    func executeFanOut(_ route: ClusterRoute, allNodes: Bool) async throws(RedisError) -> RESPValue {
        let map = try await slotMap()
        let targets = allNodes ? Array(map.endpoints).sorted { $0.description < $1.description } : map.primaries
        let command = RESPCommand(argv: route.argv)
        let replies = try await concurrently(targets.count) { i async throws(RedisError) in
            try await self.sendPinned(command, to: targets[i], idempotent: route.idempotent)
        }
        // Each error reply thrown names the node that sent it.
        let errors = zip(targets, replies).compactMap { target, reply -> RedisError? in
            if case .error(let e) = reply { return RedisError.server(e, endpoint: target.description) } else { return nil }
        }
        let successes = replies.filter { if case .error = $0 { return false } else { return true } }
        switch route.metadata?.responsePolicy {
        case .oneSucceeded?:
            if let first = successes.first { return first }
        case .aggSum?, .aggMin?, .aggMax?, .aggLogicalAnd?, .aggLogicalOr?:
            if let e = errors.first { throw e }
            return try Self.aggregate(successes, route.metadata!.responsePolicy!)
        default:
            if let e = errors.first { throw e }
            if route.name == "randomkey" { return successes.first { !$0.isNull } ?? .null }
            if route.metadata?.responsePolicy == .allSucceeded || successes.allSatisfy({ $0 == successes[0] }) {
                return successes[0]
            }
            if successes.allSatisfy({ if case .array = $0 { return true } else { return false } }) {
                return .array(successes.flatMap { $0.elements ?? [] })  // KEYS: every primary's keys
            }
            // INFO and the like: each node's reply under its address.
            return .map(zip(targets, replies).map { RESPMapEntry(key: .bulkString(ByteBuffer(string: $0.0.description)), value: $0.1) })
        }
        throw errors[0]
    }

    /// `agg_sum`, `agg_min`, `agg_max`, `agg_logical_and|or` over integers, element-wise for arrays.
    static func aggregate(_ replies: [RESPValue], _ policy: ResponsePolicy) throws(RedisError) -> RESPValue {
        func combine(_ a: Int64, _ b: Int64) -> Int64 {
            switch policy {
            case .aggSum: return a + b
            case .aggMin: return min(a, b)
            case .aggMax: return max(a, b)
            case .aggLogicalAnd: return (a != 0 && b != 0) ? 1 : 0
            default: return (a != 0 || b != 0) ? 1 : 0
            }
        }
        guard var result = replies.first else { return .null }
        for r in replies.dropFirst() {
            switch (result, r) {
            case (.integer(let a), .integer(let b)):
                result = .integer(combine(a, b))
            case (.array(let a), .array(let b)) where a.count == b.count:
                result = .array(zip(a, b).map { x, y in
                    if case .integer(let i) = x, case .integer(let j) = y { return .integer(combine(i, j)) }
                    return x
                })
            default:
                throw RedisError(.protocolViolation, "Cannot aggregate \(result.shapeDescription) with \(r.shapeDescription)")
            }
        }
        return result
    }

    /// Sends to one given node (fan-out), retrying only transport failures of idempotent
    /// commands; redirects do not apply to keyless commands.
    func sendPinned(_ command: RESPCommand, to endpoint: RedisEndpoint, idempotent: Bool) async throws(RedisError) -> RESPValue {
        do {
            return try await pool.node(endpoint).send(command)
        } catch {
            guard idempotent || error.commandWasNotSent else { throw error }
            return try await pool.node(endpoint).send(command)
        }
    }

    /// Runs `count` operations at once and returns their results in order; the first error wins.
    func concurrently<T: Sendable>(
        _ count: Int, _ operation: @escaping @Sendable (Int) async throws(RedisError) -> T
    ) async throws(RedisError) -> [T] {
        if count == 1 { return [try await operation(0)] }
        let results = await withTaskGroup(of: (Int, Result<T, RedisError>).self) { group in
            for i in 0..<count {
                group.addTask {
                    do throws(RedisError) { return (i, .success(try await operation(i))) } catch { return (i, .failure(error)) }
                }
            }
            var all = [Result<T, RedisError>?](repeating: nil, count: count)
            for await (i, r) in group { all[i] = r }
            return all
        }
        var values: [T] = []
        values.reserveCapacity(count)
        for r in results { values.append(try r!.get()) }
        return values
    }
}
