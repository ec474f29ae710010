import NIOCore
import RESP
import Testing

@testable import RedisProvider

// The pure cluster logic: hash slots, topology parsing, majority vote, the slot map,
// redirections and the per-command retry state machine. No sockets, no clocks: replies are
// captured text (ClusterLogicFixtures.swift), time is instants made up by the test.

/// Parses one RESP value from its wire text.
private func resp(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> RESPValue {
    var parser = RESPParser()
    var buffer = ByteBuffer(string: text)
    let value = try #require(try parser.next(from: &buffer), sourceLocation: sourceLocation)
    #expect(buffer.readableBytes == 0, "trailing bytes after the reply", sourceLocation: sourceLocation)
    return value
}

private func local(_ port: Int) -> RedisEndpoint { RedisEndpoint(host: "127.0.0.1", port: port) }
private func named(_ port: Int) -> RedisEndpoint { RedisEndpoint(host: "node-\(port).redis.test", port: port) }

/// Slots, primary endpoint and replica endpoints of each shard, for compact comparisons.
private func layout(_ topology: ClusterTopology) -> [String] {
    topology.shards.map { shard in
        let slots = shard.slots.map { "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: ",")
        let primary = shard.primary.map(\.endpoint.description) ?? "none"
        let replicas = shard.replicas.map(\.endpoint.description).joined(separator: ",")
        return "[\(slots)] \(primary) <- \(replicas)"
    }
}

// MARK: - Hash slots

@Suite("ClusterLogic: hash slots")
struct ClusterLogicHashSlotTests {
    /// Reference values from `CLUSTER KEYSLOT` on redis-server 7.0.15 (run on a loopback
    /// cluster while writing these tests).
    static let serverKeyslots: [(String, Int)] = [
        ("foo", 12182),
        ("bar", 5061),
        ("{user1000}.following", 3443),
        ("{user1000}.followers", 3443),
        ("foo{}{bar}", 8363),  // first tag is empty: the whole key is hashed
        ("foo{{bar}}zap", 4015),  // tag is "{bar"
        ("{bar", 4015),
        ("foo{bar}{zap}", 5061),  // tag is "bar"
        ("", 0),
        ("123456789", 12739),  // CRC16/XMODEM check value 0x31C3
        ("{}", 15257),
        ("}{", 12793),
        ("{a}", 15495),
        ("a{b", 13340),
        ("hello world", 15332),
        ("ключ", 10303),  // UTF-8 bytes
        ("somekey{tag", 4336),
        ("{}{x}", 3257),
        ("{{}}", 4092),
        ("x{y}z", 12222),
        ("y", 12222),
        ("user:1000", 1649),
        ("key:{42}:a", 8000),
        ("42", 8000),
    ]

    @Test("matches CLUSTER KEYSLOT for String, ByteBuffer and byte arrays", arguments: serverKeyslots)
    func matchesServer(key: String, slot: Int) {
        #expect(HashSlot.slot(for: key) == slot)
        #expect(HashSlot.slot(for: ByteBuffer(string: key)) == slot)
        #expect(HashSlot.slot(forBytes: Array(key.utf8)) == slot)
        // A collection without contiguous storage takes the copying path.
        #expect(HashSlot.slot(forBytes: key.utf8.lazy.map { $0 }) == slot)
    }

    @Test("binary keys hash their raw bytes")
    func binaryKey() {
        // `printf '\x00\xff\x80' | redis-cli -x cluster keyslot` → 4727
        #expect(HashSlot.slot(forBytes: [0x00, 0xFF, 0x80] as [UInt8]) == 4727)
        var buffer = ByteBuffer(bytes: [0xAA, 0x00, 0xFF, 0x80])
        buffer.moveReaderIndex(forwardBy: 1)  // only readable bytes count
        #expect(HashSlot.slot(for: buffer) == 4727)
    }

    @Test("hash tags: keys sharing a tag share a slot, and every slot is in range")
    func tags() {
        #expect(HashSlot.slot(for: "{user1000}.following") == HashSlot.slot(for: "user1000"))
        #expect(HashSlot.slot(for: "a{tag}b") == HashSlot.slot(for: "{tag}"))
        #expect(HashSlot.slot(for: "foo{}{bar}") == HashSlot.crc16Slot(wholeKey: "foo{}{bar}"))
        for i in 0..<2000 {
            #expect((0..<HashSlot.count).contains(HashSlot.slot(for: "key:\(i)")))
        }
        #expect(HashSlot.count == 16384)
    }
}

extension HashSlot {
    /// CRC16 of the whole key, ignoring tags: a check that tagless hashing is what runs.
    fileprivate static func crc16Slot(wholeKey: String) -> Int {
        Array(wholeKey.utf8).withUnsafeBufferPointer { Int(crc16($0[...]) & 0x3FFF) }
    }
}

// MARK: - Topology parsing

@Suite("ClusterLogic: topology from captured replies")
struct ClusterLogicTopologyTests {
    let asked = local(31721)

    @Test("CLUSTER SHARDS, RESP2 and RESP3, of a fresh 3+3 cluster")
    func shards() throws {
        let two = try ClusterTopology.parse(clusterShards: resp(ClusterCaptures.shardsRESP2), connectedTo: asked)
        let three = try ClusterTopology.parse(clusterShards: resp(ClusterCaptures.shardsRESP3), connectedTo: asked)
        let expected = [
            "[0-5460] 127.0.0.1:31721 <- 127.0.0.1:31726",
            "[5461-10922] 127.0.0.1:31722 <- 127.0.0.1:31724",
            "[10923-16383] 127.0.0.1:31723 <- 127.0.0.1:31725",
        ]
        #expect(layout(two) == expected)
        #expect(layout(three) == expected)

        let primary = try #require(two.shards[0].primary)
        #expect(primary.id == "ef57e485314ee917813356174fcd2eb62acd2c79")
        #expect(primary.ip == "127.0.0.1")
        #expect(primary.hostname == nil)
        #expect(primary.isPrimary)
        #expect(primary.health == .online)
        #expect(primary.replicationOffset == 14)
        // Captured moments apart: the RESP2 reply still saw the new replicas loading.
        #expect(two.shards[0].replicas[0].health == .loading)
        #expect(two.shards[0].replicas[0].replicationOffset == 0)
        #expect(!two.shards[0].replicas[0].isPrimary)
        #expect(three.shards[0].replicas[0].health == .online)

        #expect(two.uncoveredSlots.isEmpty)
        #expect(two.coveredSlotCount == HashSlot.count)
        #expect(two.primaries.map(\.endpoint) == [local(31721), local(31722), local(31723)])
        #expect(two.allNodes.count == 6)
        #expect(two.allNodes.map(\.endpoint.port) == [31721, 31726, 31722, 31724, 31723, 31725])
    }

    @Test("CLUSTER SLOTS, RESP2 and RESP3, matches CLUSTER SHARDS")
    func slots() throws {
        let two = try ClusterTopology.parse(clusterSlots: resp(ClusterCaptures.slotsRESP2), connectedTo: asked)
        let three = try ClusterTopology.parse(clusterSlots: resp(ClusterCaptures.slotsRESP3), connectedTo: asked)
        let shards = try ClusterTopology.parse(clusterShards: resp(ClusterCaptures.shardsRESP3), connectedTo: asked)
        #expect(two == three)
        #expect(layout(two) == layout(shards))
        #expect(two.shards[1].primary?.id == "65da899079e29e92c69ba96c5111d77631ec524e")
        #expect(two.shards[1].replicas[0].id == "9b8b21a9df258aa44ec3fa2d88556d973a082e93")
        #expect(two.shards[1].primary?.ip == "127.0.0.1")
        #expect(two.shards[1].primary?.health == .unknown)  // CLUSTER SLOTS carries no health
        #expect(two.uncoveredSlots.isEmpty)
        #expect(ClusterTopology.majority([shards, two, three]) == shards)
    }

    @Test("CLUSTER SLOTS leaves out replicas that are still syncing")
    func slotsWhileLoading() throws {
        let topology = try ClusterTopology.parse(clusterSlots: resp(ClusterCaptures.slotsLoadingRESP2), connectedTo: asked)
        #expect(topology.shards.count == 3)
        #expect(topology.shards.allSatisfy { $0.replicas.isEmpty })
        #expect(topology.uncoveredSlots.isEmpty)
    }

    @Test("announced hostnames, preferred by the server: CLUSTER SHARDS and CLUSTER SLOTS, RESP2 and RESP3")
    func hostnames() throws {
        let asked = local(31711)
        let expected = [
            "[0-5460] node-31711.redis.test:31711 <- node-31715.redis.test:31715",
            "[5461-10922] node-31712.redis.test:31712 <- node-31716.redis.test:31716",
            "[10923-16383] node-31713.redis.test:31713 <- node-31714.redis.test:31714",
        ]
        let views = try [
            ClusterTopology.parse(clusterShards: resp(ClusterCaptures.hostnameShardsRESP2), connectedTo: asked),
            ClusterTopology.parse(clusterShards: resp(ClusterCaptures.hostnameShardsRESP3), connectedTo: asked),
            ClusterTopology.parse(clusterSlots: resp(ClusterCaptures.hostnameSlotsRESP2), connectedTo: asked),
            ClusterTopology.parse(clusterSlots: resp(ClusterCaptures.hostnameSlotsRESP3), connectedTo: asked),
        ]
        for view in views {
            #expect(layout(view) == expected)
            for node in view.allNodes {
                #expect(node.ip == "127.0.0.1")
                #expect(node.hostname == "node-\(node.endpoint.port).redis.test")
            }
        }
        // The client may insist on IPs (e.g. no DNS for the announced names).
        let byIP = try ClusterTopology.parse(
            clusterSlots: resp(ClusterCaptures.hostnameSlotsRESP3), connectedTo: asked, preferring: .ip)
        #expect(byIP.primaries.map(\.endpoint) == [local(31711), local(31712), local(31713)])
        let byIPShards = try ClusterTopology.parse(
            clusterShards: resp(ClusterCaptures.hostnameShardsRESP2), connectedTo: asked, preferring: .ip)
        #expect(byIPShards.allNodes.allSatisfy { $0.endpoint.host == "127.0.0.1" })
    }

    @Test("hostnames announced but the server prefers IPs: preferring .hostname picks them")
    func hostnamesByClientPreference() throws {
        // After the failover capture the server prefers IPs; nodes still announce names.
        let asked = local(31711)
        let server = try ClusterTopology.parse(clusterShards: resp(ClusterCaptures.failedOverShardsRESP2), connectedTo: asked)
        #expect(server.allNodes.allSatisfy { $0.endpoint.host == "127.0.0.1" })
        let byName = try ClusterTopology.parse(
            clusterShards: resp(ClusterCaptures.failedOverShardsRESP2), connectedTo: asked, preferring: .hostname)
        #expect(byName.allNodes.allSatisfy { $0.endpoint == named($0.endpoint.port) })
        let slots = try ClusterTopology.parse(
            clusterSlots: resp(ClusterCaptures.clusterDownSlotsRESP2), connectedTo: asked, preferring: .hostname)
        #expect(slots.primaries.map(\.endpoint) == [named(31711), named(31712), named(31714)])
        #expect(slots.primaries.allSatisfy { $0.ip == "127.0.0.1" })
    }

    @Test("'?' endpoint (hostnames preferred, none announced): the node's IP, not the node asked")
    func questionMarkEndpoint() throws {
        let asked = RedisEndpoint(host: "seed.redis.test", port: 31711)
        let shards = try ClusterTopology.parse(clusterShards: resp(ClusterCaptures.questionMarkShardsRESP3), connectedTo: asked)
        let slots = try ClusterTopology.parse(clusterSlots: resp(ClusterCaptures.questionMarkSlotsRESP2), connectedTo: asked)
        for view in [shards, slots] {
            let replica = view.shards[1].replicas[0]
            #expect(replica.endpoint == local(31716))
            #expect(replica.hostname == nil)
            #expect(replica.id == "91c6be82ce010766c74fe7b01751254363349914")
            #expect(view.shards[1].primary?.endpoint == named(31712))
        }
        // Without any IP to fall back on, the node asked is the last resort.
        let bare: RESPValue = .array([
            .array([
                "slots", .array([0, 16383]),
                "nodes", .array([.array(["id", "x", "port", 7000, "ip", "", "endpoint", "?", "role", "master", "health", "online"])]),
            ])
        ])
        let fallback = try ClusterTopology.parse(clusterShards: bare, connectedTo: asked)
        #expect(fallback.primaries.first?.endpoint == RedisEndpoint(host: "seed.redis.test", port: 7000))
        #expect(fallback.primaries.first?.ip == nil)
    }

    @Test("unknown-endpoint (NULL or empty endpoints): the host the client asked, with each node's port")
    func unknownEndpoint() throws {
        let balancer = RedisEndpoint(host: "redis.lb.test", port: 6379)
        let shards = try ClusterTopology.parse(clusterShards: resp(ClusterCaptures.unknownEndpointShardsRESP2), connectedTo: balancer)
        let slots = try ClusterTopology.parse(clusterSlots: resp(ClusterCaptures.unknownEndpointSlotsRESP3), connectedTo: balancer)
        for view in [shards, slots] {
            #expect(view.allNodes.map(\.endpoint.port) == [31711, 31715, 31712, 31716, 31713, 31714])
            #expect(view.allNodes.allSatisfy { $0.endpoint.host == "redis.lb.test" })
            #expect(view.allNodes.allSatisfy { $0.ip == "127.0.0.1" })
            #expect(view.shards[0].primary?.hostname == "node-31711.redis.test")
            #expect(view.shards[1].replicas[0].hostname == nil)
        }
        #expect(ClusterTopology.majority([shards, slots]) == shards)
        let byName = try ClusterTopology.parse(
            clusterSlots: resp(ClusterCaptures.unknownEndpointSlotsRESP3), connectedTo: balancer, preferring: .hostname)
        #expect(byName.shards[0].primary?.endpoint == named(31711))
        #expect(byName.shards[1].replicas[0].endpoint == RedisEndpoint(host: "redis.lb.test", port: 31716))
    }

    @Test("after a failover: failed nodes, and a former primary serving no slots")
    func failedOver() throws {
        let topology = try ClusterTopology.parse(clusterShards: resp(ClusterCaptures.failedOverShardsRESP2), connectedTo: local(31711))
        #expect(layout(topology) == [
            "[0-5460] 127.0.0.1:31711 <- 127.0.0.1:31715",
            "[5461-10922] 127.0.0.1:31712 <- 127.0.0.1:31716",
            "[] 127.0.0.1:31713 <- ",
            "[10923-16383] 127.0.0.1:31714 <- ",
        ])
        #expect(topology.shards[1].replicas[0].health == .failed)  // Redis 7.0 prints "fail"
        #expect(topology.shards[2].primary?.health == .failed)
        #expect(topology.uncoveredSlots.isEmpty)

        let map = SlotMap(topology)
        #expect(map.primaries == [local(31711), local(31712), local(31714)])
        #expect(map.replicas(for: 6000).isEmpty)  // the failed replica serves no reads
        #expect(map.replicas(for: 0) == [local(31715)])
        #expect(map.endpoints.count == 6)
        #expect(map.coversAllSlots)
    }

    @Test("cluster down: the slots of a failed primary without replicas are uncovered")
    func clusterDown() throws {
        let shards = try ClusterTopology.parse(clusterShards: resp(ClusterCaptures.clusterDownShardsRESP3), connectedTo: local(31711))
        #expect(shards.uncoveredSlots == [10923...16383])
        #expect(shards.coveredSlotCount == 10923)
        // CLUSTER SLOTS still lists the failed primary and says nothing about health.
        let slots = try ClusterTopology.parse(clusterSlots: resp(ClusterCaptures.clusterDownSlotsRESP2), connectedTo: local(31711))
        #expect(slots.uncoveredSlots.isEmpty)
        #expect(slots.shards[1].replicas.isEmpty)  // the failed replica is left out
        #expect(SlotMap(shards).primary(for: 12182) == local(31714))
    }

    @Test("tls: tls-port when present, else port")
    func tlsPorts() throws {
        let node: (Bool) -> RESPValue = { withTLS in
            var fields: [RESPMapEntry] = [
                RESPMapEntry(key: "id", value: "abc"),
                RESPMapEntry(key: "port", value: 7000),
                RESPMapEntry(key: "ip", value: "127.0.0.1"),
                RESPMapEntry(key: "endpoint", value: "127.0.0.1"),
                RESPMapEntry(key: "role", value: "master"),
                RESPMapEntry(key: "health", value: "online"),
            ]
            if withTLS { fields.append(RESPMapEntry(key: "tls-port", value: 7443)) }
            return .map(fields)
        }
        let reply: (Bool) -> RESPValue = { withTLS in
            .array([.map([RESPMapEntry(key: "slots", value: .array([0, 16383])), RESPMapEntry(key: "nodes", value: .array([node(withTLS)]))])])
        }
        let asked = local(7000)
        #expect(try ClusterTopology.parse(clusterShards: reply(true), connectedTo: asked, tls: true).primaries[0].endpoint.port == 7443)
        #expect(try ClusterTopology.parse(clusterShards: reply(true), connectedTo: asked).primaries[0].endpoint.port == 7000)
        #expect(try ClusterTopology.parse(clusterShards: reply(false), connectedTo: asked, tls: true).primaries[0].endpoint.port == 7000)
    }

    @Test("slot ranges as strings, several ranges per shard, IPv6, and primary-less shards")
    func unusualShapes() throws {
        let reply: RESPValue = .array([
            .array([
                "slots", .array(["0", "99", "200", "299"]),
                "nodes", .array([
                    .array(["id", "r1", "port", 7001, "ip", "::1", "endpoint", "::1", "role", "replica", "health", "online"]),
                    .array(["id", "p1", "port", 7000, "ip", "::1", "endpoint", "::1", "role", "master", "health", "online", "availability-zone", "az1"]),
                ]),
            ]),
            .array(["slots", .array([100, 199]), "nodes", .array([.array(["id", "r2", "port", 7002, "ip", "::1", "endpoint", "::1", "role", "replica", "health", "online"])])]),
        ])
        let topology = try ClusterTopology.parse(clusterShards: reply, connectedTo: RedisEndpoint(host: "::1", port: 7000))
        #expect(topology.shards[0].slots == [0...99, 200...299])
        #expect(topology.shards[0].primary?.endpoint == RedisEndpoint(host: "::1", port: 7000))
        #expect(topology.shards[0].replicas.map(\.id) == ["r1"])
        #expect(topology.shards[1].primary == nil)
        #expect(topology.uncoveredSlots == [100...199, 300...16383])
        #expect(topology.primaries.count == 1)
        let map = SlotMap(topology)
        #expect(map.primary(for: 150) == nil)
        #expect(map.replicas(for: 150) == [RedisEndpoint(host: "::1", port: 7002)])
        #expect(map.primary(for: 250) == RedisEndpoint(host: "::1", port: 7000))
        #expect(!map.coversAllSlots)

        // CLUSTER SLOTS: a primary with two ranges becomes one shard; old 2-element nodes.
        let slots: RESPValue = .array([
            .array([0, 99, .array(["10.0.0.1", 7000, "p1"]), .array(["10.0.0.2", 7001, "r1"])]),
            .array([100, 16383, .array(["10.0.0.3", 7000])]),
            .array([200, 300, .array(["10.0.0.1", 7000, "p1"]), .array(["10.0.0.2", 7001, "r1"])]),
        ])
        let parsed = try ClusterTopology.parse(clusterSlots: slots, connectedTo: local(7000))
        #expect(parsed.shards.count == 2)
        #expect(parsed.shards[0].slots == [0...99, 200...300])
        #expect(parsed.shards[0].replicas.count == 1)
        #expect(parsed.shards[1].primary?.id == nil)
    }

    @Test("error replies and malformed replies throw typed errors")
    func errors() throws {
        let old = RESPValue.error(RESPError(message: "ERR unknown subcommand 'SHARDS'. Try CLUSTER HELP."))
        let serverError = #expect(throws: RedisError.self) { try ClusterTopology.parse(clusterShards: old, connectedTo: self.asked) }
        #expect(serverError?.kind == .server)
        #expect(serverError?.serverError?.code == "ERR")

        let bad: [RESPValue] = [
            .integer(1),
            .array([.integer(1)]),
            .array([.array(["slots", .array([0]), "nodes", .array([])])]),
            .array([.array(["slots", .array([0, 16384]), "nodes", .array([])])]),
            .array([.array(["slots", .array([10, 5]), "nodes", .array([])])]),
            .array([.array(["slots", .array([0, 1]), "nodes", .array([.array(["id", "x", "role", "master"])])])]),
        ]
        for reply in bad {
            let error = #expect(throws: RedisError.self) { try ClusterTopology.parse(clusterShards: reply, connectedTo: self.asked) }
            #expect(error?.kind == .protocolViolation)
            #expect(error?.message.contains("CLUSTER SHARDS") == true)
        }
        let badSlots: [RESPValue] = [
            .null,
            .array([.array([0, 1])]),
            .array([.array([0, 1, .array(["127.0.0.1"])])]),
            .array([.array([0, 1, .array(["127.0.0.1", 0])])]),
        ]
        for reply in badSlots {
            let error = #expect(throws: RedisError.self) { try ClusterTopology.parse(clusterSlots: reply, connectedTo: self.asked) }
            #expect(error?.kind == .protocolViolation)
        }
    }

    @Test("address mapping hook rewrites every endpoint")
    func mapping() throws {
        let topology = try ClusterTopology.parse(clusterShards: resp(ClusterCaptures.shardsRESP3), connectedTo: asked)
        let mapped = topology.mappingEndpoints { RedisEndpoint(host: "127.0.0.2", port: $0.port + 1000) }
        #expect(mapped.allNodes.map(\.endpoint) == topology.allNodes.map { RedisEndpoint(host: "127.0.0.2", port: $0.endpoint.port + 1000) })
        #expect(mapped.allNodes.map(\.ip) == topology.allNodes.map(\.ip))
    }
}

