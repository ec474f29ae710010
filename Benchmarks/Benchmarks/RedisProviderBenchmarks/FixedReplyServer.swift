import NIOCore
import NIOPosix
import Synchronization

/// An in-process RESP server on a free loopback port that answers from a fixed table and
/// allocates nothing per command, so that the allocations counted are the client's own.
///
/// It splits the bytes into commands itself (`*N`, then N `$len` arguments) without building
/// values, and answers by the command's name: `HELLO` like Redis 7 (RESP3), `GET` with
/// `$3 Bar`, `CLUSTER SHARDS` with an error (the client then asks `CLUSTER SLOTS`),
/// `CLUSTER SLOTS` with this server owning every slot, anything else `+OK`.
final class FixedReplyServer: Sendable {
    private let channel: any Channel
    var port: Int { channel.localAddress!.port! }

    private init(channel: any Channel) { self.channel = channel }

    static func start() async throws -> FixedReplyServer {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Handler())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = server.localAddress!.port!
        Handler.slots.withLock { $0 = ByteBuffer(string: "*1\r\n*3\r\n:0\r\n:16383\r\n*2\r\n$9\r\n127.0.0.1\r\n:\(port)\r\n") }
        return FixedReplyServer(channel: server)
    }

    func stop() async {
        try? await channel.close()
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        static let slots = Mutex(ByteBuffer())
        static let hello = ByteBuffer(string: "%1\r\n+proto\r\n:3\r\n")
        static let bar = ByteBuffer(string: "$3\r\nBar\r\n")
        static let ok = ByteBuffer(string: "+OK\r\n")
        static let noShards = ByteBuffer(string: "-ERR unknown subcommand 'SHARDS'\r\n")

        private var pending = ByteBuffer()
        private var out = ByteBuffer()

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var incoming = unwrapInboundIn(data)
            pending.writeBuffer(&incoming)
            while let reply = nextReply() { out.writeImmutableBuffer(reply) }
            pending.discardReadBytes()
            if out.readableBytes > 0 {
                context.writeAndFlush(wrapOutboundOut(out), promise: nil)
                out.clear()
            }
        }

        /// The reply to the next complete command in `pending`, consuming it; nil when none is complete.
        private func nextReply() -> ByteBuffer? {
            var view = pending
            guard let count = Self.number(after: UInt8(ascii: "*"), in: &view), count > 0 else { return nil }
            var name: ByteBuffer?
            var second: ByteBuffer?
            for i in 0..<count {
                guard let length = Self.number(after: UInt8(ascii: "$"), in: &view), view.readableBytes >= length + 2,
                    let argument = view.readSlice(length: length)
                else { return nil }
                view.moveReaderIndex(forwardBy: 2)
                if i == 0 { name = argument } else if i == 1 { second = argument }
            }
            pending = view
            guard let name else { return Self.ok }
            if Self.named(name, "HELLO") { return Self.hello }
            if Self.named(name, "GET") { return Self.bar }
            if Self.named(name, "CLUSTER") {
                return second.map { Self.named($0, "SHARDS") } == true ? Self.noShards : Self.slots.withLock { $0 }
            }
            return Self.ok
        }

        /// Reads `<marker><digits>\r\n`.
        private static func number(after marker: UInt8, in buffer: inout ByteBuffer) -> Int? {
            guard buffer.readInteger(as: UInt8.self) == marker else { return nil }
            var value = 0
            while let byte = buffer.readInteger(as: UInt8.self) {
                if byte == UInt8(ascii: "\r") {
                    return buffer.readInteger(as: UInt8.self) == UInt8(ascii: "\n") ? value : nil
                }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return nil
        }

        /// Whether `bytes` spell `name`, ignoring case (compared in place: no allocation).
        private static func named(_ bytes: ByteBuffer, _ name: StaticString) -> Bool {
            guard bytes.readableBytes == name.utf8CodeUnitCount else { return false }
            return name.withUTF8Buffer { expected in
                zip(bytes.readableBytesView, expected).allSatisfy { ($0 & 0xDF) == ($1 & 0xDF) }
            }
        }
    }
}
