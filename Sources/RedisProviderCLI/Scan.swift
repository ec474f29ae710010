import ArgumentParser
import Foundation
import NIOCore
import RedisProvider
import RedisProviderOperations

#if canImport(Glibc)
import Glibc
#endif

/// `redis-provider scan`: every key matching, cluster-wide, streamed to stdout.
struct Scan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List keys with SCAN (never KEYS), on every shard of a cluster, one per line.",
        discussion: """
            Keys are printed as they arrive, one per line, so the output can be piped. On a
            cluster every primary is scanned. A URL to a single node of a cluster is
            recognised (INFO cluster) and scanned cluster-wide too. The number of keys found
            goes to stderr at the end when stderr is a terminal.

            Examples:
              redis-provider scan --match 'session:*'
              redis-provider scan --type hash --count 1000 --url redis://127.0.0.1:7000
              redis-provider scan --match 'cache:*' | wc -l
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Only keys matching this glob-style pattern (SCAN MATCH).")
    var match: String?

    @Option(help: "Only keys of this type: string, list, set, zset, hash, stream (SCAN TYPE).")
    var type: String?

    @Option(help: "Keys to ask for per SCAN call, a hint to the server (SCAN COUNT).")
    var count: Int?

    func validate() throws {
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
    }

    func run() async throws {
        let settings = try await connection.settings()
        let url = settings.url!
        var client = try connection.makeProvider(settings)
        if !client.isCluster, await Self.isClusterNode(client) {
            await client.shutdown()
            ClusterOutput.progress("note: \(url.endpoints[0]) is a cluster node; scanning every shard (add ?cluster=true to the URL to say so)")
            client = try connection.makeProvider(settings, cluster: true)
        }
        var found = 0
        var pending = Data()
        do {
            for try await key in client.scanKeys(match: match, count: count, type: type) {
                pending.append(contentsOf: key.readableBytesView)
                pending.append(0x0A)
                found += 1
                // Stream: flush whenever a page's worth has gathered.
                if pending.count >= 16_384 {
                    FileHandle.standardOutput.write(pending)
                    pending.removeAll(keepingCapacity: true)
                }
            }
        } catch {
            FileHandle.standardOutput.write(pending)
            await client.shutdown()
            throw error
        }
        FileHandle.standardOutput.write(pending)
        await client.shutdown()
        if isatty(STDERR_FILENO) == 1 { ClusterOutput.progress("\(found) key\(found == 1 ? "" : "s")") }
    }

    /// `true` when the server runs with cluster support (`INFO cluster` says cluster_enabled:1).
    static func isClusterNode(_ client: any RedisCommandExecutor) async -> Bool {
        guard let info = try? await client.send("INFO", "cluster").string else { return false }
        return InfoFields.parse(info)["cluster_enabled"] == "1"
    }
}
