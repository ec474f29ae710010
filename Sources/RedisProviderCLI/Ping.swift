import ArgumentParser
import Foundation
import RedisProvider

struct Ping: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check that the server answers.",
        discussion: """
            Examples:
              redis-provider ping
              redis-provider ping --url rediss://:secret@cache.example.com:6380
            """
    )

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let settings = try await connection.settings()
        let url = settings.url!
        let client = try connection.makeProvider(settings)
        let start = ContinuousClock.now
        let reply: String
        do {
            reply = try await client.ping()
        } catch {
            await client.shutdown()
            throw error
        }
        let elapsed = ContinuousClock.now - start
        var from = url.endpoints[0]
        if case .standalone(let standalone) = client.backend { from = standalone.node.endpoint }  // a Sentinel's primary
        print("\(reply) from \(from) in \(String(format: "%.2f", Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)) ms")
        await client.shutdown()
    }
}