// MARK: - Majority vote

@Suite("ClusterLogic: majority view")
struct ClusterLogicMajorityTests {
    @Test("most common view wins; offsets and health are noise")
    func majority() throws {
        let a = try ClusterTopology.parse(clusterShards: resp(ClusterCaptures.failedOverShardsRESP2), connectedTo: local(31711))
        let stale = try ClusterTopology.parse(clusterShards: resp(ClusterCaptures.hostnameShardsRESP2), connectedTo: local(31711), preferring: .ip)
        var noisy = a
        noisy.shards[0].primary?.replicationOffset = 999
        noisy.shards[0].replicas[0].health = .loading
        noisy.shards[2].primary?.health = .online  // a shard without slots does not count
        #expect(ClusterTopology.majority([stale, a, noisy]) == a)
        #expect(ClusterTopology.majority([a, stale, stale]) == stale)
        #expect(ClusterTopology.majority([stale]) == stale)
        #expect(ClusterTopology.majority([]) == nil)

        // Same counts: the view covering more slots wins, then the earliest.
        let down = try ClusterTopology.parse(clusterShards: resp(ClusterCaptures.clusterDownShardsRESP3), connectedTo: local(31711))
        var moved = a
        moved.shards[3].primary?.endpoint = local(31799)
        #expect(down.coveredSlotCount < moved.coveredSlotCount)
        #expect(ClusterTopology.majority([down, moved]) == moved)
        #expect(ClusterTopology.majority([moved, a]) == moved)
        #expect(ClusterTopology.majority([a, moved]) == a)
    }

