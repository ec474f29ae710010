import Foundation
import NIOCore
import Testing

@testable import RedisProvider

/// One command line and the argv indices of its keys.
struct CommandKeySample: Sendable, CustomTestStringConvertible {
    let argv: [String]
    let expected: [Int]
    init(_ argv: [String], _ expected: [Int]) {
        self.argv = argv
        self.expected = expected
    }
    var testDescription: String { argv.map { $0.isEmpty ? "\"\"" : $0 }.joined(separator: " ") }
}

/// Key indices for argv, through the public lookup; [] for unknown commands.
private func keys(_ argv: [String]) -> [Int] {
    let buffers = argv.map { ByteBuffer(string: $0) }
    return RedisCommandTable.metadata(for: buffers)?.keyIndices(in: buffers) ?? []
}

private func command(_ name: String, _ subcommand: String? = nil) throws -> RedisCommandMetadata {
    try #require(RedisCommandTable.metadata(named: name, subcommand: subcommand))
}

@Suite("Command metadata")
struct CommandMetadataTests {
    /// Verified against `COMMAND GETKEYS` of Valkey 9.1.2 and Redis 7.0.15 by
    /// `scripts/check-command-keys.py` (run by `scripts/capture-command-metadata.sh`); the two
    /// tables must stay in step. A server error (unknown command, wrong arity, bad numkeys)
    /// counts as no keys. Where Redis 7.0 answers differently the comment says so.
    static let serverVerifiedSamples: [CommandKeySample] = [
        CommandKeySample(["GET", "k1"], [1]),
        CommandKeySample(["get", "k1"], [1]),
        CommandKeySample(["SET", "k1", "v"], [1]),
        CommandKeySample(["SET", "k1", "v", "NX", "GET", "EX", "10"], [1]),
        CommandKeySample(["MGET", "k1", "k2", "k3"], [1, 2, 3]),
        CommandKeySample(["MSET", "k1", "v1", "k2", "v2"], [1, 3]),
        CommandKeySample(["MSET", "k1", "v1", "k2"], [1, 3]),
        CommandKeySample(["MSETNX", "k1", "v1", "k2", "v2"], [1, 3]),
        CommandKeySample(["DEL", "k1", "k2", "k3"], [1, 2, 3]),
        CommandKeySample(["UNLINK", "k1"], [1]),
        CommandKeySample(["EXISTS", "k1", "k2"], [1, 2]),
        CommandKeySample(["RENAME", "k1", "k2"], [1, 2]),
        CommandKeySample(["COPY", "k1", "k2", "REPLACE"], [1, 2]),
        CommandKeySample(["LMOVE", "k1", "k2", "LEFT", "RIGHT"], [1, 2]),
        CommandKeySample(["BLPOP", "k1", "k2", "0"], [1, 2]),
        CommandKeySample(["BRPOPLPUSH", "k1", "k2", "0"], [1, 2]),
        CommandKeySample(["BITOP", "AND", "dst", "k1", "k2"], [2, 3, 4]),
        CommandKeySample(["PFMERGE", "dst", "k1", "k2"], [1, 2, 3]),
        CommandKeySample(["WATCH", "k1", "k2"], [1, 2]),
        CommandKeySample(["EVAL", "return 1", "2", "k1", "k2", "arg"], [3, 4]),
        CommandKeySample(["EVAL", "return 1", "0", "arg"], []),
        CommandKeySample(["EVALSHA", "0123456789abcdef0123456789abcdef01234567", "1", "k1", "arg"], [3]),
        CommandKeySample(["EVAL_RO", "return 1", "1", "k1"], [3]),
        CommandKeySample(["FCALL", "fn", "2", "k1", "k2", "arg"], [3, 4]),
        CommandKeySample(["FCALL_RO", "fn", "1", "k1"], [3]),
        CommandKeySample(["ZUNIONSTORE", "dst", "2", "k1", "k2", "WEIGHTS", "1", "2"], [1, 3, 4]),
        CommandKeySample(["ZINTERSTORE", "dst", "1", "k1"], [1, 3]),
        CommandKeySample(["ZUNION", "2", "k1", "k2", "WITHSCORES"], [2, 3]),
        CommandKeySample(["ZDIFFSTORE", "dst", "2", "k1", "k2"], [1, 3, 4]),
        CommandKeySample(["SINTERCARD", "2", "k1", "k2", "LIMIT", "1"], [2, 3]),
        CommandKeySample(["XREAD", "COUNT", "2", "STREAMS", "s1", "s2", "0", "0"], [4, 5]),
        CommandKeySample(["XREAD", "BLOCK", "0", "STREAMS", "s1", "$"], [4]),
        CommandKeySample(["xread", "streams", "s1", "0"], [2]),
        CommandKeySample(["XREAD", "STREAMS", "s1", "s2", "s3"], [2]),
        CommandKeySample(["XREADGROUP", "GROUP", "streams", "c", "STREAMS", "s1", "0"], [5]),
        CommandKeySample(["XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "s1", "s2", ">", ">"], [7, 8]),
        CommandKeySample(["MIGRATE", "127.0.0.1", "6379", "k1", "0", "5000"], [3]),
        CommandKeySample(["MIGRATE", "127.0.0.1", "6379", "", "0", "5000", "KEYS", "k1", "k2"], [7, 8]),
        CommandKeySample(["MIGRATE", "127.0.0.1", "6379", "", "0", "5000", "COPY", "REPLACE", "AUTH", "pw", "KEYS", "k1", "k2"], [11, 12]),
        CommandKeySample(["MIGRATE", "127.0.0.1", "6379", "", "0", "5000", "AUTH2", "user", "keys", "KEYS", "k1"], [10]),
        CommandKeySample(["MIGRATE", "127.0.0.1", "6379", "", "0", "5000", "KEYS"], [3]),
        CommandKeySample(["MIGRATE", "127.0.0.1", "6379", "k1", "0", "5000", "REPLACE", "KEYS"], [3]),
        CommandKeySample(["SORT", "k1"], [1]),
        CommandKeySample(["SORT", "k1", "STORE", "dst"], [1, 3]),
        CommandKeySample(["SORT", "k1", "BY", "w_*", "GET", "o_*", "LIMIT", "0", "10", "ALPHA", "STORE", "dst"], [1, 11]),
        CommandKeySample(["SORT", "k1", "GET", "store", "STORE", "dst"], [1, 5]),
        CommandKeySample(["SORT_RO", "k1", "BY", "w_*"], [1]),
        CommandKeySample(["LMPOP", "2", "k1", "k2", "LEFT", "COUNT", "1"], [2, 3]),
        CommandKeySample(["BLMPOP", "0", "2", "k1", "k2", "LEFT"], [3, 4]),
        CommandKeySample(["ZMPOP", "1", "k1", "MIN"], [2]),
        CommandKeySample(["BZMPOP", "0", "2", "k1", "k2", "MAX"], [3, 4]),
        CommandKeySample(["GEORADIUS", "k1", "15", "37", "200", "km", "WITHDIST"], [1]),
        CommandKeySample(["GEORADIUS", "k1", "15", "37", "200", "km", "STORE", "dst"], [1, 7]),
        CommandKeySample(["GEORADIUS", "k1", "15", "37", "200", "km", "COUNT", "5", "STOREDIST", "dst"], [1, 9]),
        CommandKeySample(["GEORADIUS", "k1", "15", "37", "200", "km", "STORE", "d1", "STOREDIST", "d2"], [1, 9]),  // Redis 7.0.15 GETKEYS: [1, 7, 9]
        CommandKeySample(["GEORADIUSBYMEMBER", "k1", "m", "200", "km", "STORE", "dst"], [1, 6]),
        CommandKeySample(["GEORADIUS_RO", "k1", "15", "37", "200", "km"], [1]),
        CommandKeySample(["GEOSEARCHSTORE", "dst", "src", "FROMMEMBER", "m", "BYRADIUS", "1", "km"], [1, 2]),
        CommandKeySample(["OBJECT", "ENCODING", "k1"], [2]),
        CommandKeySample(["object", "freq", "k1"], [2]),
        CommandKeySample(["XINFO", "STREAM", "s1", "FULL"], [2]),
        CommandKeySample(["XINFO", "GROUPS", "s1"], [2]),
        CommandKeySample(["XINFO", "CONSUMERS", "s1", "g"], [2]),
        CommandKeySample(["XGROUP", "CREATE", "s1", "g", "$", "MKSTREAM"], [2]),
        CommandKeySample(["MEMORY", "USAGE", "k1", "SAMPLES", "5"], [2]),
        CommandKeySample(["XADD", "s1", "*", "f", "v"], [1]),
        CommandKeySample(["BITFIELD", "k1", "GET", "u8", "0"], [1]),
        CommandKeySample(["CONFIG", "GET", "maxmemory"], []),
        CommandKeySample(["OBJECT", "HELP"], []),
        CommandKeySample(["PING"], []),
        CommandKeySample(["KEYS", "*"], []),
        CommandKeySample(["DBSIZE"], []),
        CommandKeySample(["SCRIPT", "LOAD", "return 1"], []),
        CommandKeySample(["PUBLISH", "ch", "msg"], []),
        CommandKeySample(["SPUBLISH", "ch", "msg"], []),
        CommandKeySample(["NOSUCHCOMMAND", "k1"], []),
        CommandKeySample(["HGETEX", "k1", "EX", "10", "FIELDS", "1", "f"], [1]),  // Redis 7.0.15 GETKEYS: []
        CommandKeySample(["HEXPIRE", "k1", "10", "FIELDS", "1", "f"], [1]),  // Redis 7.0.15 GETKEYS: []
        CommandKeySample(["DELIFEQ", "k1", "v"], [1]),  // Redis 7.0.15 GETKEYS: []
        CommandKeySample(["MSETEX", "2", "k1", "v1", "k2", "v2", "EX", "10"], [2, 4]),  // Redis 7.0.15 GETKEYS: []
        CommandKeySample(["GET"], []),
        CommandKeySample(["EVAL", "return 1", "5", "k1"], []),
        CommandKeySample(["EVAL", "return 1", "notanumber", "k1"], []),
        CommandKeySample(["EVAL", "return 1", "-1", "k1"], []),
        CommandKeySample(["LMPOP", "99999999999999999999", "k1", "LEFT"], []),
        CommandKeySample(["XREAD", "STREAMS"], []),
        CommandKeySample(["XREAD", "COUNT", "1", "s1", "0"], []),
    ]

    @Test("key indices match COMMAND GETKEYS", arguments: serverVerifiedSamples)
    func keyIndicesMatchServer(sample: CommandKeySample) {
        #expect(keys(sample.argv) == sample.expected)
    }

    // MARK: Malformed and short command lines

    @Test("malformed or short argv never traps and returns what can be found")
    func malformedArgv() throws {
        // Specs that do not fit argv are skipped; the others still give their keys (the
        // servers' GET_KEYSPEC_RETURN_PARTIAL). COMMAND GETKEYS answers an error for these.
        #expect(keys(["ZUNIONSTORE", "dst", "5", "k1"]) == [1])
        #expect(keys(["ZUNIONSTORE", "dst"]) == [1])
        #expect(keys(["ZUNIONSTORE"]) == [])
        #expect(keys(["EVAL"]) == [])
        #expect(keys(["EVAL", "s"]) == [])
        #expect(keys(["EVAL", "s", "9223372036854775807", "k1"]) == [])
        #expect(keys(["EVAL", "s", "-9223372036854775808", "k1"]) == [])
        #expect(keys(["EVAL", "s", "01", "k1"]) == [])
        #expect(keys(["EVAL", "s", "+1", "k1"]) == [])
        #expect(keys(["EVAL", "s", "", "k1"]) == [])
        #expect(keys(["FCALL", "f", "1"]) == [])
        #expect(keys(["MSETEX", "3", "k1", "v1"]) == [])
        #expect(keys(["XREAD", "STREAMS", "s1"]) == [])
        #expect(keys(["XREAD", "COUNT", "1", "STREAMS"]) == [])
        #expect(keys(["XREADGROUP", "GROUP", "g", "c", "STREAMS"]) == [])
        #expect(keys(["MIGRATE"]) == [])
        #expect(keys(["MIGRATE", "h", "p"]) == [])
        #expect(keys(["MIGRATE", "h", "p", "k1"]) == [3])
        #expect(keys(["MIGRATE", "h", "p", "k1", "0", "5000", "KEYS", "k2"]) == [])  // a key and KEYS
        // KEYS as the last argument is outside the spec's search range, so the servers keep
        // the spec's argv[3] (COMMAND GETKEYS answers the empty key).
        #expect(keys(["MIGRATE", "h", "p", "", "0", "5000", "KEYS"]) == [3])
        #expect(keys(["MIGRATE", "h", "p", "", "0", "5000", "KEYS", "k1"]) == [7])
        #expect(keys(["MIGRATE", "h", "p", "", "0", "5000", "AUTH2"]) == [3])
        #expect(keys(["SORT"]) == [])
        #expect(keys(["SORT", "k1", "STORE"]) == [1])
        #expect(keys(["SORT", "k1", "LIMIT"]) == [1])
        #expect(keys(["SORT_RO"]) == [])
        #expect(keys(["GEORADIUS"]) == [])
        #expect(keys(["GEORADIUS", "k1", "0", "0", "1", "km", "STORE"]) == [1])
        #expect(keys(["GET"]) == [])
        #expect(keys(["MSET", "k1"]) == [1])
        #expect(keys(["OBJECT"]) == [])
        #expect(keys(["OBJECT", "ENCODING"]) == [])
        #expect(keys(["MEMORY", "USAGE"]) == [])
        #expect(keys(["XINFO", "STREAM"]) == [])
    }

    @Test("empty argv, unknown commands and unknown subcommands give nil")
    func unknownCommands() {
        #expect(RedisCommandTable.metadata(for: []) == nil)
        #expect(RedisCommandTable.metadata(for: [ByteBuffer()]) == nil)
        #expect(RedisCommandTable.metadata(for: [ByteBuffer(string: "NOSUCHCOMMAND"), ByteBuffer(string: "k")]) == nil)
        #expect(RedisCommandTable.metadata(for: [ByteBuffer(string: "CONFIG"), ByteBuffer(string: "NOPE")]) == nil)
        #expect(RedisCommandTable.metadata(for: [ByteBuffer(string: "GËT")]) == nil)
        #expect(RedisCommandTable.metadata(for: [ByteBuffer(bytes: [0xFF, 0x00, 0x47])]) == nil)
        #expect(RedisCommandTable.metadata(for: [ByteBuffer(repeating: UInt8(ascii: "a"), count: 100_000)]) == nil)
        #expect(RedisCommandTable.metadata(named: "nosuchcommand") == nil)
        #expect(RedisCommandTable.metadata(named: "config", subcommand: "nope") == nil)
        #expect(RedisCommandTable.metadata(named: "get|x") == nil)
    }

    // MARK: Lookup

    @Test("lookup is case-insensitive and selects subcommands from argv[1]")
    func lookup() throws {
        let argv = ["cOnFiG", "gEt", "maxmemory"].map { ByteBuffer(string: $0) }
        let configGet = try #require(RedisCommandTable.metadata(for: argv))
        #expect(configGet.name == "config|get")
        #expect(configGet.keyIndices(in: argv) == [])
        #expect(try command("CONFIG", "GET").name == "config|get")
        #expect(try command("Config|Get").name == "config|get")
        #expect(try command("object", "ENCODING").name == "object|encoding")
        #expect(try command("xinfo|stream").name == "xinfo|stream")
        #expect(try command("CLUSTER", "count-failure-reports").name == "cluster|count-failure-reports")

        // A container without a subcommand is the container itself.
        let config = try #require(RedisCommandTable.metadata(for: [ByteBuffer(string: "CONFIG")]))
        #expect(config.name == "config")
        #expect(config.isContainer)
        #expect(config.subcommands.contains { $0.name == "config|set" })
        #expect(config.subcommand(named: "RESETSTAT")?.name == "config|resetstat")

        // The longest names the servers have.
        let geo = ["GEORADIUSBYMEMBER_RO", "k", "m", "1", "km"].map { ByteBuffer(string: $0) }
        #expect(RedisCommandTable.metadata(for: geo)?.name == "georadiusbymember_ro")
        let reports = ["CLUSTER", "Count-Failure-Reports", "node"].map { ByteBuffer(string: $0) }
        #expect(RedisCommandTable.metadata(for: reports)?.name == "cluster|count-failure-reports")
        #expect(RedisCommandTable.metadata(for: [ByteBuffer(string: "GEORADIUSBYMEMBER_ROXXXXXXXXX")]) == nil)
        #expect(RedisCommandTable.metadata(for: [ByteBuffer(string: "GET\0")]) == nil)
        #expect(RedisCommandTable.metadata(for: [ByteBuffer(string: "GE")]) == nil)
        #expect(try command("GET").subcommand(named: "x") == nil)

        // argv[1] of a command that is not a container is an argument.
        #expect(RedisCommandTable.metadata(for: ["GET", "config"].map { ByteBuffer(string: $0) })?.name == "get")
        // Slices of a larger buffer work as well.
        var big = ByteBuffer(string: "xxGETyy")
        big.moveReaderIndex(forwardBy: 2)
        let name = try #require(big.getSlice(at: big.readerIndex, length: 3))
        #expect(RedisCommandTable.metadata(for: [name])?.name == "get")
    }

    @Test("the table holds the union of both servers' commands")
    func tableContents() throws {
        #expect(RedisCommandTable.sources.first?.hasPrefix("valkey 9.1") == true)
        #expect(RedisCommandTable.sources.contains { $0.hasPrefix("redis 7.0") })
        let all = RedisCommandTable.allCommands
        #expect(all.count >= 257)
        #expect(Set(all.map(\.name)).count == all.count)
        #expect(all.map(\.name) == all.map(\.name).sorted())
        var subcommandCount = 0
        for c in all {
            #expect(c.name == c.name.lowercased())
            #expect(!c.name.contains("|"))
            #expect(c.arity != 0)
            #expect(RedisCommandTable.metadata(named: c.name)?.name == c.name)
            for s in c.subcommands {
                subcommandCount += 1
                #expect(s.name.hasPrefix(c.name + "|"))
                #expect(RedisCommandTable.metadata(named: s.name)?.name == s.name)
                #expect(!s.isContainer)
            }
        }
        #expect(subcommandCount >= 142)
        // Commands only Valkey knows, and commands both know.
        #expect(try command("HGETEX").servers == [.valkey])
        #expect(try command("CLIENT", "CAPA").servers == [.valkey])
        #expect(try command("GET").servers == [.redis, .valkey])
        #expect(try command("OBJECT", "ENCODING").servers == [.redis, .valkey])
    }

    // MARK: Flags, tips and docs

    @Test("command flags")
    func flags() throws {
        let get = try command("GET")
        #expect(get.flags.contains(.readonly))
        #expect(get.flags.contains(.fast))
        #expect(!get.flags.contains(.write))
        #expect(get.arity == 2)
        #expect(get.aclCategories == [.read, .string, .fast])
        #expect(get.group == "string")
        #expect(get.summary?.isEmpty == false)
        #expect(get.keySpecs.count == 1)
        #expect(get.keySpecs[0].flags == [.ro, .access])
        #expect(get.firstKey == 1 && get.lastKey == 1 && get.keyStep == 1)

        let set = try command("SET")
        #expect(set.flags.contains(.write))
        #expect(set.flags.contains(.denyoom))
        #expect(set.arity == -3)
        #expect(set.keySpecs[0].flags.contains(.variableFlags))

        #expect(try command("BLPOP").flags.contains(.blocking))
        #expect(try command("BLMPOP").flags.isSuperset(of: [.blocking, .movablekeys]))
        #expect(try command("XREAD").flags.isSuperset(of: [.readonly, .blocking, .movablekeys]))
        #expect(try command("EVAL").flags.isSuperset(of: [.noscript, .movablekeys, .noMandatoryKeys]))
        #expect(try command("SUBSCRIBE").flags.contains(.pubsub))
        #expect(try command("MULTI").flags.contains(.noMulti))  // Valkey 9.1 (Redis 7.0 lacks it)
        #expect(try command("EXEC").flags.contains(.skipCommandlog))
        #expect(try command("AUTH").flags.contains(.noAuth))
        #expect(try command("FLUSHALL").flags.contains(.write))
        #expect(try command("CONFIG", "SET").flags.contains(.admin))
        #expect(try command("ZADD").group == "sorted-set")
        #expect(try command("OBJECT", "ENCODING").group == "generic")
        #expect(try command("CONFIG", "GET").group == "server")
        #expect(try command("SLAVEOF").deprecatedSince == "5.0.0")
        #expect(try command("GET").deprecatedSince == nil)
        #expect(try command("GET").flags.description == "[readonly, fast]")
    }

    @Test("cluster tips: request and response policies")
    func tips() throws {
        let keys = try command("KEYS")
        #expect(keys.requestPolicy == .allShards)
        #expect(keys.responsePolicy == nil)
        #expect(keys.nondeterministicOutputOrder)
        #expect(!keys.hasKeys)

        let dbsize = try command("DBSIZE")
        #expect(dbsize.requestPolicy == .allShards)
        #expect(dbsize.responsePolicy == .aggSum)

        let mget = try command("MGET")
        #expect(mget.requestPolicy == .multiShard)
        let del = try command("DEL")
        #expect(del.requestPolicy == .multiShard)
        #expect(del.responsePolicy == .aggSum)
        let mset = try command("MSET")
        #expect(mset.requestPolicy == .multiShard)
        #expect(mset.responsePolicy == .allSucceeded)
        // MSETNX is atomic: Valkey 9.1 dropped the multi_shard tip Redis 7.0 reports.
        #expect(try command("MSETNX").requestPolicy == nil)

        #expect(try command("FLUSHALL").requestPolicy == .allShards)
        #expect(try command("FLUSHALL").responsePolicy == .allSucceeded)
        #expect(try command("SCRIPT", "LOAD").requestPolicy == .allNodes)
        #expect(try command("SCRIPT", "EXISTS").responsePolicy == .aggLogicalAnd)
        #expect(try command("SCAN").requestPolicy == .special)
        #expect(try command("RANDOMKEY").nondeterministicOutput)
        #expect(try command("PING").requestPolicy == .allShards)
        #expect(try command("PING").responsePolicy == .allSucceeded)
        #expect(try command("WAITAOF").responsePolicy == .aggMin)
        #expect(try command("GET").requestPolicy == nil)
        #expect(try command("GET").hasKeys)
    }

    @Test("key specs as the servers describe them")
    func keySpecs() throws {
        let xread = try command("XREAD")
        #expect(xread.keySpecs == [
            RedisKeySpec(
                beginSearch: .keyword("STREAMS", startFrom: 1),
                findKeys: .range(lastKey: -1, keyStep: 1, limit: 2),
                flags: [.ro, .access]),
        ])
        let eval = try command("EVAL")
        #expect(eval.keySpecs.map(\.findKeys) == [.keynum(keyNumIndex: 0, firstKey: 1, keyStep: 1)])
        #expect(eval.keySpecs.map(\.beginSearch) == [.index(2)])
        let migrate = try command("MIGRATE")
        #expect(migrate.keySpecs.contains { $0.flags.contains(.incomplete) })
        #expect(migrate.keySpecs.contains { $0.beginSearch == .keyword("KEYS", startFrom: -2) })
        #expect(try command("SORT").keySpecs.contains { $0.beginSearch == .unknown })
    }

