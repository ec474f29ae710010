import NIOCore
import NIOPosix
import RESP
import RedisProvider

/// A scripted RESP server on a free loopback port, for what a real server cannot do:
/// malformed replies, absurd lengths, stalls, replies cut in half.
///
/// The script sees each command's argv (upper-cased name first) and returns the bytes to
/// send back, or `nil` to stay silent. `HELLO` is answered like Redis 7 unless the script
/// handles it.
public final class FakeRedisServer: Sendable {
    public typealias Script = @Sendable (_ argv: [String]) -> FakeReply

    /// What the fake server does with one command.
    public enum FakeReply: Sendable {
        /// Send these bytes.
        case bytes(String)
        /// Send nothing (a stall).
        case silence
        /// Close the connection.
        case close
        /// Behave like Redis for the handshake (HELLO, CLIENT, SELECT): the default.
        case standard
    }

    private let channel: any Channel
    public var port: Int { channel.localAddress!.port! }
    public var endpoint: RedisEndpoint { RedisEndpoint(host: "127.0.0.1", port: port) }

    private init(channel: any Channel) { self.channel = channel }

    /// Starts listening on 127.0.0.1 on a port the kernel chooses.
    public static func start(_ script: @escaping Script) async throws -> FakeRedisServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(FakeHandler(script: script))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return FakeRedisServer(channel: channel)
    }

    public func stop() async {
        try? await channel.close()
    }

    private final class FakeHandler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let script: Script
        var parser = RESPParser()
        var buffer = ByteBuffer()

        init(script: @escaping Script) { self.script = script }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var incoming = unwrapInboundIn(data)
            buffer.writeBuffer(&incoming)
            while let value = try? parser.next(from: &buffer) {
                guard case .array(let items) = value else { continue }
                var argv = items.map { $0.string ?? "" }
                if !argv.isEmpty { argv[0] = argv[0].uppercased() }
                var reply = script(argv)
                if case .standard = reply { reply = Self.standard(argv) }
                switch reply {
                case .bytes(let text):
                    context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: text)), promise: nil)
                case .silence, .standard:
                    break
                case .close:
                    context.close(promise: nil)
                    return
                }
            }
        }

        static func standard(_ argv: [String]) -> FakeReply {
            switch argv.first {
            case "HELLO": return .bytes("%1\r\n+proto\r\n:3\r\n")
            case "PING": return .bytes("+PONG\r\n")
            default: return .bytes("+OK\r\n")
            }
        }
    }
}
