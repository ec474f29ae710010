import ArgumentParser
import Foundation
import Histogram
import NIOCore
import RESP
import RedisProvider
import Synchronization

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure requests per second and latency, like redis-benchmark.",
        discussion: """
            Each of the -c callers is an independent task that awaits its reply before sending
            its next command, as an application's request handlers do: any batching comes from
            the client library's auto-pipelining, never from the benchmark.

            With --compare, redis-benchmark runs right after with the same flags against the
            same server, and the ratio of requests per second is printed.

            Examples:
              redis-provider bench -c 50 -n 200000 -d 16 -t set,get -r 100000 --compare
              redis-provider bench -t get --duration 15 --json
            """
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(name: .customShort("c"), help: "Concurrent callers.")
    var clients = 50

    @Option(name: .customShort("n"), help: "Requests per test.")
    var requests = 100_000

    @Option(name: .customShort("d"), help: "Value size in bytes for SET-like tests.")
    var dataSize = 3

    @Option(name: .customShort("t"), help: "Comma-separated tests: \(BenchTest.allCases.map(\.rawValue).joined(separator: ",")).")
    var tests = "set,get"

    @Option(name: .customShort("r"), help: "Use random keys from 0 to N-1 (key:000000012345) instead of one key.")
    var keyspace: Int?

    @Option(name: .long, help: "Run each test for this many seconds instead of -n requests.")
    var duration: Double?

    @Flag(name: .long, help: "Print the results as JSON.")
    var json = false

    @Flag(name: .long, help: "Also run redis-benchmark with the same flags against the same server and print the ratio.")
    var compare = false

    @Option(name: .long, help: "Open this many idle connections and report the memory each costs.")
    var idleConnections: Int?

    func validate() throws {
        guard clients >= 1, clients <= 10_000 else { throw ValidationError("-c must be from 1 to 10000") }
        guard requests >= 1 else { throw ValidationError("-n must be at least 1") }
        guard dataSize >= 0, dataSize <= 512 * 1024 * 1024 else { throw ValidationError("-d must be from 0 to 512 MiB") }
        if let keyspace, keyspace < 1 { throw ValidationError("-r must be at least 1") }
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
        _ = try parsedTests()
    }

    func parsedTests() throws -> [BenchTest] {
        try tests.split(separator: ",").map { name in
            guard let t = BenchTest(rawValue: name.lowercased()) else {
                throw ValidationError("Unknown test '\(name)'; known: \(BenchTest.allCases.map(\.rawValue).joined(separator: ","))")
            }
            return t
        }
    }

    func run() async throws {
        let url = try connection.resolvedURL()
        let client = try connection.makeClient(url)
        _ = try await client.execute(RESPCommand("PING"))
        var results: [BenchResult] = []
        for test in try parsedTests() {
            let result = try await BenchRunner(
                client: client, test: test, callers: clients, requests: requests, duration: duration,
                keyspace: keyspace, valueSize: dataSize, progress: !json && isatty(2) == 1
            ).run()
            results.append(result)
            if !json { print(result.line) }
        }
        let rss = residentMemory()
        var idle: IdleConnectionCost?
        if let n = idleConnections {
            idle = try await measureIdleConnections(n, url: url)
        }
        var comparison: [String: Double] = [:]
        if compare {
            comparison = try runRedisBenchmark(url: url)
            if !json {
                for r in results {
                    if let theirs = comparison[r.name] {
                        print(String(format: "%@: redis-benchmark %.0f requests/s, p99=%.3f ms; redis-provider/redis-benchmark = %.2fx", r.name, theirs, comparison[r.name + " p99 ms"] ?? .nan, r.requestsPerSecond / theirs))
                    }
                }
            }
        }
        if json {
            print(try BenchReport(results: results, residentBytes: rss, idleConnections: idle, redisBenchmark: comparison).json())
        } else {
            print("resident memory of this process: \(rss / 1_048_576) MiB")
            if let idle { print("idle connections: \(idle.count), \(idle.bytesPerConnection) bytes each (resident memory delta)") }
        }
        await connection.shutdown(client)
    }

    /// Runs redis-benchmark with the same flags and returns requests/s per test name.
    private func runRedisBenchmark(url: RedisURL) throws -> [String: Double] {
        let endpoint = url.endpoints[0]
        var args = ["-h", endpoint.host, "-p", String(endpoint.port), "-c", String(clients), "-n", String(requests),
                    "-d", String(dataSize), "-t", tests, "--csv"]
        if let keyspace { args += ["-r", String(keyspace)] }
        if let password = url.password { args += ["-a", password] }
        if let user = url.username { args += ["--user", user] }
        if url.tls { args += ["--tls", "--insecure"] }
        if url.mode.isCluster { args.append("--cluster") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["redis-benchmark"] + args
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        var result: [String: Double] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
            guard fields.count >= 2, let rps = Double(fields[1]) else { continue }
            // redis-benchmark names SET as "SET", GET as "GET", LPUSH as "LPUSH" …
            result[fields[0].uppercased()] = rps
            if fields.count >= 7, let p99 = Double(fields[6]) { result[fields[0].uppercased() + " p99 ms"] = p99 }
        }
        return result
    }

    private func measureIdleConnections(_ n: Int, url: RedisURL) async throws -> IdleConnectionCost {
        let configuration = RedisClientConfiguration(url: url)
        let before = residentMemory()
        var connections: [RedisConnection] = []
        for _ in 0..<n {
            connections.append(try await RedisConnection.connect(to: url.endpoints[0], configuration: configuration))
        }
        try await Task.sleep(for: .milliseconds(200))
        let after = residentMemory()
        for c in connections { await c.close(graceful: false) }
        return IdleConnectionCost(count: n, bytesPerConnection: max(0, after - before) / max(n, 1))
    }
}

/// Resident memory of this process, from /proc/self/statm.
func residentMemory() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

struct IdleConnectionCost: Codable {
    var count: Int
    var bytesPerConnection: Int
}