    @Test("shard channels are not keys, but can be asked for")
    func notKeys() throws {
        let argv = ["SPUBLISH", "ch", "msg"].map { ByteBuffer(string: $0) }
        let spublish = try #require(RedisCommandTable.metadata(for: argv))
        #expect(spublish.keyIndices(in: argv) == [])
        #expect(spublish.keyIndices(in: argv, includingNotKeys: true) == [1])
        let subscribe = ["SSUBSCRIBE", "a", "b"].map { ByteBuffer(string: $0) }
        #expect(try command("SSUBSCRIBE").keyIndices(in: subscribe, includingNotKeys: true) == [1, 2])
        #expect(!spublish.hasKeys)
    }

    // MARK: Whole-table checks

    /// Every command without movable keys: its key specs give the same positions as the
    /// legacy first/last/step the server reports beside them (two views of the same data).
    @Test("key specs agree with the legacy first/last/step ranges")
    func specsAgreeWithLegacyRanges() {
        var checked = 0
        for c in RedisCommandTable.allCommands.flatMap({ [$0] + $0.subcommands }) {
            guard c.firstKey > 0, !c.flags.contains(.movablekeys) else { continue }
            for argc in [abs(c.arity), abs(c.arity) + 1, abs(c.arity) + 4] where c.acceptsArgumentCount(argc) {
                let argv = (0..<argc).map { ByteBuffer(string: $0 == 0 ? c.name : "a\($0)") }
                let last = c.lastKey < 0 ? argc + c.lastKey : c.lastKey
                let legacy = Array(stride(from: c.firstKey, through: last, by: c.keyStep))
                #expect(c.keyIndices(in: argv, includingNotKeys: true) == legacy, "\(c.name) argc \(argc)")
                checked += 1
            }
        }
        #expect(checked > 150)
    }

