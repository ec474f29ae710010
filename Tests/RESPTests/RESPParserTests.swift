import NIOCore
import Testing

@testable import RESP

/// Parses `bytes` fed in pieces split at `splits`, collecting every value.
private func parseAll(_ bytes: [UInt8], splits: [Int] = [], limits: RESPDecoderLimits = .default) throws -> [RESPValue] {
    var parser = RESPParser(limits: limits)
    var buffer = ByteBuffer()
    var values: [RESPValue] = []
    var start = 0
    for end in splits + [bytes.count] where end >= start {
        buffer.writeBytes(bytes[start..<end])
        start = end
        while let v = try parser.next(from: &buffer) { values.append(v) }
    }
    #expect(buffer.readableBytes == 0)
    return values
}

private func b(_ s: String) -> ByteBuffer { ByteBuffer(string: s) }

/// One sample frame of every RESP2 and RESP3 type, with the value it decodes to.
let samples: [(String, RESPValue)] = [
    ("+OK\r\n", .simpleString(b("OK"))),
    ("-ERR unknown command\r\n", .error(RESPError(message: "ERR unknown command"))),
    (":-42\r\n", .integer(-42)),
    (":9223372036854775807\r\n", .integer(.max)),
    ("$5\r\nhe\r\nl\r\n", .bulkString(b("he\r\nl"))),
    ("$0\r\n\r\n", .bulkString(b(""))),
    ("$-1\r\n", .null),
    ("*-1\r\n", .null),
    ("_\r\n", .null),
    ("*0\r\n", .array([])),
    ("*3\r\n:1\r\n$1\r\na\r\n*1\r\n+x\r\n", .array([.integer(1), .bulkString(b("a")), .array([.simpleString(b("x"))])])),
    ("%2\r\n+a\r\n:1\r\n+b\r\n_\r\n", .map([RESPMapEntry(key: .simpleString(b("a")), value: .integer(1)), RESPMapEntry(key: .simpleString(b("b")), value: .null)])),
    ("~2\r\n:1\r\n:2\r\n", .set([.integer(1), .integer(2)])),
    (",3.25\r\n", .double(3.25)),
    (",-inf\r\n", .double(-.infinity)),
    (",1e3\r\n", .double(1000)),
    ("#t\r\n", .boolean(true)),
    ("#f\r\n", .boolean(false)),
    ("(3492890328409238509324850943850943825024385\r\n", .bigNumber("3492890328409238509324850943850943825024385")),
    ("=15\r\ntxt:Some string\r\n", .verbatimString(format: "txt", b("Some string"))),
    ("!21\r\nSYNTAX invalid syntax\r\n", .error(RESPError(message: "SYNTAX invalid syntax"))),
    (">3\r\n+message\r\n+chan\r\n$2\r\nhi\r\n", .push([.simpleString(b("message")), .simpleString(b("chan")), .bulkString(b("hi"))])),
    ("|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n*2\r\n:2039\r\n:9543\r\n", .array([.integer(2039), .integer(9543)])),
    ("*2\r\n|1\r\n+ttl\r\n:3\r\n:7\r\n:8\r\n", .array([.integer(7), .integer(8)])),
]

@Suite struct RESPCommandTests {
    /// The fixed-arity initialisers write exactly what the variadic one writes.
    @Test func fixedArityInitialisersMatchTheVariadicOne() {
        let value = ByteBuffer(bytes: [0, 13, 10, 255])
        #expect(RESPCommand("GET", "k").body == RESPCommand("GET", arguments: ["k"]).body)
        #expect(RESPCommand("SET", "k", value).body == RESPCommand("SET", arguments: ["k", value]).body)
        #expect(RESPCommand("INCRBY", "k", 42).body == RESPCommand("INCRBY", arguments: ["k", 42]).body)
        #expect(RESPCommand("SET", "k", value).count == 3)
        let long = String(repeating: "x", count: 1000)
        #expect(RESPCommand("SET", long, long).arguments.map { String(buffer: $0) } == ["SET", long, long])
    }

