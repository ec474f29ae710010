import NIOCore
import RESP

extension RedisClusterClient {
    /// Sends commands as pipelines, one per node, concurrently, and returns each command's
    /// outcome in the caller's order. Commands to the same node keep their relative order.
    /// A command redirected (MOVED/ASK) or refused during a failover is retried on its own;
    /// multi-key commands spanning slots are split as `execute` does. Error replies are
    /// `.failure` with kind `.server`.
    nonisolated(nonsending) public func pipeline(_ commands: [RESPCommand]) async -> [Result<RESPValue, RedisError>] {
        var results = [Result<RESPValue, RedisError>?](repeating: nil, count: commands.count)
        var groups: [PipelineGroup] = []  // one per node; a cluster has few, so a list beats a dictionary
        var individually: [Int] = []
        for (i, command) in commands.enumerated() {
            do throws(RedisError) {
                if let use = ConnectionTakeover.of(command) {
                    throw RedisError(.unsupportedCommand, use.refusalInPipeline(of: command))
                }
                let route = try ClusterRoute(command)
                guard case .slot(let slot) = route.target, let (endpoint, node) = try await targetNode(slot: slot, readOnly: route.readOnly)
                else {
                    individually.append(i)
                    continue
                }
                let item = PipelineGroup.Item(index: i, command: command, route: route)
                if let g = groups.firstIndex(where: { $0.node === node }) {
                    groups[g].items.append(item)
                } else {
                    groups.append(PipelineGroup(endpoint: endpoint, node: node, items: [item]))
                }
            } catch {
                results[i] = .failure(error)
            }
        }
        if groups.count == 1, individually.isEmpty {
            // One node (hash-tagged keys, or a small cluster): no child task to wait for.
            for (i, r) in await runGroup(groups[0]) { results[i] = r }
            return results.map { $0! }
        }
        let outcomes = await withTaskGroup(of: [(Int, Result<RESPValue, RedisError>)].self) { group in
            for g in groups {
                group.addTask { await self.runGroup(g) }
            }
            for i in individually {
                group.addTask {
                    do throws(RedisError) { return [(i, .success(try await self.execute(commands[i])))] } catch { return [(i, .failure(error))] }
                }
            }
            var all: [(Int, Result<RESPValue, RedisError>)] = []
            all.reserveCapacity(commands.count)
            for await part in group { all += part }
            return all
        }
        for (i, r) in outcomes { results[i] = r }
        return results.map { $0! }
    }

    /// The commands of a pipeline that go to one node, in the caller's order.
    struct PipelineGroup: Sendable {
        struct Item: Sendable {
            var index: Int
            var command: RESPCommand
            var route: ClusterRoute
        }
        var endpoint: RedisEndpoint
        var node: RedisNodeClient
        var items: [Item]
    }

    nonisolated(nonsending) private func runGroup(_ group: PipelineGroup) async -> [(Int, Result<RESPValue, RedisError>)] {
        var out: [(Int, Result<RESPValue, RedisError>)] = []
        out.reserveCapacity(group.items.count)
        do throws(RedisError) {
            let replies = try await group.node.send(pipeline: group.items.map(\.command))
            for (item, reply) in zip(group.items, replies) {
                if case .error(let e) = reply, CommandRetryState.retries(e) {
                    out.append((item.index, await retryAlone(item.command, item.route)))
                } else if case .error(let e) = reply {
                    out.append((item.index, .failure(RedisError.server(e, endpoint: group.endpoint.description))))
                } else {
                    out.append((item.index, .success(reply)))
                }
            }
        } catch {
            for item in group.items {
                if item.route.idempotent || error.commandWasNotSent {
                    out.append((item.index, await retryAlone(item.command, item.route)))
                } else {
                    var e = error
                    e.kind = .outcomeUnknown
                    e.message = "\(item.route.name.uppercased()) may have been applied before the connection failed (\(error.message)); it was not replayed because it is not idempotent"
                    out.append((item.index, .failure(e)))
                }
            }
        }
        return out
    }