    @Test("a different replica set or slot assignment is a different view")
    func differences() throws {
        let a = try ClusterTopology.parse(clusterShards: resp(ClusterCaptures.shardsRESP3), connectedTo: local(31721))
        var lostReplica = a
        lostReplica.shards[0].replicas = []
        var resharded = a
        resharded.shards[0].slots = [0...5459]
        resharded.shards[1].slots = [5460...10922]
        #expect(ClusterTopology.majority([lostReplica, a, a]) == a)
        #expect(ClusterTopology.majority([resharded, resharded, a]) == resharded)
        // Shard order in the reply does not matter.
        var reordered = a
        reordered.shards.reverse()
        #expect(ClusterTopology.majority([reordered, lostReplica, a]) == reordered)
    }
}

// MARK: - Slot map

@Suite("ClusterLogic: slot map")
struct ClusterLogicSlotMapTests {
    let topology: ClusterTopology

    init() throws {
        topology = try ClusterTopology.parse(clusterShards: resp(ClusterCaptures.shardsRESP3), connectedTo: local(31721))
    }

    @Test("routes every slot to its shard")
    func routing() {
        let map = SlotMap(topology)
        #expect(map.primary(for: 0) == local(31721))
        #expect(map.primary(for: 5460) == local(31721))
        #expect(map.primary(for: 5461) == local(31722))
        #expect(map.primary(for: HashSlot.slot(for: "foo")) == local(31723))
        #expect(map.replicas(for: HashSlot.slot(for: "bar")) == [local(31726)])
        #expect(map.primaries == [local(31721), local(31722), local(31723)])
        #expect(map.endpoints == Set([31721, 31722, 31723, 31724, 31725, 31726].map(local)))
        #expect(map.coversAllSlots)
        #expect(map.topology == topology)
        #expect(map.primary(for: -1) == nil)
        #expect(map.primary(for: 16384) == nil)
        #expect(map.replicas(for: 99999).isEmpty)
    }

