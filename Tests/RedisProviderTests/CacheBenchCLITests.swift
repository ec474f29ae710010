import Foundation
import NIOCore
import RedisProvider
import RedisProviderTestSupport
import Testing

/// `redis-provider bench`'s cache tests, run as a user would: right names, right counts, no errors.
@Suite struct CacheBenchCLITests {
    static func report(_ run: CLITests.Run) throws -> (results: [[String: Any]], report: [String: Any]) {
        let report = try JSONSerialization.jsonObject(with: run.stdout) as? [String: Any] ?? [:]
        return (report["results"] as? [[String: Any]] ?? [], report)
    }

    @Test func cacheTestsBesideGET() async throws {
        try await withServer { server in
            // SET first writes raw bytes to the keys; the cache tests must store their own values.
            let run = try await CLITests.cli([
                "bench", "--url", server.url, "-c", "5", "-n", "2000", "-r", "100", "-d", "8",
                "-t", "set,get,cacheget,cachegetraw,cachegetstruct,cacheget", "--json",
            ])
            #expect(run.status == 0, "\(run.stderr)")
            let (results, _) = try Self.report(run)
            #expect(results.compactMap { $0["name"] as? String } == [
                "SET", "GET", "CACHE GETORSET (hit)", "CACHE GETORSETBYTES (hit)", "CACHE GETORSET (hit, struct)", "CACHE GETORSET (hit)",
            ])
            for result in results {
                #expect(result["requests"] as? Int == 2000)
                #expect((result["errors"] as? [String: Int])?.isEmpty == true, "\(result)")
            }
            // The keys hold what the last cache test stored: JSON strings of -d bytes, read as hits.
            let client = try RedisClient(url: server.url)
            #expect(try await client.get("key:000000000042", as: String.self) == "\"xxxxxxxx\"")
            #expect(try await client.dbsize() == 100)
            await client.shutdown()
        }
    }

    @Test func memoryCacheModeNeedsNoServer() async throws {
        let run = try await CLITests.cli([
            "bench", "--memory-cache", "-c", "5", "-n", "5000", "-r", "1000", "-d", "10", "-t", "set,get,cacheget,cachegetstruct,get",
            "--json",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let (results, report) = try Self.report(run)
        #expect(results.compactMap { $0["name"] as? String } == [
            "MEMORY SET", "MEMORY GET", "MEMORY GETORSET (hit)", "MEMORY GETORSET (hit, struct)", "MEMORY GET",
        ])
        for result in results { #expect((result["errors"] as? [String: Int])?.isEmpty == true, "\(result)") }
        let cost = report["memoryCache"] as? [String: Int]
        #expect(cost?["entries"] == 1000)
        #expect(cost?["accountedBytesPerEntry"] == 16 + 12)  // key:000000000042 and "xxxxxxxxxx"
        #expect((cost?["residentBytesPerEntry"] ?? 0) >= 0)

        let wrong = try await CLITests.cli(["bench", "--memory-cache", "-t", "lpush"])
        #expect(wrong.status == 2)
        #expect(wrong.stderr.contains("--memory-cache"))
    }
}