    nonisolated(nonsending) private func retryAlone(_ command: RESPCommand, _ route: ClusterRoute) async -> Result<RESPValue, RedisError> {
        do throws(RedisError) {
            guard case .slot(let slot) = route.target else { return .success(try await execute(command)) }
            return .success(try await send(command, slot: slot, readOnly: route.readOnly, idempotent: route.idempotent))
        } catch {
            return .failure(error)
        }
    }

    /// Runs `commands` as one MULTI/EXEC transaction on the primary of their slot, on a
    /// connection of its own. All keys must share one slot (use a hash tag). Returns EXEC's
    /// replies; throws when the transaction was aborted.
    nonisolated(nonsending) public func transaction(_ commands: [RESPCommand]) async throws(RedisError) -> [RESPValue] {
        var slot: Int?
        for command in commands {
            guard let s = try ClusterRoute(command).slotInTransaction() else { continue }
            if let existing = slot, existing != s {
                throw RedisError(
                    .crossSlot,
                    "A transaction's keys must share one hash slot (found slots \(existing) and \(s)); give them a common hash tag such as {order:17}")
            }
            slot = s
        }
        let (replies, endpoint): ([RESPValue], String)
        do {
            (replies, endpoint) = try await onDedicatedConnection(toOwnerOf: slot) { c in
                let replies = try await c.send(pipeline: [RESPCommand("MULTI")] + commands + [RESPCommand("EXEC")])
                // A queued command redirected: EXEC was refused, nothing ran.
                let moved = replies.dropFirst().dropLast().contains { if case .error(let e) = $0 { WatchedTransaction.isRedirect(e) } else { false } }
                return moved ? nil : (replies, c.endpoint.description)
            }
        } catch let e as RedisError {
            throw e
        } catch {
            throw RedisError(.connectionClosed, "\(error)")
        }
        return try TransactionReply.results(of: replies, endpoint: endpoint)
    }

    /// An optimistic transaction on the primary of the slot `keys` share: WATCH `keys`, let
    /// `build` read through the session and return the commands to queue, then MULTI, the
    /// commands and EXEC on the same dedicated connection.
    ///
    /// Returns EXEC's results, `[]` when `build` returned no commands, or `nil` when another
    /// client changed a watched key and the transaction was aborted (read again and retry).
    /// When the slot moves to another node meanwhile, nothing has run and the whole attempt,
    /// `build` included, is made again on the new owner.
    public func transaction(
        watching keys: [String], _ build: (RedisWatchSession) async throws -> [RESPCommand]
    ) async throws -> [RESPValue]? {
        guard !keys.isEmpty else { throw RedisError(.invalidConfiguration, "A watched transaction needs at least one key to watch") }
        let slot = try WatchedTransaction.slot(of: keys)
        return try await onDedicatedConnection(toOwnerOf: slot) { c in
            switch try await WatchedTransaction.run(on: c, keys: keys, slot: slot, build) {
            case .finished(let results): return .some(results)
            case .slotMoved: return nil
            }
        }
    }

    /// Runs `attempt` on a connection of its own to the primary of `slot` (any primary when
    /// `nil`). An attempt returns `nil` when the slot moved before anything ran; then the
    /// topology is refreshed and the attempt made again on the new owner, up to four times.
    private func onDedicatedConnection<T: Sendable>(
        toOwnerOf slot: Int?, _ attempt: (RedisConnection) async throws -> T?
    ) async throws -> T {
        for round in 0..<4 {
            guard let endpoint = try await target(slot: slot, readOnly: false) else {
                try? await Task.sleep(for: .milliseconds(100 << round))
                _ = try? await refresh(force: true)
                continue
            }
            if let result = try await pool.node(endpoint).withDedicatedConnection(attempt) { return result }
            _ = try? await refresh(force: true)
        }
        throw RedisError(.clusterDown, "The transaction's slot kept moving; the cluster is resharding — retry later")
    }
}
