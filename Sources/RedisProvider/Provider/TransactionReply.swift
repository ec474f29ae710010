import RESP

/// Reads the replies of `MULTI`, the queued commands and `EXEC`, sent as one pipeline.
enum TransactionReply {
    /// EXEC's results, or the error that aborted the transaction.
    static func results(of replies: [RESPValue], endpoint: String?) throws(RedisError) -> [RESPValue] {
        switch replies.last {
        case .array(let results)?:
            return results
        case .null?:
            throw RedisError(.server, "The transaction was aborted because a watched key changed", endpoint: endpoint)
        case .error(let e)?:
            // EXECABORT: name the queued command that was refused, which is what to fix.
            if let refused = replies.dropFirst().dropLast().first(where: { if case .error = $0 { true } else { false } }),
                case .error(let cause) = refused
            {
                var error = RedisError.server(e, endpoint: endpoint)
                error.message += " (a queued command was refused: \(cause.message))"
                throw error
            }
            throw RedisError.server(e, endpoint: endpoint)
        default:
            throw RedisError(.protocolViolation, "EXEC returned an unexpected reply", endpoint: endpoint)
        }
    }
}