    @Test("loading replicas serve no reads")
    func loadingReplicas() throws {
        let fresh = try ClusterTopology.parse(clusterShards: resp(ClusterCaptures.shardsRESP2), connectedTo: local(31721))
        let map = SlotMap(fresh)
        #expect(map.replicas(for: 0).isEmpty)
        #expect(map.endpoints.count == 6)
    }

    @Test("MOVED patches one slot, to a known or a new node")
    func moved() {
        var map = SlotMap(topology)
        let slot = HashSlot.slot(for: "foo")  // 12182, served by 31723
        var changed = map.apply(movedSlot: slot, to: local(31722))
        #expect(changed)
        #expect(map.primary(for: slot) == local(31722))
        #expect(map.replicas(for: slot) == [local(31724)])  // the route of the new owner
        #expect(map.primary(for: slot + 1) == local(31723))  // neighbours untouched
        changed = map.apply(movedSlot: slot, to: local(31722))
        #expect(!changed)  // already so

        // A node the map has never seen (a new primary after scale-out).
        let newcomer = RedisEndpoint(host: "127.0.0.1", port: 31799)
        changed = map.apply(movedSlot: slot, to: newcomer)
        #expect(changed)
        #expect(map.primary(for: slot) == newcomer)
        #expect(map.replicas(for: slot).isEmpty)
        #expect(map.endpoints.contains(newcomer))
        #expect(map.primaries == [local(31721), local(31722), local(31723), newcomer])
        changed = map.apply(movedSlot: 16384, to: newcomer)
        #expect(!changed)  // not a slot

        // A primary that lost all its slots is no longer a fan-out target.
        for s in 0...5460 { map.apply(movedSlot: s, to: newcomer) }
        #expect(map.primaries == [local(31722), local(31723), newcomer])
        #expect(map.topology == topology)  // the source topology is not rewritten
    }
}