    /// The router's fast path reads only `singleKeyIndex`: for every command that has one,
    /// the full key-spec walk must find that one position and nothing else, at every
    /// argument count that reaches it; the commands routed most (GET, SET, HSET) have one,
    /// and commands whose keys vary (MGET, EVAL, XREAD) do not.
    @Test("a single key index agrees with the key specs wherever it is set")
    func singleKeyIndexAgreesWithKeySpecs() throws {
        var checked = 0
        for c in RedisCommandTable.allCommands.flatMap({ [$0] + $0.subcommands }) {
            guard let index = c.singleKeyIndex else { continue }
            for argc in (index + 1)...(index + 6) {
                let argv = (0..<argc).map { ByteBuffer(string: $0 == 0 ? c.name : "a\($0)") }
                #expect(c.keyIndices(in: argv, includingNotKeys: true) == [index], "\(c.name) argc \(argc)")
                checked += 1
            }
        }
        #expect(checked > 600)
        for name in ["get", "set", "hset", "incr", "lpush", "zadd", "expire", "spublish"] {
            #expect(try command(name).singleKeyIndex == 1, "\(name)")
        }
        for name in ["mget", "mset", "del", "eval", "xread", "ping", "config", "sort", "georadius"] {
            #expect(try command(name).singleKeyIndex == nil, "\(name)")
        }
    }

