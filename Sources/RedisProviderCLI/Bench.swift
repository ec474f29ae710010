import ArgumentParser
import Foundation
import Histogram
import NIOCore
import NIOPosix
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

            Like redis-benchmark, the client runs on one thread by default: an event loop of
            its own, with every caller pinned to it and one connection per node (a command and
            its reply stay on one thread). --threads N gives it N such loops, a connection per
            node on each, callers spread over them (thread-per-core, as an application gets by
            running its handlers on NIO's event loops). --shared-loops runs it as an
            application's would out of the box instead: callers on Swift's global executor,
            connections on NIO's shared event loops.

            With --compare, redis-benchmark runs right after with the same flags (and
            --threads N when N > 1) against the same server, and the ratio of requests per
            second is printed.

            Examples:
              redis-provider bench -c 50 -n 200000 -d 16 -t set,get -r 100000 --compare
              redis-provider bench -c 50 -n 200000 -t set,get -r 100000 --threads 2 --compare
              redis-provider bench -c 50 -n 200000 -t set,get -r 100000 --shared-loops --compare
              redis-provider bench -t get --duration 15 --json
              redis-provider bench -c 50 -P 16 -t get -r 100000 --compare   # explicit pipelines
              redis-provider bench -t get,cacheget -r 100000     # the cache layer next to raw GET
              redis-provider bench --memory-cache -t set,get,cacheget -r 100000 -d 100
              redis-provider bench --stream-consumers 1,4 -n 200000 -d 16    # consumer-group workers

            -t script runs an INCRBY script through RedisScript, -t evalsha the same script as a
            raw EVALSHA command (the cost of RedisScript next to it), -t lock takes and gives back
            a RedisLock per request (two round trips), -t ratelimit checks a RedisRateLimiter per
            request (one script run).

            -t cacheget runs getOrSet hits through RedisCacheProvider on the keys GET reads
            (stored first as JSON strings of -d bytes); cachegetraw the same hits as bytes
            (getOrSetBytes, no decoding); cachegetstruct hits of a small struct decoded by
            JSONDecoder. --memory-cache needs no server: it runs -t set, get and the cache tests
            on a MemoryCacheProvider holding -r entries (default 100000) and reports the
            resident memory each entry costs.

            Requests slower than --stall-ms (50) are reported as stalls per shard (its primary
            when the run started): how many, the longest, when the first was sent and when
            the shard answered again, first and last — what a failover cost the callers.
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

    @Option(name: .customShort("P"), help: "Pipeline this many commands per request of each caller (pipeline(_:)), like redis-benchmark -P.")
    var pipelineDepth = 1

    @Option(name: .customShort("r"), help: "Use random keys from 0 to N-1 (key:000000012345) instead of one key.")
    var keyspace: Int?

    @Option(name: .long, help: "Run each test for this many seconds instead of -n requests.")
    var duration: Double?

    @Option(name: .long, help: "Report requests slower than this many milliseconds as stalls, by shard, with when the shard answered again.")
    var stallMs: Double = 50

    @Option(name: .long, help: "Event-loop threads of the client's own, each with its callers and one connection per node.")
    var threads = 1

    @Flag(name: .long, help: "Run as an application does out of the box: callers on Swift's global executor, connections on NIO's shared event loops (ignores --threads).")
    var sharedLoops = false

    @Flag(name: .long, help: "Print the results as JSON.")
    var json = false

    @Flag(name: .long, help: "Also run redis-benchmark with the same flags against the same server and print the ratio.")
    var compare = false

    @Option(name: .long, help: "Open this many idle connections and report the memory each costs.")
    var idleConnections: Int?

    @Option(name: .long, help: "Before the tests, keep this many callers waiting on a standalone server (paused with CLIENT PAUSE) and report the memory each costs.")
    var waitingCallers: Int?

    @Option(name: .long, help: "Instead of -t, measure stream consumer groups: -n entries of -d bytes worked through by each of these numbers of RedisStreamConsumer workers (e.g. 1,4).")
    var streamConsumers: String?

    @Flag(name: .long, help: "Benchmark MemoryCacheProvider (no server): -t set,get,cacheget over -r entries, and bytes per entry.")
    var memoryCache = false

    func validate() throws {
        guard clients >= 1, clients <= 10_000 else { throw ValidationError("-c must be from 1 to 10000") }
        guard requests >= 1 else { throw ValidationError("-n must be at least 1") }
        guard (1...10_000).contains(pipelineDepth) else { throw ValidationError("-P must be from 1 to 10000") }
        if pipelineDepth > 1, try parsedTests().contains(where: { $0.cacheValueKind != nil }) {
            throw ValidationError("-P pipelines commands; the cache tests (cacheget, cachegetraw, cachegetstruct) have none")
        }
        guard dataSize >= 0, dataSize <= 512 * 1024 * 1024 else { throw ValidationError("-d must be from 0 to 512 MiB") }
        if let keyspace, keyspace < 1 { throw ValidationError("-r must be at least 1") }
        if streamConsumers != nil {
            guard let counts = try? parsedStreamConsumers(), !counts.isEmpty, counts.allSatisfy((1...1000).contains) else {
                throw ValidationError("--stream-consumers takes comma-separated worker counts from 1 to 1000, e.g. 1,4")
            }
        }
        guard (1...64).contains(threads) else { throw ValidationError("--threads must be from 1 to 64") }
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
        guard stallMs > 0 else { throw ValidationError("--stall-ms must be positive") }
        let parsed = try parsedTests()
        if memoryCache {
            guard parsed.allSatisfy(Self.memoryCacheTests.contains) else {
                throw ValidationError("With --memory-cache, -t takes set, get, cacheget, cachegetraw and cachegetstruct")
            }
            guard !compare, idleConnections == nil else { throw ValidationError("--memory-cache runs without a server: drop --compare and --idle-connections") }
        }
    }

    func parsedStreamConsumers() throws -> [Int] {
        try (streamConsumers ?? "").split(separator: ",").map { part in
            guard let n = Int(part) else { throw ValidationError("Not a number of workers: '\(part)'") }
            return n
        }
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
        if memoryCache { return try await runMemoryCache() }
        let settings = try await connection.settings()
        let url = settings.url!
        let group = sharedLoops ? nil : MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let executors = group.map { Array($0.makeIterator()).map(EventLoopExecutor.init) } ?? []
        let client: RedisProvider
        do {
            client = try connection.makeProvider(
                settings, connectionsPerEventLoop: group != nil, eventLoopGroup: group ?? MultiThreadedEventLoopGroup.singleton)
        } catch {
            try? await group?.shutdownGracefully()
            throw error
        }
        do {
            try await measure(client, url: url, executors: executors)
        } catch {
            await client.shutdown()
            try? await group?.shutdownGracefully()
            throw error
        }
        await client.shutdown()
        try await group?.shutdownGracefully()
    }

    /// Runs the tests against the server and prints the results (and the comparison).
    private func measure(_ client: RedisProvider, url: RedisURL, executors: [EventLoopExecutor]) async throws {
        _ = try await client.execute(RESPCommand("PING"))
        if streamConsumers != nil { return try await measureStreamConsumers(client, counts: try parsedStreamConsumers()) }
        var waiting: WaitingCallerCost?
        if let n = waitingCallers { waiting = try await measureWaitingCallers(n, client: client, url: url) }
        var results: [BenchResult] = []
        let tests = try parsedTests()
        var stored: BenchTest.CacheValueKind?  // the cache values the keys hold
        let shards = await ShardNames(client, url: url)
        if tests.contains(.evalsha) || (tests.contains(.script) && pipelineDepth > 1) {
            try await BenchTest.incrementScript.load(on: client)  // EVALSHA alone has no fallback
        }
        for test in tests {
            if let kind = test.cacheValueKind, kind != stored {
                try await storeCacheValues(RedisCacheProvider(redis: client), keyspace: keyspace, value: kind.value(size: dataSize))
                stored = kind
            }
            if test.writesKeys { stored = nil }
            var runner = BenchRunner(
                name: test.reportName, operation: test.operation(client: client, valueSize: dataSize), callers: clients,
                requests: requests, duration: duration, keyspace: keyspace, progress: !json && isatty(2) == 1,
                executors: executors, stallThreshold: .microseconds(Int64(stallMs * 1000)), shards: shards)
            if pipelineDepth > 1, let operation = test.pipelineOperation(client: client, valueSize: dataSize) {
                runner.pipeline = (pipelineDepth, operation)
            }
            let result = try await runner.run()
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
            print(
                try BenchReport(
                    results: results, residentBytes: rss, idleConnections: idle, redisBenchmark: comparison, waitingCallers: waiting
                ).json())
        } else {
            print("resident memory of this process: \(rss / 1_048_576) MiB")
            if let idle { print("idle connections: \(idle.count), \(idle.bytesPerConnection) bytes each (resident memory delta)") }
            if let waiting {
                print(
                    "waiting callers: \(waiting.count), \(waiting.bytesPerCaller) bytes each (resident memory delta; a task that only sleeps: \(waiting.bytesPerSleepingTask)), \(waiting.errors) errors"
                )
            }
        }
    }

    /// Runs redis-benchmark with the same flags and returns requests/s per test name.
    private func runRedisBenchmark(url: RedisURL) throws -> [String: Double] {
        let endpoint = url.endpoints[0]
        let theirTests = try parsedTests().filter(\.redisBenchmarkKnows).map(\.rawValue).joined(separator: ",")
        guard !theirTests.isEmpty else { return [:] }
        var args = ["-h", endpoint.host, "-p", String(endpoint.port), "-c", String(clients), "-n", String(requests),
                    "-d", String(dataSize), "-t", theirTests, "--csv"]
        if let keyspace { args += ["-r", String(keyspace)] }
        if pipelineDepth > 1 { args += ["-P", String(pipelineDepth)] }
        if !sharedLoops, threads > 1 { args += ["--threads", String(threads)] }
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

    /// Starts `n` GETs while the server is paused (`CLIENT PAUSE` from a connection of its
    /// own), so that all of them wait at once, and reports the resident memory they add: the
    /// task, its continuation, the queued request and its place in flight, per caller.
    private func measureWaitingCallers(_ n: Int, client: RedisProvider, url: RedisURL) async throws -> WaitingCallerCost {
        guard !url.mode.isCluster else { throw ValidationError("--waiting-callers measures against a standalone server") }
        let pauser = try await RedisConnection.connect(to: url.endpoints[0], configuration: RedisClientConfiguration(url: url))
        let pause = Duration.seconds(2)
        let before = residentMemory()
        // First as many tasks that only sleep: the part of the cost that is the task's own.
        // (Their memory is reused by the callers after them, so both deltas are taken from
        // the same starting point.)
        let bare = try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<n { group.addTask { try await Task.sleep(for: pause / 4) } }
            try await Task.sleep(for: pause / 8)
            let during = residentMemory()
            try await group.waitForAll()
            return during
        }
        _ = try await pauser.send(RESPCommand("CLIENT", "PAUSE", "2000", "ALL"))
        let started = ContinuousClock.now
        let (during, errors) = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<n {
                group.addTask { (try? await client.execute(RESPCommand("GET", BenchRunner.key(i)))) != nil }
            }
            // Every caller has queued its command long before the pause ends.
            try await Task.sleep(until: started + pause / 2)
            let during = residentMemory()
            var errors = 0
            for try await ok in group where !ok { errors += 1 }
            return (during, errors)
        }
        await pauser.close()
        return WaitingCallerCost(
            count: n, bytesPerCaller: max(0, during - before) / max(n, 1), bytesPerSleepingTask: max(0, bare - before) / max(n, 1),
            errors: errors)
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

extension Bench {
    static let memoryCacheTests: [BenchTest] = [.set, .get, .cacheget, .cachegetraw, .cachegetstruct]

    /// The keys the benchmark reads (`key:__rand_int__`, or every key of -r), stored through
    /// the cache as JSON strings of -d bytes, in batches.
    func storeCacheValues(_ cache: some CacheProvider, keyspace: Int?, value: any Encodable & Sendable) async throws {
        guard let keyspace else { return try await cache.set("key:__rand_int__", value) }
        var batch: [String: any Encodable] = [:]
        for i in 0..<keyspace {
            batch[BenchRunner.key(i)] = value
            if batch.count == 1000 || i == keyspace - 1 {
                try await cache.set(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
    }

    /// `--memory-cache`: fills a MemoryCacheProvider with -r entries (measuring the resident
    /// memory they add), then runs -t set, get and cacheget against it with -c callers.
    func runMemoryCache() async throws {
        let entries = keyspace ?? 100_000
        let before = residentMemory()
        let cache = MemoryCacheProvider(maxEntries: entries, maxBytes: Int.max / 2)
        try await storeCacheValues(cache, keyspace: entries, value: String(repeating: "x", count: dataSize))
        let after = residentMemory()
        let usage = cache.usage
        let cost = MemoryCacheCost(
            entries: usage.entries, valueBytes: dataSize + 2, accountedBytesPerEntry: usage.bytes / max(usage.entries, 1),
            residentBytesPerEntry: max(0, after - before) / max(usage.entries, 1))
        if !json {
            print("memory cache: \(cost.entries) entries of \(cost.valueBytes)-byte JSON values under 16-byte keys: "
                + "\(cost.residentBytesPerEntry) bytes of resident memory per entry (\(cost.accountedBytesPerEntry) of them keys and values)")
        }
        let value = String(repeating: "x", count: dataSize)
        var results: [BenchResult] = []
        var stored: BenchTest.CacheValueKind? = .string
        for test in try parsedTests() {
            if let kind = test.cacheValueKind ?? (test == .get ? .string : nil), kind != stored {
                try await storeCacheValues(cache, keyspace: entries, value: kind.value(size: dataSize))
                stored = kind
            }
            let operation: BenchRunner.Operation
            switch test {
            case .set:
                operation = { key in try await cache.set(key, value) }
                stored = .string
            case .get: operation = { key in _ = try await cache.get(key, as: String.self) }
            default: operation = test.cacheOperation(cache, valueSize: dataSize)!
            }
            let result = try await BenchRunner(
                name: "MEMORY " + test.reportName.replacingOccurrences(of: "CACHE ", with: ""), operation: operation, callers: clients,
                requests: requests, duration: duration, keyspace: entries, progress: !json && isatty(2) == 1
            ).run()
            results.append(result)
            if !json { print(result.line) }
        }
        if json {
            print(try BenchReport(results: results, residentBytes: residentMemory(), idleConnections: nil, redisBenchmark: [:], memoryCache: cost).json())
        }
    }
}

/// What a memory cache entry costs.
struct MemoryCacheCost: Codable {
    var entries: Int
    /// Bytes of each stored value (a JSON string of -d bytes).
    var valueBytes: Int
    /// Keys and values, as the cache counts them against `maxBytes`.
    var accountedBytesPerEntry: Int
    /// The resident memory the entries added, per entry.
    var residentBytesPerEntry: Int
}

/// Resident memory of this process, from /proc/self/statm.
func residentMemory() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// What `--waiting-callers` measured.
struct WaitingCallerCost: Codable {
    var count: Int
    var bytesPerCaller: Int
    /// What a task that only sleeps costs: the part of `bytesPerCaller` that is not the client's.
    var bytesPerSleepingTask: Int
    var errors: Int
}

struct IdleConnectionCost: Codable {
    var count: Int
    var bytesPerConnection: Int
}