// MARK: - Redirections

@Suite("ClusterLogic: MOVED / ASK parsing")
struct ClusterLogicRedirectTests {
    let answering = RedisEndpoint(host: "seed.redis.test", port: 31711)

    private func parse(_ message: String) -> ClusterRedirect? {
        ClusterRedirect(RESPError(message: message), from: answering)
    }

    @Test("replies captured from redis-server 7.0.15")
    func captured() {
        #expect(parse("MOVED 12182 127.0.0.1:31714") == .moved(slot: 12182, endpoint: local(31714)))
        #expect(parse("ASK 12182 127.0.0.1:31712") == .ask(slot: 12182, endpoint: local(31712)))
        #expect(parse("MOVED 12182 node-31714.redis.test:31714") == .moved(slot: 12182, endpoint: named(31714)))
        #expect(parse("ASK 12182 node-31712.redis.test:31712") == .ask(slot: 12182, endpoint: named(31712)))
        // cluster-preferred-endpoint-type unknown-endpoint: no host, the node that answered.
        #expect(parse("MOVED 12182 :31714") == .moved(slot: 12182, endpoint: RedisEndpoint(host: "seed.redis.test", port: 31714)))
    }

    @Test("IPv6, '?', and the accessors")
    func shapes() {
        #expect(parse("MOVED 1 ::1:6381") == .moved(slot: 1, endpoint: RedisEndpoint(host: "::1", port: 6381)))
        #expect(parse("MOVED 1 [::1]:6381") == .moved(slot: 1, endpoint: RedisEndpoint(host: "::1", port: 6381)))
        #expect(parse("ASK 16383 fe80::1:2:7000") == .ask(slot: 16383, endpoint: RedisEndpoint(host: "fe80::1:2", port: 7000)))
        #expect(parse("MOVED 0 ?:7000") == .moved(slot: 0, endpoint: RedisEndpoint(host: "seed.redis.test", port: 7000)))
        let redirect = parse("ASK 42 10.0.0.9:7001")
        #expect(redirect?.slot == 42)
        #expect(redirect?.endpoint == RedisEndpoint(host: "10.0.0.9", port: 7001))
    }

