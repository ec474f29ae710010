import RESP

extension RedisClient {
    /// Sends `command` to the node the Sentinels announce, riding out a failover: connection
    /// failures, `READONLY` (a demoted primary), `LOADING` and `MASTERDOWN` are retried within
    /// the watch's budget, asking the Sentinels again after each; a command that is not
    /// idempotent and may have run is not replayed (`.outcomeUnknown`).
    nonisolated(nonsending) func sendRidingFailover(_ command: RESPCommand, _ sentinel: SentinelWatch) async throws(RedisError) -> RESPValue {
        var first: RedisError
        do {
            let reply = try await node.send(command)
            guard case .error(let e) = reply, sentinel.retries(e) else { return reply }
            first = RedisError.server(e, endpoint: node.endpoint.description)
        } catch {
            first = error
        }
        // The rare path: a failover (or a server error worth retrying) is under way.
        var retry = CommandRetryState(
            policy: sentinel.retryPolicy, startedAt: .now, isIdempotent: ClusterRoute.isIdempotent(command))
        var outcome: CommandRetryState.Outcome =
            first.kind == .server ? .reply(.error(first.serverError!)) : .transportError(first, sent: !first.commandWasNotSent)
        var last = first
        while true {
            switch retry.next(outcome, now: .now, answeredBy: node.endpoint) {
            case .deliver, .redirect:
                if case .reply(let reply) = outcome { return reply }
                throw last
            case .retry(let after, let refresh):
                do { try await Task.sleep(for: after) } catch {
                    throw RedisError(.cancelled, "The task was cancelled while waiting for the failover of '\(sentinel.masterName)'")
                }
                if refresh { await sentinel.reconcile(node) }
            case .fail(let error):
                guard error.kind == .clusterDown else { throw error }
                throw RedisError(
                    .clusterDown,
                    "No \(sentinel.role.rawValue) of '\(sentinel.masterName)' served within \(CommandRetryState.format(sentinel.retryPolicy.budget)); "
                        + "the last attempt: \(last.message). Check that the Sentinels agree on a primary (redis-provider doctor), "
                        + "that a replica can be promoted (quorum, replica-priority), and that the deployment's failover "
                        + "(down-after-milliseconds plus the election) fits in that time.",
                    endpoint: last.endpoint, serverError: last.serverError)
            }
            do {
                let reply = try await node.send(command)
                if case .error(let e) = reply, !sentinel.retries(e) { return reply }
                outcome = .reply(reply)
                if case .error(let e) = reply { last = RedisError.server(e, endpoint: node.endpoint.description) }
            } catch {
                outcome = .transportError(error, sent: !error.commandWasNotSent)
                last = error
            }
        }
    }
}

extension SentinelWatch {
    /// Whether an error reply means a failover is under way (retry), rather than an answer:
    /// `READONLY` is the answer to a write sent to a replica on purpose (`role=replica`).
    func retries(_ error: RESPError) -> Bool {
        CommandRetryState.retries(error) && !(role == .replica && error.code == "READONLY")
    }
}
