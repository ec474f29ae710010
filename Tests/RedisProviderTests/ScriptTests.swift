import NIOCore
import RESP
import RedisProviderTestSupport
import Testing

@testable import RedisProvider

/// Scripts run by digest, with the whole source sent only where the server lacks it.
@Suite struct ScriptTests {
    static let incrementBy = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")

    @Test func runsByDigestAndSendsTheSourceAfterAFlush() async throws {
        try await withClient { client, _ in
            let script = Self.incrementBy
            // The digest is the server's own.
            #expect(try await client.send("SCRIPT", "LOAD", script.source, as: String.self) == script.sha1)
            #expect(try await script.run(on: client, keys: ["n"], arguments: [5], as: Int.self) == 5)
            _ = try await client.send("SCRIPT", "FLUSH")
            #expect(try await client.send("SCRIPT", "EXISTS", script.sha1, as: [Int].self) == [0])
            #expect(try await script.run(on: client, keys: ["n"], arguments: [2], as: Int.self) == 7)
            // EVAL cached it: the next run goes by digest again.
            #expect(try await client.send("SCRIPT", "EXISTS", script.sha1, as: [Int].self) == [1])
            #expect(try await script.run(on: client, keys: ["n"], arguments: [1], as: Int.self) == 8)
        }
    }

    /// In a pipeline, an EVALSHA refused with NOSCRIPT is sent again with the source after the
    /// pipeline: its result takes its place; the commands between saw the state before it.
    @Test func pipelinesSendTheSourceOfMissingScriptsAfterwards() async throws {
        try await withClient { client, _ in
            let script = Self.incrementBy
            _ = try await client.send("SCRIPT", "FLUSH")
            let results = await client.pipeline(
                [script.command(keys: ["p"], arguments: [1]), RESPCommand("GET", "p"), script.command(keys: ["p"], arguments: [10])],
                scripts: [script])
            #expect(try results[0].get() == .integer(1))
            #expect(try results[1].get() == .null)
            #expect(try results[2].get() == .integer(11))
            // Without the script among `scripts`, NOSCRIPT is the command's result.
            _ = try await client.send("SCRIPT", "FLUSH")
            let plain = await client.pipeline([script.command(keys: ["p"], arguments: [1])], scripts: [])
            guard case .failure(let error) = plain[0] else { Issue.record("EVALSHA of a flushed script succeeded"); return }
            #expect(error.serverError?.code == "NOSCRIPT")
        }
    }

    @Test func errorsOfTheScriptAreServerErrorsAndReadOnlyScriptsCannotWrite() async throws {
        try await withClient { client, _ in
            let failing = RedisScript("return redis.error_reply('MYERR the script says no')")
            let raised = await redisError { try await failing.run(on: client) }
            #expect(raised?.kind == .server)
            #expect(raised?.serverError?.code == "MYERR")
            let reader = RedisScript("return redis.call('GET', KEYS[1])", readOnly: true)
            try await client.set("r", "value")
            #expect(try await reader.run(on: client, keys: ["r"], as: String?.self) == "value")
            #expect(reader.command(keys: ["r"]).name == "EVALSHA_RO")
            let writer = RedisScript("return redis.call('SET', KEYS[1], 'x')", readOnly: true)
            let refused = await redisError { try await writer.run(on: client, keys: ["r"]) }
            #expect(refused?.kind == .server)
            #expect(try await client.get("r").text == "value")
        }
    }

    /// In a cluster a script goes to the owner of its keys; every primary learns it the first
    /// time it needs it, and `load(on:)` puts it on every node at once.
    @Test(arguments: ClusterServer.available) func clusterRoutesScriptsByKeyAndLoadsThemEverywhere(server: ClusterServer) async throws {
        try await withCluster(server) { client, cluster in
            let script = Self.incrementBy
            let keys = (0..<30).map { "script:\($0)" }  // spread over every primary
            for key in keys { #expect(try await script.run(on: client, keys: [key], arguments: [3], as: Int.self) == 3) }
            for primary in try await cluster.primaries() {
                let node = try RedisClient(url: primary.url)
                _ = try await node.send("SCRIPT", "FLUSH")
                #expect(try await node.send("SCRIPT", "EXISTS", script.sha1, as: [Int].self) == [0])
                await node.shutdown()
            }
            for key in keys { #expect(try await script.run(on: client, keys: [key], arguments: [1], as: Int.self) == 4) }
            let sum = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1]) + redis.call('INCRBY', KEYS[2], ARGV[1])")
            try await sum.load(on: client)
            for primary in try await cluster.primaries() {
                let node = try RedisClient(url: primary.url)
                #expect(try await node.send("SCRIPT", "EXISTS", sum.sha1, as: [Int].self) == [1], "\(primary.port)")
                await node.shutdown()
            }
            // Keys of one slot (a hash tag) run together; keys of two slots are refused before sending.
            #expect(try await sum.run(on: client, keys: ["{s}:a", "{s}:b"], arguments: [2], as: Int.self) == 4)
            let crossSlot = await redisError { try await sum.run(on: client, keys: ["script:0", "script:1"], arguments: [1]) }
            #expect(crossSlot?.kind == .crossSlot)
        }
    }

    static let counters = RedisFunctionLibrary(
        """
        #!lua name=counters
        redis.register_function('bump', function(keys, args) return redis.call('INCRBY', keys[1], args[1]) end)
        redis.register_function{function_name='peek', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}}
        """)

    /// A function is called by name; a server that lacks it (never loaded, flushed) gets the
    /// library loaded and the call sent again.
    @Test func functionsAreLoadedWhereMissing() async throws {
        try await withClient { client, _ in
            let library = Self.counters
            #expect(library.name == "counters")
            #expect(try await library.call("bump", keys: ["c"], arguments: [2], on: client, as: Int.self) == 2, "loaded on the miss")
            #expect(try await library.call("peek", keys: ["c"], readOnly: true, on: client, as: String.self) == "2")
            _ = try await client.send("FUNCTION", "FLUSH")
            #expect(try await library.call("bump", keys: ["c"], arguments: [3], on: client, as: Int.self) == 5)
            #expect(try await library.load(on: client) == "counters", "loading again replaces it")
            let unknown = await redisError { try await library.call("absent", on: client) }
            #expect(unknown?.kind == .server, "a function the library does not have either")
        }
    }

    /// In a cluster the library is loaded on every primary at once; a primary that lost it
    /// gets it back on the first call that reaches it.
    @Test(arguments: ClusterServer.available) func clusterLoadsFunctionsOnEveryPrimary(server: ClusterServer) async throws {
        try await withCluster(server) { client, cluster in
            let library = Self.counters
            #expect(try await library.load(on: client) == "counters")
            let primaries = try await cluster.primaries()
            for primary in primaries {
                let node = try RedisClient(url: primary.url)
                let listed = try await node.send("FUNCTION", "LIST", "LIBRARYNAME", "counters")
                #expect(listed.elements?.count == 1, "\(primary.port)")
                await node.shutdown()
            }
            let flushed = try RedisClient(url: primaries[0].url)
            _ = try await flushed.send("FUNCTION", "FLUSH")
            await flushed.shutdown()
            let keys = (0..<30).map { "fn:\($0)" }  // spread over every primary
            for key in keys { #expect(try await library.call("bump", keys: [key], arguments: [4], on: client, as: Int.self) == 4) }
            for key in keys { #expect(try await library.call("peek", keys: [key], readOnly: true, on: client, as: String.self) == "4") }
        }
    }
}