    @Test("anything else is not a redirection", arguments: [
        "ERR unknown command", "MOVED", "MOVED 1", "MOVED x 127.0.0.1:7000", "MOVED 16384 127.0.0.1:7000",
        "MOVED -1 127.0.0.1:7000", "MOVED 1 127.0.0.1", "MOVED 1 127.0.0.1:", "MOVED 1 127.0.0.1:0",
        "MOVED 1 127.0.0.1:70000", "moved 1 127.0.0.1:7000", "TRYAGAIN Multiple keys request during rehashing of slot",
    ])
    func notRedirects(message: String) {
        #expect(parse(message) == nil)
    }
}

// MARK: - Retry decisions

@Suite("ClusterLogic: retry policy and per-command retry state")
struct ClusterLogicRetryTests {
    /// A fixed origin; every other instant is an offset from it. Nothing reads a clock.
    let start = ContinuousClock.Instant.now
    /// Exact delays: no jitter.
    let exact = ClusterRetryPolicy(maxRedirects: 3, budget: .seconds(1), jitter: 0)

    private func error(_ message: String) -> CommandRetryState.Outcome {
        .reply(.error(RESPError(message: message)))
    }

    private func state(_ policy: ClusterRetryPolicy? = nil, idempotent: Bool = false) -> CommandRetryState {
        CommandRetryState(policy: policy ?? exact, startedAt: start, isIdempotent: idempotent, jitterSeed: 42)
    }

    private func failure(_ action: CommandRetryState.Action, sourceLocation: SourceLocation = #_sourceLocation) -> RedisError? {
        guard case .fail(let error) = action else {
            Issue.record("expected .fail, got \(action)", sourceLocation: sourceLocation)
            return nil
        }
        return error
    }

    @Test("policy defaults, sizing and exponential delays")
    func policy() {
        let policy = ClusterRetryPolicy()
        #expect(policy.maxRedirects == 16)
        #expect(policy.budget == .seconds(15))
        #expect(policy.baseDelay == .milliseconds(10))
        #expect(policy.maxDelay == .milliseconds(100))
        #expect(ClusterRetryPolicy.sized(forNodeTimeout: .seconds(5)).budget == .seconds(19))
        #expect(ClusterRetryPolicy.sized(forNodeTimeout: .milliseconds(2000)).budget == .seconds(10))
        #expect((1...8).map { policy.delay(forRetry: $0) } == [10, 20, 40, 80, 100, 100, 100, 100].map { .milliseconds($0) })
        #expect(policy.delay(forRetry: 1000) == .milliseconds(100))
        #expect(ClusterRetryPolicy(jitter: 7).jitter == 1)
    }

    @Test("replies, and error replies that are not cluster conditions, are delivered")
    func deliver() {
        var s = state()
        #expect(s.next(.reply(.simpleString(ByteBuffer(string: "OK"))), now: start) == .deliver)
        #expect(s.next(.reply(.null), now: start) == .deliver)
        #expect(s.next(error("WRONGTYPE Operation against a key holding the wrong kind of value"), now: start) == .deliver)
        #expect(s.next(error("CROSSSLOT Keys in request don't hash to the same slot"), now: start) == .deliver)
        #expect(s.next(error("MOVED nonsense"), now: start) == .deliver)
        #expect(s.effects.isEmpty)
        #expect(s.redirects == 0 && s.retries == 0)
    }

    @Test("MOVED: patch the slot, redirect now, schedule a refresh")
    func moved() {
        var s = state()
        #expect(s.next(error("MOVED 12182 127.0.0.1:31714"), now: start) == .redirect(to: local(31714), asking: false))
        #expect(s.effects == [.patchSlot(12182, local(31714)), .scheduleRefresh])
        #expect(s.redirects == 1)
        // Effects belong to one step only.
        #expect(s.next(.reply(.integer(1)), now: start) == .deliver)
        #expect(s.effects.isEmpty)
    }