    /// Argument lists of every shape for every command, including keywords, numbers and
    /// empty strings in odd places: no trap, every index inside argv, no index twice.
    @Test("every command survives arbitrary argv")
    func fuzzEveryCommand() {
        let words = ["0", "1", "2", "3", "-1", "-2", "99", "9999999999999999999999", "", "x",
                     "STORE", "STOREDIST", "KEYS", "STREAMS", "LIMIT", "GET", "BY", "AUTH", "AUTH2",
                     "COPY", "REPLACE", "FIELDS", "NUMKEYS", "store", "keys", "streams"]
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Int {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Int(truncatingIfNeeded: seed >> 33)
        }
        for c in RedisCommandTable.allCommands.flatMap({ [$0] + $0.subcommands }) {
            let parts = c.name.split(separator: "|").map(String.init)
            for argc in 0..<12 {
                for _ in 0..<6 {
                    var args = parts.map { ByteBuffer(string: $0.uppercased()) }
                    while args.count < argc { args.append(ByteBuffer(string: words[next() % words.count])) }
                    let indices = c.keyIndices(in: args, includingNotKeys: true)
                    #expect(indices.allSatisfy { $0 >= 1 && $0 < args.count }, "\(c.name) \(args.count)")
                    #expect(Set(indices).count == indices.count, "\(c.name)")
                }
            }
        }
    }

