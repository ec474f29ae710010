import RESP

/// Commands that cannot simply share the multiplexed connection, and what to do with them.
enum ConnectionTakeover: Equatable {
    /// Blocks until data arrives or its timeout passes (BLPOP, XREAD BLOCK, WAIT …): it runs
    /// on a dedicated connection of its own, leased from the node's pool.
    case blocking
    /// Changes the state of the connection it runs on (MULTI, WATCH, SELECT, CLIENT …):
    /// refused on the shared connection; a dedicated session may run it.
    case changesConnectionState(String)
    /// Turns the connection into a stream of pushes (SUBSCRIBE, MONITOR, SYNC): refused.
    case takesOver(String)
    /// Waits for the writes sent on its own connection (WAIT, WAITAOF): meaningful only in a
    /// dedicated session, after those writes.
    case waitsForOwnWrites(String)

    /// Why the shared connection cannot run `command` as it is, or `nil` when it can.
    var refusal: String? {
        switch self {
        case .blocking: return nil
        case .changesConnectionState(let reason), .takesOver(let reason), .waitsForOwnWrites(let reason): return reason
        }
    }

    /// Why a pipeline cannot carry the command: the shared connection's refusal, or for a
    /// blocking command that it would hold up the commands after it.
    func refusalInPipeline(of command: RESPCommand) -> String {
        refusal
            ?? "\(command.name) blocks; it cannot run inside a pipeline, where it would hold up the commands after it: send it on its own"
    }

    /// How `command` uses its connection; `nil` for an ordinary command (the hot path looks
    /// only at the name's length and first letter).
    static func of(_ command: RESPCommand) -> ConnectionTakeover? {
        let body = command.body
        let start = body.readerIndex
        guard body.getInteger(at: start, as: UInt8.self) == UInt8(ascii: "$"),
            let d1 = body.getInteger(at: start + 1, as: UInt8.self),
            let d2 = body.getInteger(at: start + 2, as: UInt8.self)
        else { return nil }
        let firstLetterAt: Int
        if d2 == UInt8(ascii: "\r"), (UInt8(ascii: "4")...UInt8(ascii: "9")).contains(d1) {
            firstLetterAt = start + 4
        } else if d1 == UInt8(ascii: "1"), (UInt8(ascii: "0")...UInt8(ascii: "1")).contains(d2) {
            firstLetterAt = start + 5
        } else {
            return nil
        }
        guard let first = body.getInteger(at: firstLetterAt, as: UInt8.self),
            "SPMEWDUBXCspmewdubxc".utf8.contains(first)
        else { return nil }
        let name = command.name
        switch name {
        case "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "MONITOR", "SYNC", "PSYNC":
            return .takesOver("\(name) turns the connection into a stream of pushes; it cannot run on a shared or dedicated command connection")
        case "MULTI", "EXEC", "WATCH", "DISCARD", "UNWATCH":
            return .changesConnectionState(
                "\(name) needs a connection of its own; use transaction(_:), transaction(watching:_:) or withDedicatedConnection")
        case "BLPOP", "BRPOP", "BLMOVE", "BRPOPLPUSH", "BZPOPMIN", "BZPOPMAX", "BLMPOP", "BZMPOP":
            return .blocking
        case "WAIT", "WAITAOF":
            return .waitsForOwnWrites(
                "\(name) waits for the writes sent on its own connection; send the writes and \(name) in withDedicatedConnection, e.g. session.wait(replicas:timeout:)")
        case "XREAD", "XREADGROUP":
            return BlockingCommand.blockArgument(in: command.arguments) == nil ? nil : .blocking
        case "SELECT", "CLIENT":
            if name == "CLIENT", let sub = command.arguments.dropFirst().first.map({ String(buffer: $0).uppercased() }),
                !["REPLY", "TRACKING"].contains(sub)
            {
                return nil
            }
            return .changesConnectionState(
                "\(name) changes the state of the shared connection; put the database in the URL (redis://host/2) or use withDedicatedConnection")
        default:
            return nil
        }
    }
}
