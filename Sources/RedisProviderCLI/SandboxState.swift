import Foundation
import RedisProvider

/// What `sandbox start` started, kept in `sandbox.json` so that `status` and `stop` find it
/// (and `stop` touches nothing else).
struct SandboxState: Codable, Equatable {
    struct Node: Codable, Equatable {
        var pid: Int32
        var port: Int
        /// The cluster bus port, for a cluster node.
        var busPort: Int?
        /// The node's working directory (data, log, pid file).
        var directory: String
    }

    /// `standalone` or `cluster`.
    var mode: String
    /// The server binary that runs.
    var binary: String
    /// The URL to give clients.
    var url: String
    var nodes: [Node]
    var startedAt: Date

    var isCluster: Bool { mode == "cluster" }

    /// Where the state lives: `--state-dir`, else `$XDG_STATE_HOME/redis-provider`, else
    /// `~/.redis-provider`.
    static func directory(_ option: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let option { return URL(fileURLWithPath: option) }
        if let xdg = environment["XDG_STATE_HOME"], !xdg.isEmpty {
            return URL(fileURLWithPath: xdg).appendingPathComponent("redis-provider")
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".redis-provider")
    }

    static func file(in directory: URL) -> URL { directory.appendingPathComponent("sandbox.json") }

    /// The recorded state, `nil` when there is none.
    static func load(from directory: URL) throws(RedisError) -> SandboxState? {
        let file = file(in: directory)
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            return try decoder.decode(SandboxState.self, from: Data(contentsOf: file))
        } catch {
            throw RedisError(
                .invalidConfiguration,
                "The sandbox state file \(file.path) cannot be read (\(error)). Stop its servers by hand if any run, then delete the file.")
        }
    }

    func save(to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        try encoder.encode(self).write(to: Self.file(in: directory), options: .atomic)
    }
}
