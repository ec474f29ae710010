import ArgumentParser
import Dispatch
import Foundation
import NIOCore
import RESP
import RedisProvider
import RedisProviderOperations

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `subscribe`, `psubscribe` and `ssubscribe`: print messages as redis-cli does until Ctrl-C.
struct SubscribeOptions: ParsableArguments {
    @OptionGroup var connection: ConnectionOptions

    @Flag(name: .long, help: "Print as redis-cli --raw does.")
    var raw = false

    @Option(name: .long, help: "Exit after this many messages (default: run until Ctrl-C).")
    var count: Int?

    @Option(name: .long, help: "Subscribers in this process sharing the server subscription; all but the first read without printing (fan-out measurements).")
    var subscribers = 1

    @Option(name: .long, help: "Messages each subscriber may have waiting before the oldest is dropped.")
    var buffer = 1024

    /// Subscribes to `names`, prints the confirmations and then every message in redis-cli's
    /// layout; a gap (the subscription was re-established) is noted on standard error. Ctrl-C
    /// (or SIGTERM) ends it cleanly with status 0.
    func run(_ kind: RedisSubscriptionKind, _ names: [String]) async throws {
        let settings = try await connection.settings()
        let provider = try connection.makeProvider(settings, subscriptionBufferSize: buffer)
        let subscription = provider.subscribe(kind, to: names)
        let silent = (1..<max(1, subscribers)).map { _ in provider.subscribe(kind, to: names) }
        let (raw, limit) = (raw, count)
        let work = Task {
            for other in silent { try await other.activate() }
            try await subscription.activate()
            let out = FileHandle.standardOutput
            if !raw { out.write(Data("Reading messages... (press Ctrl-C to quit)\n".utf8)) }
            let word = ["channel": "subscribe", "pattern": "psubscribe", "shardChannel": "ssubscribe"][kind.rawValue]!
            for (i, name) in names.enumerated() {
                let confirmation = RESPValue.array([
                    .bulkString(ByteBuffer(string: word)), .bulkString(ByteBuffer(string: name)), .integer(Int64(i + 1)),
                ])
                out.write(Data(RedisCLIFormat.formatBytes(confirmation, raw: raw)))
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for other in silent {
                    group.addTask {
                        var received = 0
                        while try await other.next() != nil {
                            received += 1
                            if let limit, received >= limit { return }
                        }
                    }
                }
                try await Self.print(subscription, kind, raw: raw, limit: limit)
                try await group.waitForAll()
            }
        }
        // Installed before anything is subscribed, so that an early Ctrl-C ends cleanly too.
        let stop = Self.onInterrupt { work.cancel() }
        defer { stop() }
        let outcome = await work.result
        subscription.cancel()
        for other in silent { other.cancel() }
        await provider.shutdown()
        if case .failure(let error) = outcome, (error as? RedisError)?.kind != .cancelled { throw error }
    }

    /// Prints `subscription`'s messages until `limit` (or its end).
    static func print(_ subscription: RedisSubscription, _ kind: RedisSubscriptionKind, raw: Bool, limit: Int?) async throws {
        let out = FileHandle.standardOutput
        var received = 0
        while let message = try await subscription.next() {
            if message.gapBefore {
                FileHandle.standardError.write(
                    Data("(messages may have been lost here: the subscription was re-established, or this reader fell behind)\n".utf8))
            }
            out.write(Data(RedisCLIFormat.formatBytes(Self.reply(kind, message), raw: raw)))
            received += 1
            if let limit, received >= limit { return }
        }
    }

    /// A message as redis-cli shows it: `message`, `pmessage` (with the pattern) or `smessage`.
    static func reply(_ kind: RedisSubscriptionKind, _ message: RedisPubSubMessage) -> RESPValue {
        let channel = RESPValue.bulkString(ByteBuffer(string: message.channel))
        switch kind {
        case .channel: return .array([.bulkString(ByteBuffer(string: "message")), channel, .bulkString(message.payload)])
        case .shardChannel: return .array([.bulkString(ByteBuffer(string: "smessage")), channel, .bulkString(message.payload)])
        case .pattern:
            return .array([
                .bulkString(ByteBuffer(string: "pmessage")), .bulkString(ByteBuffer(string: message.pattern ?? "")), channel,
                .bulkString(message.payload),
            ])
        }
    }

    /// Runs `handler` on SIGINT or SIGTERM instead of dying; returns what undoes it.
    static func onInterrupt(_ handler: @escaping @Sendable () -> Void) -> () -> Void {
        let sources = [SIGINT, SIGTERM].map { sig -> any DispatchSourceSignal in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler(handler: handler)
            source.resume()
            return source
        }
        return {
            for source in sources { source.cancel() }
        }
    }
}

struct Subscribe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print messages published to channels, as redis-cli SUBSCRIBE does, until Ctrl-C.",
        discussion: """
            Reconnects and subscribes again by itself when the connection is lost; a gap is
            noted on standard error. Publish with: redis-provider call PUBLISH channel message

            Examples:
              redis-provider subscribe chat:room1 chat:room2
              redis-provider subscribe --count 1 --raw jobs
            """)

    @OptionGroup var options: SubscribeOptions
    @Argument(help: "Channels.") var channels: [String]

    func run() async throws { try await options.run(.channel, channels) }
}

struct PSubscribe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "psubscribe",
        abstract: "Print messages of channels matching glob-style patterns, as redis-cli PSUBSCRIBE does.",
        discussion: """
            Examples:
              redis-provider psubscribe 'events:*'
              redis-provider psubscribe '__keyevent@0__:expired'
            """)

    @OptionGroup var options: SubscribeOptions
    @Argument(help: "Patterns.") var patterns: [String]

    func run() async throws { try await options.run(.pattern, patterns) }
}

struct SSubscribe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ssubscribe",
        abstract: "Print messages of sharded channels (Redis 7+), as redis-cli SSUBSCRIBE does; in a cluster each on its slot's primary.",
        discussion: """
            Publish with: redis-provider call SPUBLISH channel message

            Examples:
              redis-provider ssubscribe '{room1}:chat'
            """)

    @OptionGroup var options: SubscribeOptions
    @Argument(help: "Sharded channels.") var channels: [String]

    func run() async throws { try await options.run(.shardChannel, channels) }
}