    /// Bulk strings are `$<length>\r\n<payload>\r\n` at every length where the digit count
    /// changes, empty and binary ones included, from text and from buffers alike.
    @Test func bulkStringsAtEveryDigitBoundary() {
        for length in [0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 65_535, 65_536, 1_000_000] {
            let text = String(repeating: "é", count: length / 2) + (length % 2 == 1 ? "x" : "")
            let payload = Array(text.utf8)
            let expected = Array("$\(payload.count)\r\n".utf8) + payload + Array("\r\n".utf8)
            var fromText = ByteBuffer(string: "*")
            fromText.writeRESPBulk(text)
            #expect(Array(fromText.readableBytesView.dropFirst()) == expected, "length \(length)")
            var fromBuffer = ByteBuffer()
            fromBuffer.writeRESPBulk(ByteBuffer(bytes: payload))
            #expect(Array(fromBuffer.readableBytesView) == expected, "length \(length)")
        }
        var binary = ByteBuffer()
        binary.writeRESPBulk(ByteBuffer(bytes: [0, 13, 10, 36, 255]))
        #expect(Array(binary.readableBytesView) == Array("$5\r\n".utf8) + [0, 13, 10, 36, 255] + Array("\r\n".utf8))
    }

    /// `argument(at:)` reads in place what `arguments` splits out, and nothing past the end.
    @Test func argumentAtMatchesArguments() {
        let commands = [
            RESPCommand("GET", "key"), RESPCommand("SET", "", ByteBuffer(bytes: [13, 10, 36])),
            RESPCommand("HSET", arguments: ["h", "f", "v", String(repeating: "y", count: 70_000)]), RESPCommand("PING"),
        ]
        for c in commands {
            let all = c.arguments
            for (i, a) in all.enumerated() { #expect(c.argument(at: i) == a) }
            #expect(c.argument(at: all.count) == nil)
            #expect(c.nameBytes == all.first)
        }
        #expect(RESPCommand(argv: []).argument(at: 0) == nil)
    }
}

@Suite struct RESPParserTests {
    @Test func everyTypeDecodes() throws {
        for (frame, expected) in samples {
            #expect(try parseAll(Array(frame.utf8)) == [expected], "\(frame.debugDescription)")
        }
    }

    @Test func nanDouble() throws {
        guard case .double(let d)? = try parseAll(Array(",nan\r\n".utf8)).first else {
            Issue.record("not a double"); return
        }
        #expect(d.isNaN)
    }

    @Test func everySplitPointGivesTheSameResult() throws {
        let stream = samples.map(\.0).joined()
        let bytes = Array(stream.utf8)
        let expected = samples.map(\.1)
        for split in 0...bytes.count {
            #expect(try parseAll(bytes, splits: [split]) == expected, "split at \(split)")
        }
        // Byte by byte.
        #expect(try parseAll(bytes, splits: Array(0...bytes.count)) == expected)
        // Random multi-way splits.
        var g = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let cuts = (0..<5).map { _ in Int.random(in: 0...bytes.count, using: &g) }.sorted()
            #expect(try parseAll(bytes, splits: cuts) == expected, "splits \(cuts)")
        }
    }

    @Test func bulkPayloadIsASliceNotACopy() throws {
        var buffer = b("$3\r\nabc\r\n")
        var parser = RESPParser()
        let v = try parser.next(from: &buffer)
        #expect(v == .bulkString(b("abc")))
    }

