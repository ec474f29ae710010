import NIOCore
import RESP

/// A command that blocks its connection until data arrives or its timeout passes (BLPOP,
/// BRPOP, BLMOVE, BRPOPLPUSH, BZPOPMIN/MAX, BLMPOP, BZMPOP, XREAD/XREADGROUP with BLOCK,
/// WAIT, WAITAOF), with its timeout read from its arguments.
///
/// A retry (after a redirect or a failover) must not start the caller's wait over: the
/// command is sent again with the time that is left (``command(remaining:)``), and the
/// client waits for the reply that long plus a grace period (``replyTimeout(remaining:grace:)``).
struct BlockingCommand: Sendable {
    /// The command as the caller gave it.
    let original: RESPCommand
    /// How long the server may block; `nil` when it waits for ever (a timeout of 0).
    let timeout: Duration?
    private let argv: [ByteBuffer]
    private let timeoutIndex: Int?
    private let inMilliseconds: Bool

    init(_ command: RESPCommand) {
        original = command
        let argv = command.arguments
        self.argv = argv
        let name = String(buffer: argv[0]).uppercased()
        let index: Int?
        switch name {
        case "BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BZPOPMIN", "BZPOPMAX":
            index = argv.count - 1
            inMilliseconds = false
        case "BLMPOP", "BZMPOP":
            index = 1
            inMilliseconds = false
        case "XREAD", "XREADGROUP":
            index = Self.blockArgument(in: argv)
            inMilliseconds = true
        case "WAIT":
            index = 2
            inMilliseconds = true
        case "WAITAOF":
            index = 3
            inMilliseconds = true
        default:
            index = nil
            inMilliseconds = false
        }
        timeoutIndex = index.flatMap { argv.indices.contains($0) ? $0 : nil }
        let value = timeoutIndex.flatMap { Double(String(buffer: argv[$0])) }
        if let value, value > 0 {
            timeout = inMilliseconds ? .milliseconds(value) : .seconds(value)
        } else {
            // 0 blocks for ever; a value the server will reject gets its error reply.
            timeout = nil
        }
    }

    /// The index of the argument after `BLOCK` in an XREAD or XREADGROUP, or `nil` without one.
    static func blockArgument(in argv: [ByteBuffer]) -> Int? {
        // BLOCK comes before STREAMS; after it, arguments are keys and ids.
        for i in 1..<max(argv.count, 1) {
            let word = String(buffer: argv[i]).uppercased()
            if word == "STREAMS" { return nil }
            if word == "BLOCK", i + 1 < argv.count { return i + 1 }
        }
        return nil
    }

    /// The command to send when `remaining` is left of the caller's timeout (`nil`: the
    /// first attempt, or a command that waits for ever). The shortest wait sent is 1 ms: a
    /// timeout of 0 would mean for ever.
    func command(remaining: Duration?) -> RESPCommand {
        guard let remaining, let index = timeoutIndex, timeout != nil else { return original }
        let ms = max(remaining.milliseconds, 1)
        var argv = argv
        argv[index] = ByteBuffer(string: inMilliseconds ? String(ms) : String(Double(ms) / 1000))
        return RESPCommand(argv: argv)
    }

    /// How long to wait for the reply to a command sent with `remaining` left: the server's
    /// wait plus `grace` (the command timeout) for the reply to travel; `nil` (no limit) for a
    /// command that blocks for ever or when there is no command timeout.
    func replyTimeout(remaining: Duration?, grace: Duration?) -> Duration? {
        guard let grace, let wait = remaining ?? timeout else { return nil }
        return max(wait, .zero) + grace
    }

    /// The time left of the caller's timeout at `now` for a command first sent at `start`;
    /// `nil` for one that waits for ever.
    func remaining(since start: ContinuousClock.Instant, now: ContinuousClock.Instant) -> Duration? {
        timeout.map { $0 - (now - start) }
    }
}

extension Duration {
    /// Whole milliseconds, rounded up.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
    }
}
