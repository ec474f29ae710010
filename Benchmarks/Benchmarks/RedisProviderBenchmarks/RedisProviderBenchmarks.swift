import Benchmark
import Foundation
import NIOCore
import NIOPosix
import RESP
import RedisProvider

/// Instructions and allocations per operation through each layer, from the RESP encoder to a
/// cluster client's GET. The network benchmarks talk to ``FixedReplyServer`` in this process,
/// which allocates nothing per command: the allocations counted are the client's.
///
/// The thresholds in `Thresholds/` hold the allocation counts; `swift package benchmark
/// thresholds check` fails when one grows by more than the tolerance below, which is less
/// than one allocation per operation. (Names have no spaces: the check looks for the file of
/// a name as written, the update writes spaces as underscores.)
let benchmarks: @Sendable () -> Void = {
    // Time and instructions vary from machine to machine and run to run; allocations do not.
    let checked: [BenchmarkMetric] = [.mallocCountTotal]
    let metrics: [BenchmarkMetric] =
        ProcessInfo.processInfo.environment["CI"] != nil ? checked : checked + [.instructions, .wallClock, .throughput]
    Benchmark.defaultConfiguration = .init(
        metrics: metrics, scalingFactor: .kilo, maxDuration: .seconds(2), maxIterations: 50,
        thresholds: [.mallocCountTotal: .init(relative: [.p90: 5.0])])

    Benchmark("RESP_encode_GET") { benchmark in
        var buffer = ByteBuffer()
        buffer.reserveCapacity(64)
        for _ in benchmark.scaledIterations {
            buffer.clear()
            RESPCommand("GET", "key:000000012345").write(into: &buffer)
            blackHole(buffer.readableBytes)
        }
    }

    Benchmark("RESP_encode_SET_16-byte_value") { benchmark in
        var buffer = ByteBuffer()
        buffer.reserveCapacity(64)
        let value = ByteBuffer(repeating: UInt8(ascii: "x"), count: 16)
        for _ in benchmark.scaledIterations {
            buffer.clear()
            RESPCommand("SET", "key:000000012345", value).write(into: &buffer)
            blackHole(buffer.readableBytes)
        }
    }

    Benchmark("RESP_parse_50_bulk_replies") { benchmark in
        var replies = ByteBuffer()
        for _ in 0..<50 { replies.writeString("$16\r\nxxxxxxxxxxxxxxxx\r\n") }
        var parser = RESPParser()
        for _ in benchmark.scaledIterations {
            var input = replies
            while let value = try parser.next(from: &input) { blackHole(value) }
        }
    }

    Benchmark("HashSlot_of_a_key") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(HashSlot.slot(for: "key:000000012345"))
        }
    }

    Benchmark("RedisConnection_GET_round_trip") { benchmark in
        let server = try await FixedReplyServer.start()
        let connection = try await RedisConnection.connect(
            to: RedisEndpoint(host: "127.0.0.1", port: server.port), configuration: RedisClientConfiguration())
        let command = RESPCommand("GET", "foo")
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try await connection.send(command))
        }
        benchmark.stopMeasurement()
        await connection.close()
        await server.stop()
    }

    Benchmark("RedisClient_GET") { benchmark in
        try await measure(benchmark, { try RedisClient(endpoint: $0) }) { client in blackHole(try await client.get("foo")) }
    }

    Benchmark("RedisClient_SET") { benchmark in
        try await measure(benchmark, { try RedisClient(endpoint: $0) }) { client in try await client.set("foo", "Bar") }
    }

    Benchmark("RedisClusterClient_GET") { benchmark in
        try await measure(benchmark, { try RedisClusterClient(seeds: [$0]) }) { client in blackHole(try await client.get("foo")) }
    }

    let sixteenGets = Array(repeating: RESPCommand("GET", "foo"), count: 16)
    Benchmark("RedisClient_pipeline_of_16_GETs") { benchmark in
        try await measure(benchmark, { try RedisClient(endpoint: $0) }) { client in blackHole(await client.pipeline(sixteenGets)) }
    }
}

/// Starts a ``FixedReplyServer`` and a client of it, sends one GET (connection and, for a
/// cluster, discovery done), then measures `operation` over the benchmark's iterations.
func measure<Client: RedisClientProtocol>(
    _ benchmark: Benchmark, _ makeClient: (RedisEndpoint) throws -> Client,
    _ operation: (Client) async throws -> Void
) async throws {
    let server = try await FixedReplyServer.start()
    let client = try makeClient(RedisEndpoint(host: "127.0.0.1", port: server.port))
    _ = try await client.get("foo")
    benchmark.startMeasurement()
    for _ in benchmark.scaledIterations { try await operation(client) }
    benchmark.stopMeasurement()
    await client.shutdown()
    await server.stop()
}