    @Test("ASK: redirect with ASKING, the slot map stays")
    func ask() {
        var s = state()
        #expect(s.next(error("ASK 12182 127.0.0.1:31712"), now: start) == .redirect(to: local(31712), asking: true))
        #expect(s.effects.isEmpty)
        #expect(s.redirects == 1)
    }

    @Test("a redirection without a host goes to the node that answered, or refreshes when unknown")
    func hostlessRedirect() {
        var s = state()
        let lb = RedisEndpoint(host: "redis.lb.test", port: 6379)
        #expect(s.next(error("MOVED 12182 :31714"), now: start, answeredBy: lb) == .redirect(to: RedisEndpoint(host: "redis.lb.test", port: 31714), asking: false))
        #expect(s.effects == [.patchSlot(12182, RedisEndpoint(host: "redis.lb.test", port: 31714)), .scheduleRefresh])
        var t = state()
        #expect(t.next(error("MOVED 12182 :31714"), now: start) == .retry(after: .milliseconds(10), refreshTopology: true))
        #expect(t.effects == [.scheduleRefresh])
    }

    @Test("the redirect limit fails with .redirectLimit")
    func redirectLimit() throws {
        var s = state()  // maxRedirects: 3
        #expect(s.next(error("MOVED 1 127.0.0.1:7000"), now: start) == .redirect(to: local(7000), asking: false))
        #expect(s.next(error("ASK 1 127.0.0.1:7001"), now: start) == .redirect(to: local(7001), asking: true))
        #expect(s.next(error("MOVED 1 127.0.0.1:7000"), now: start) == .redirect(to: local(7000), asking: false))
        let e = try #require(failure(s.next(error("MOVED 1 127.0.0.1:7001"), now: start)))
        #expect(e.kind == .redirectLimit)
        #expect(e.message.contains("3 MOVED/ASK redirections for hash slot 1"))
        #expect(e.message.contains("CLUSTER SHARDS"))
        #expect(e.endpoint == "127.0.0.1:7001")
        #expect(e.serverError?.code == "MOVED")
        #expect(s.effects == [.scheduleRefresh])
    }

    @Test("TRYAGAIN and LOADING back off without refreshing; CLUSTERDOWN, MASTERDOWN and READONLY refresh")
    func rejections() {
        let cases: [(String, Bool)] = [
            ("TRYAGAIN Multiple keys request during rehashing of slot", false),
            ("LOADING Redis is loading the dataset in memory", false),
            ("CLUSTERDOWN The cluster is down", true),
            ("CLUSTERDOWN Hash slot not served", true),
            ("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.", true),
            ("READONLY You can't write against a read only replica.", true),
        ]
        for (message, refresh) in cases {
            // Rejected before running: retried even when the command is not idempotent.
            var s = state(idempotent: false)
            #expect(s.next(error(message), now: start) == .retry(after: .milliseconds(10), refreshTopology: refresh), "\(message)")
            #expect(s.effects.isEmpty)
        }
    }

    @Test("delays double up to maxDelay, then the budget ends the retries with .clusterDown")
    func backoffAndBudget() throws {
        let policy = ClusterRetryPolicy(budget: .seconds(1), baseDelay: .milliseconds(100), maxDelay: .milliseconds(300), jitter: 0)
        var s = state(policy)
        var now = start
        var delays: [Duration] = []
        while case .retry(let delay, false) = s.next(error("TRYAGAIN Multiple keys request during rehashing of slot"), now: now) {
            delays.append(delay)
            now += delay
        }
        // 100 + 200 + 300 + 300 = 900 ms; the last wait is cut to end at the deadline.
        #expect(delays == [100, 200, 300, 300, 100].map { .milliseconds($0) })
        #expect(now == start + .seconds(1))
        #expect(s.retries == 5)
        let e = try #require(failure(s.next(error("TRYAGAIN Multiple keys request during rehashing of slot"), now: now)))
        #expect(e.kind == .clusterDown)
        #expect(e.message.contains("did not recover within the retry budget"))
        #expect(e.message.contains("reshard is in progress"))
        #expect(e.message.contains("1 s"))
        #expect(e.serverError?.code == "TRYAGAIN")
    }

    @Test("budget messages say what to check for each condition")
    func budgetMessages() throws {
        let late = start + .seconds(2)
        let expectations: [(String, String)] = [
            ("CLUSTERDOWN The cluster is down", "CLUSTER INFO"),
            ("MASTERDOWN Link with MASTER is down", "replica-serve-stale-data"),
            ("LOADING Redis is loading the dataset in memory", "loading_eta_seconds"),
            ("READONLY You can't write against a read only replica.", "failover has not completed"),
        ]
        for (reply, hint) in expectations {
            var s = state()
            let e = try #require(failure(s.next(error(reply), now: late, answeredBy: local(7000))))
            #expect(e.kind == .clusterDown)
            #expect(e.message.contains(hint), "\(e.message)")
            #expect(e.message.contains(reply))
            #expect(e.endpoint == "127.0.0.1:7000")
        }
    }