    // MARK: The generated table against the captured data

    /// Reads `Data/commands/*.json` (the servers' own replies) and checks the generated table
    /// against it: every command of every server is in the table; where a server describes a
    /// command (it is the first of ``RedisCommandTable/sources`` that knows it), every field
    /// matches; where another server describes it, the key specs still find the same positions.
    @Test("the generated table matches Data/commands")
    func tableMatchesCapturedData() throws {
        let dataDirectory = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Data/commands")
        let files = try FileManager.default.contentsOfDirectory(atPath: dataDirectory.path)
            .filter { $0.hasSuffix(".json") && ($0.hasPrefix("redis-") || $0.hasPrefix("valkey-")) }
        #expect(files.count == RedisCommandTable.sources.count)
        var checkedFully = 0
        for file in files {
            let data = try Data(contentsOf: dataDirectory.appendingPathComponent(file))
            let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            let server = try #require(root["server"] as? String)
            let version = try #require(root["version"] as? String)
            let source = "\(server) \(version)"
            #expect(RedisCommandTable.sources.contains(source))
            let docs = root["command_docs"] as? [String: Any] ?? [:]
            let kind: RedisServerKinds = server == "valkey" ? .valkey : .redis
            for entry in try #require(root["command_info"] as? [[String: Any]]) {
                let subcommands = entry["subcommands"] as? [[String: Any]] ?? []
                let name = entry["name"] as? String ?? ""
                let commandDocs = docs[name] as? [String: Any]
                let subcommandDocs = commandDocs?["subcommands"] as? [String: Any] ?? [:]
                for (info, doc) in [(entry, commandDocs)] + subcommands.map({ ($0, subcommandDocs[$0["name"] as? String ?? ""] as? [String: Any]) }) {
                    let name = info["name"] as? String ?? ""
                    let metadata = try #require(RedisCommandTable.metadata(named: name), "\(source): \(name)")
                    #expect(metadata.name == name)
                    #expect(metadata.servers.contains(kind), "\(source): \(name)")
                    let describer = RedisCommandTable.sources.first { s in
                        metadata.servers.contains(s.hasPrefix("valkey") ? .valkey : .redis)
                    }
                    let specs = try (info["key_specs"] as? [[String: Any]] ?? []).map(Self.keySpec)
                    #expect(specs.map(\.beginSearch) == metadata.keySpecs.map(\.beginSearch), "\(source): \(name)")
                    #expect(specs.map(\.findKeys) == metadata.keySpecs.map(\.findKeys), "\(source): \(name)")
                    guard describer == source else { continue }
                    checkedFully += 1
                    #expect(specs == metadata.keySpecs, "\(source): \(name)")
                    #expect(metadata.arity == info["arity"] as? Int, "\(name)")
                    #expect(metadata.firstKey == info["first_key"] as? Int, "\(name)")
                    #expect(metadata.lastKey == info["last_key"] as? Int, "\(name)")
                    #expect(metadata.keyStep == info["step"] as? Int, "\(name)")
                    #expect(Set(metadata.flags.names) == Set(info["flags"] as? [String] ?? []), "\(name)")
                    #expect(Set(metadata.aclCategories.names) == Set(info["acl_categories"] as? [String] ?? []), "\(name)")
                    var tips: Set<String> = []
                    if let p = metadata.requestPolicy { tips.insert("request_policy:\(p.rawValue)") }
                    if let p = metadata.responsePolicy { tips.insert("response_policy:\(p.rawValue)") }
                    if metadata.nondeterministicOutput { tips.insert("nondeterministic_output") }
                    if metadata.nondeterministicOutputOrder { tips.insert("nondeterministic_output_order") }
                    #expect(tips == Set(info["tips"] as? [String] ?? []), "\(name)")
                    #expect(metadata.group == doc?["group"] as? String, "\(name)")
                    #expect(metadata.summary == doc?["summary"] as? String, "\(name)")
                    #expect(metadata.since == doc?["since"] as? String, "\(name)")
                    #expect(metadata.subcommands.map(\.name).sorted() == metadata.subcommands.map(\.name))
                }
            }
        }
        #expect(checkedFully >= 399)
    }

    /// A key spec from its JSON form in `COMMAND INFO`.
    static func keySpec(_ json: [String: Any]) throws -> RedisKeySpec {
        let begin = try #require(json["begin_search"] as? [String: Any])
        let find = try #require(json["find_keys"] as? [String: Any])
        let beginSpec = begin["spec"] as? [String: Any] ?? [:]
        let findSpec = find["spec"] as? [String: Any] ?? [:]
        let beginSearch: RedisKeySpec.BeginSearch
        switch begin["type"] as? String {
        case "index": beginSearch = .index(try #require(beginSpec["index"] as? Int))
        case "keyword":
            beginSearch = .keyword(
                try #require(beginSpec["keyword"] as? String), startFrom: try #require(beginSpec["startfrom"] as? Int))
        default: beginSearch = .unknown
        }
        let findKeys: RedisKeySpec.FindKeys
        switch find["type"] as? String {
        case "range":
            findKeys = .range(
                lastKey: try #require(findSpec["lastkey"] as? Int), keyStep: try #require(findSpec["keystep"] as? Int),
                limit: try #require(findSpec["limit"] as? Int))
        case "keynum":
            findKeys = .keynum(
                keyNumIndex: try #require(findSpec["keynumidx"] as? Int),
                firstKey: try #require(findSpec["firstkey"] as? Int), keyStep: try #require(findSpec["keystep"] as? Int))
        default: findKeys = .unknown
        }
        var flags: RedisKeySpecFlags = []
        for name in json["flags"] as? [String] ?? [] {
            let flag = try #require(RedisKeySpecFlags.serverNames.first { $0.name == name }?.flag, "\(name)")
            flags.insert(flag)
        }
        return RedisKeySpec(beginSearch: beginSearch, findKeys: findKeys, flags: flags, notes: json["notes"] as? String)
    }

    // MARK: Differential check against a server

    /// Compares with a corpus of random argvs and a server's `COMMAND GETKEYS` answers, written
    /// by `KEYS_CORPUS_DIR=/tmp/corpus scripts/capture-command-metadata.sh` (or
    /// `scripts/check-command-keys.py --port N --corpus FILE`). Runs when
    /// `REDIS_COMMAND_KEYS_CORPUS` names the corpus files (separated by `:`).
    ///
    /// Wherever the server answers keys, the table must give the same indices. The one known
    /// exception is Redis 7.0's GEORADIUS / GEORADIUSBYMEMBER with several STORE/STOREDIST
    /// options (or one before the position its key spec searches from): Redis 7.0 walks its
    /// key specs, while Valkey 9.1, whose table this is, uses the key finder that matches what
    /// the command really stores into.
    @Test(
        "key indices match a COMMAND GETKEYS corpus",
        .enabled(if: ProcessInfo.processInfo.environment["REDIS_COMMAND_KEYS_CORPUS"] != nil))
    func keyIndicesMatchCorpus() throws {
        struct Corpus: Decodable {
            struct Case: Decodable {
                let argv: [String]
                let keys: [Int]?
            }
            let server: String
            let version: String
            let cases: [Case]
        }
        let paths = (ProcessInfo.processInfo.environment["REDIS_COMMAND_KEYS_CORPUS"] ?? "")
            .split(separator: ":").map(String.init)
        for path in paths {
            let corpus = try JSONDecoder().decode(Corpus.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
            var compared = 0
            for c in corpus.cases {
                guard let expected = c.keys else { continue }  // the server rejected the argv
                let name = c.argv.first?.lowercased() ?? ""
                if corpus.server == "redis", name == "georadius" || name == "georadiusbymember" { continue }
                compared += 1
                #expect(keys(c.argv) == expected, "\(corpus.server) \(corpus.version): \(c.argv)")
            }
            #expect(compared > 1000, "\(path)")
        }
    }
}
