import Testing

@testable import RedisProvider

@Suite struct RedisURLTests {
    @Test func seedForms() throws {
        let cluster = try RedisURL("redis://redis-cluster.redis.svc.cluster.local:6379?cluster=true")
        #expect(cluster.endpoints == [RedisEndpoint(host: "redis-cluster.redis.svc.cluster.local", port: 6379)])
        #expect(cluster.options.cluster == true)
        #expect(!cluster.tls)

        let standalone = try RedisURL("redis://redis-livekit.redis.svc.cluster.local:6379")
        #expect(standalone.options.cluster == nil)

        let multi = try RedisURL(
            "redis://redis-cluster-ceph-0.redis-cluster.redis.svc.cluster.local:6379,redis://redis-cluster-ceph-1.redis-cluster.redis.svc.cluster.local:6379,redis://redis-cluster-ceph-2.redis-cluster.redis.svc.cluster.local:6379"
        )
        #expect(multi.endpoints.map(\.host) == (0..<3).map { "redis-cluster-ceph-\($0).redis-cluster.redis.svc.cluster.local" })

        let short = try RedisURL("redis://10.42.9.221:6379,10.42.6.18:6380,10.42.0.247")
        #expect(short.endpoints == [
            RedisEndpoint(host: "10.42.9.221", port: 6379), RedisEndpoint(host: "10.42.6.18", port: 6380),
            RedisEndpoint(host: "10.42.0.247", port: 6379),
        ])
    }

    @Test func credentialsDatabaseAndOptions() throws {
        let u = try RedisURL("rediss://app:s%40cr%2Ft@[::1]:7000/3?timeout=250ms&connect_timeout=2&client_name=api&protocol=2&connections=4&max_in_flight=10&tls_ca_file=/ca.pem&tls_server_name=redis.local&tls_insecure=false")
        #expect(u.tls)
        #expect(u.username == "app")
        #expect(u.password == "s@cr/t")
        #expect(u.endpoints == [RedisEndpoint(host: "::1", port: 7000)])
        #expect(u.database == 3)
        #expect(u.options.commandTimeout == .milliseconds(250))
        #expect(u.options.connectTimeout == .seconds(2))
        #expect(u.options.clientName == "api")
        #expect(u.options.protocolVersion == 2)
        #expect(u.options.connectionsPerNode == 4)
        #expect(u.options.maxInFlight == 10)
        #expect(u.options.tlsCAFile == "/ca.pem")
        #expect(u.options.tlsServerName == "redis.local")
        #expect(u.options.tlsInsecure == false)
        let c = RedisClientConfiguration(url: u)
        #expect(c.tls?.caFile == "/ca.pem")
        #expect(c.database == 3)
        #expect(c.commandTimeout == .milliseconds(250))

        let passwordOnly = try RedisURL("redis://:pw@host")
        #expect(passwordOnly.username == nil)
        #expect(passwordOnly.password == "pw")
        #expect(passwordOnly.endpoints[0].port == 6379)

        let secretFile = try RedisURL("redis://host:6379\n")
        #expect(secretFile.endpoints[0].host == "host")
    }

    @Test func descriptionRedactsThePassword() throws {
        let u = try RedisURL("redis://user:hunter2@host:6379/1?cluster=true")
        #expect(!u.description.contains("hunter2"))
        #expect(u.description == "redis://user:***@host:6379/1?cluster=true")
        #expect(!"\(u)".contains("hunter2"))
    }

    @Test(arguments: [
        ("", "empty"),
        ("http://host:6379", "redis://"),
        ("host:6379", "redis://"),
        ("redis://host:0", "port"),
        ("redis://host:65536", "port"),
        ("redis://host:abc", "port"),
        ("redis://:6379", "empty host"),
        ("redis://", "empty host"),
        ("redis://a:6379,rediss://b:6379", "mixes"),
        ("redis://host?color=blue", "unknown option 'color'"),
        ("redis://host/-1", "database"),
        ("redis://host/99999999999", "database"),
        ("redis://host/x", "database"),
        ("redis://host?cluster=maybe", "cluster must be true or false"),
        ("redis://host?timeout=-1s", "timeout"),
        ("redis://host?protocol=4", "protocol"),
        ("redis://[::1:6379", "closing ']'"),
        ("redis://::1:6379", "brackets"),
        ("redis://a:6379,,b:6379", "empty"),
        ("redis://secret@host", "no ':'"),
        ("rediss://host?tls_cert_file=/c.pem", "go together"),
        ("redis://host?tls_ca_file=/ca.pem", "rediss://"),
        ("redis://host?cluster=true&cluster=false", "twice"),
        ("rediss://host?connections=0", "connections"),
    ])
    func malformedURLsNameTheProblem(url: String, expected: String) {
        do {
            _ = try RedisURL(url)
            Issue.record("\(url) parsed")
        } catch {
            #expect(error.kind == .invalidConfiguration)
            #expect(error.message.contains(expected), "\(url): \(error.message)")
        }
    }

    @Test func errorsNeverShowThePassword() {
        for url in ["http://user:hunter2@host", "redis://user:hunter2@host:99999", "redis://user:hunter2@host?bad=1", "user:hunter2@host"] {
            do {
                _ = try RedisURL(url)
                Issue.record("\(url) parsed")
            } catch {
                #expect(!error.message.contains("hunter2"), "\(error.message)")
            }
        }
    }
}

@Suite struct ModeDetectionTests {
    @Test(arguments: [
        ("redis://redis-cluster.redis.svc.cluster.local:6379?cluster=true", true, "cluster=true"),
        ("redis://redis-livekit.redis.svc.cluster.local:6379", false, "one node"),
        ("redis://redis-cluster-ceph-0.redis-cluster.redis.svc.cluster.local:6379,redis://redis-cluster-ceph-1.redis-cluster.redis.svc.cluster.local:6379", true, "2 nodes"),
        ("redis://redis-cluster.redis.svc.cluster.local:6379", true, "contains \"cluster\""),
        ("redis://redis-cluster.redis.svc.cluster.local:6379?cluster=false", false, "cluster=false"),
        ("redis://a:6379,b:6379?cluster=false", false, "cluster=false"),
        ("redis://10.42.9.221:6379,", true, "nodes"),
        ("redis://[::1]:6379", false, "one node"),
        ("rediss://my-cluster.example.com", true, "contains"),
        ("redis://localhost", false, "one node"),
    ])
    func modeTable(url: String, cluster: Bool, reason: String) throws {
        guard let parsed = try? RedisURL(url) else {
            // "redis://10.42.9.221:6379," has an empty entry: an error, not a guess.
            #expect(url.hasSuffix(","))
            return
        }
        #expect(parsed.mode.isCluster == cluster, "\(url)")
        #expect(parsed.mode.reason.contains(reason), "\(url): \(parsed.mode.reason)")
    }
}