    @Test("jitter is seeded: repeatable, and never longer than the exponential step")
    func jitter() {
        let policy = ClusterRetryPolicy(budget: .seconds(60), baseDelay: .milliseconds(100), maxDelay: .seconds(10), jitter: 0.5)
        func delays(seed: UInt64) -> [Duration] {
            var s = CommandRetryState(policy: policy, startedAt: start, isIdempotent: true, jitterSeed: seed)
            return (0..<6).compactMap {
                if case .retry(let d, _) = s.next(error("CLUSTERDOWN The cluster is down"), now: start + .milliseconds($0)) { return d }
                return nil
            }
        }
        let a = delays(seed: 7)
        #expect(a == delays(seed: 7))
        #expect(a != delays(seed: 8))
        for (i, d) in a.enumerated() {
            let step = policy.delay(forRetry: i + 1)
            #expect(d <= step && d >= step * 0.5, "retry \(i + 1): \(d) vs step \(step)")
        }
    }

    @Test("transport errors: unsent or idempotent retries with a refresh; a sent write is outcome-unknown")
    func transport() throws {
        let closed = RedisError(.connectionClosed, "The connection closed before the reply arrived.", endpoint: "127.0.0.1:7000")
        let timeout = RedisError(.commandTimeout, "No reply within 1 s.", endpoint: "127.0.0.1:7000")
        let refused = RedisError(.connectionRefused, "Connection refused.", endpoint: "127.0.0.1:7000")
        let retry = CommandRetryState.Action.retry(after: .milliseconds(10), refreshTopology: true)

        var unsent = state(idempotent: false)
        #expect(unsent.next(.transportError(closed, sent: false), now: start) == retry)
        var idempotent = state(idempotent: true)
        #expect(idempotent.next(.transportError(closed, sent: true), now: start) == retry)
        var idempotentTimeout = state(idempotent: true)
        #expect(idempotentTimeout.next(.transportError(timeout, sent: true), now: start) == retry)
        var connectFailure = state(idempotent: false)
        #expect(connectFailure.next(.transportError(refused, sent: true), now: start) == retry)
        var dns = state(idempotent: false)
        #expect(dns.next(.transportError(RedisError(.dnsFailure, "x"), sent: false), now: start) == retry)

        for lost in [closed, timeout] {
            var write = state(idempotent: false)
            let e = try #require(failure(write.next(.transportError(lost, sent: true), now: start)))
            #expect(e.kind == .outcomeUnknown)
            #expect(e.outcomeUnknown)
            #expect(e.message.contains("not replayed"))
            #expect(e.message.contains("may or may not have been applied"))
            #expect(e.endpoint == "127.0.0.1:7000")
            #expect(write.retries == 0)
        }
    }

    @Test("errors retrying cannot fix are passed through unchanged")
    func nonTransient() throws {
        for kind: RedisError.Kind in [.shutdown, .cancelled, .authentication, .tls, .protocolViolation, .tooManyInFlight] {
            var s = state(idempotent: true)
            let original = RedisError(kind, "boom", endpoint: "127.0.0.1:7000")
            #expect(s.next(.transportError(original, sent: false), now: start) == .fail(original))
        }
    }

    @Test("one list of retryable error replies, shared by commands and pipelines")
    func retryableList() {
        for message in ["MOVED 1 127.0.0.1:7001", "ASK 1 127.0.0.1:7001", "TRYAGAIN Multiple keys", "LOADING loading", "CLUSTERDOWN down", "MASTERDOWN link down", "READONLY You can't write against a read only replica.", "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)"] {
            #expect(CommandRetryState.retries(RESPError(message: message)), "\(message)")
        }
        for message in ["WRONGTYPE Operation against a key", "ERR syntax error", "UNBLOCKED client unblocked via CLIENT UNBLOCK", "NOSCRIPT No matching script"] {
            #expect(!CommandRetryState.retries(RESPError(message: message)), "\(message)")
        }
    }

    @Test("connection failures past the budget end in .clusterDown naming the last error")
    func transportBudget() throws {
        var s = state(idempotent: true)
        let refused = RedisError(.connectionRefused, "Connection refused by 127.0.0.1:7000.", endpoint: "127.0.0.1:7000")
        #expect(s.next(.transportError(refused, sent: false), now: start + .milliseconds(500)) == .retry(after: .milliseconds(10), refreshTopology: true))
        #expect(s.next(.transportError(refused, sent: false), now: start + .milliseconds(995)) == .retry(after: .milliseconds(5), refreshTopology: true))
        let e = try #require(failure(s.next(.transportError(refused, sent: false), now: start + .seconds(1))))
        #expect(e.kind == .clusterDown)
        #expect(e.message.contains("Connection refused by 127.0.0.1:7000."))
        #expect(e.message.contains("retried 2 times"))
        #expect(e.endpoint == "127.0.0.1:7000")
        #expect(s.deadline == start + .seconds(1))
    }

    @Test("a full failover story: MOVED, CLUSTERDOWN while the replica is promoted, then the reply")
    func story() {
        var s = CommandRetryState(policy: .sized(forNodeTimeout: .seconds(2)), startedAt: start, isIdempotent: false, jitterSeed: 1)
        var now = start
        #expect(s.next(.transportError(RedisError(.connectionRefused, "refused"), sent: false), now: now).isRetry(refresh: true))
        now += .milliseconds(10)
        #expect(s.next(error("CLUSTERDOWN The cluster is down"), now: now).isRetry(refresh: true))
        now += .seconds(3)
        #expect(s.next(error("MOVED 12182 127.0.0.1:31714"), now: now) == .redirect(to: local(31714), asking: false))
        #expect(s.next(.reply(.simpleString(ByteBuffer(string: "OK"))), now: now) == .deliver)
        #expect(s.retries == 2 && s.redirects == 1)
    }
}

extension CommandRetryState.Action {
    fileprivate func isRetry(refresh: Bool) -> Bool {
        if case .retry(_, let r) = self { return r == refresh }
        return false
    }
}