    @Test(arguments: [
        ("?x\r\n", RESPProtocolError.Kind.invalidTypeMarker),
        (":12a\r\n", .malformedNumber),
        (":99999999999999999999\r\n", .malformedNumber),
        ("$abc\r\n", .malformedNumber),
        ("$-2\r\n", .malformedNumber),
        ("$3\r\nabcde\r\n", .missingCRLF),
        ("+OK\rX", .missingCRLF),
        ("+O\nK\r\n", .missingCRLF),
        ("#x\r\n", .malformedNumber),
        (",1.2.3x\r\n", .malformedNumber),
        ("(12a\r\n", .malformedNumber),
        ("_x\r\n", .malformedNumber),
        ("=2\r\nab\r\n", .malformedNumber),
        ("*-5\r\n", .malformedNumber),
        ("$?\r\n", .unsupported),
        ("*?\r\n", .unsupported),
        ("!-1\r\n", .malformedNumber),
    ])
    func garbageIsATypedError(frame: String, kind: RESPProtocolError.Kind) {
        #expect(throws: RESPProtocolError.self) { _ = try parseAll(Array(frame.utf8)) }
        do { _ = try parseAll(Array(frame.utf8)) } catch let e as RESPProtocolError { #expect(e.kind == kind, "\(frame.debugDescription)") } catch {}
    }

    @Test func limitsTurnHostileLengthsIntoErrors() {
        let limits = RESPDecoderLimits(maxBulkLength: 1024, maxAggregateLength: 100, maxDepth: 4, maxLineLength: 64)
        func kind(_ s: String) -> RESPProtocolError.Kind? {
            do { _ = try parseAll(Array(s.utf8), limits: limits); return nil } catch let e as RESPProtocolError { return e.kind } catch { return nil }
        }
        #expect(kind("$9223372036854775807\r\n") == .bulkTooLong)
        #expect(kind("$1025\r\n") == .bulkTooLong)
        #expect(kind("*101\r\n") == .aggregateTooLong)
        #expect(kind("%101\r\n") == .aggregateTooLong)
        #expect(kind("*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n") == .nestingTooDeep)
        #expect(kind("+" + String(repeating: "a", count: 100)) == .lineTooLong)
        #expect(kind("*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n") == nil)
        // Defaults: an absurd length is refused, never allocated.
        #expect(throws: RESPProtocolError.self) { _ = try parseAll(Array("*999999999999\r\n".utf8)) }
        #expect(throws: RESPProtocolError.self) { _ = try parseAll(Array("$99999999999\r\n".utf8)) }
    }

    @Test func incompleteInputWaits() throws {
        var parser = RESPParser()
        var buffer = b("*2\r\n$3\r\nfo")
        #expect(try parser.next(from: &buffer) == nil)
        #expect(parser.isMidValue)
        buffer.writeString("o\r\n:7\r\n")
        #expect(try parser.next(from: &buffer) == .array([.bulkString(b("foo")), .integer(7)]))
        #expect(!parser.isMidValue)
    }

    @Test func largeArrayArrivingInSmallPiecesParsesOnce() throws {
        let n = 20_000
        var text = "*\(n)\r\n"
        for i in 0..<n { text += "$\(String(i).utf8.count)\r\n\(i)\r\n" }
        let bytes = Array(text.utf8)
        let values = try parseAll(bytes, splits: Array(stride(from: 0, to: bytes.count, by: 97)))
        guard case .array(let a)? = values.first else { Issue.record("no array"); return }
        #expect(a.count == n)
        #expect(a.last == .bulkString(b(String(n - 1))))
    }
}

@Suite struct RESPEncoderTests {
    @Test func commandEncoding() {
        let command = RESPCommand("SET", "key", 42, ["a", "b"], Optional<String>.none, -7, 1.5)
        var out = ByteBuffer()
        command.write(into: &out)
        #expect(String(buffer: out) == "*7\r\n$3\r\nSET\r\n$3\r\nkey\r\n$2\r\n42\r\n$1\r\na\r\n$1\r\nb\r\n$2\r\n-7\r\n$3\r\n1.5\r\n")
        #expect(command.count == 7)
        #expect(command.name == "SET")
        #expect(command.arguments.map { String(buffer: $0) } == ["SET", "key", "42", "a", "b", "-7", "1.5"])
    }

    @Test func integersOfEveryWidth() {
        for v in [0, 9, 10, 99, 100, -1, -10, Int.max, Int.min] {
            var out = ByteBuffer()
            out.writeRESPBulk(v)
            #expect(String(buffer: out) == "$\(String(v).utf8.count)\r\n\(v)\r\n")
        }
    }

    @Test func valuesRoundTrip() throws {
        for (_, value) in samples {
            guard case .push = value else {
                var out = ByteBuffer()
                out.writeRESPValue(value)
                var parser = RESPParser()
                #expect(try parser.next(from: &out) == value)
                continue
            }
        }
    }
}
