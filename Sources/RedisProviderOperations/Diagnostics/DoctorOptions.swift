import RedisProvider

/// How `RedisDoctor` checks a server or cluster.
public struct DoctorOptions: Sendable {
    /// Rewrites the addresses a cluster announces, as `RedisClusterOptions.addressMap` does:
    /// `[announced: reachable]`. Use the map the application uses.
    public var addressMap: [RedisEndpoint: RedisEndpoint]
    /// The whole diagnosis ends within this time; checks still running then are reported as
    /// failed with the time limit as their reason.
    public var timeout: Duration
    /// Only what a readiness probe needs: the URL, a connection with its handshake, `PING`,
    /// and for a cluster `cluster_state:ok` — no per-address or per-node checks.
    public var quick: Bool
    /// A node whose round trip is slower than this gets a warning.
    public var slowRoundTrip: Duration

    public init(
        addressMap: [RedisEndpoint: RedisEndpoint] = [:], timeout: Duration = .seconds(15), quick: Bool = false,
        slowRoundTrip: Duration = .milliseconds(100)
    ) {
        self.addressMap = addressMap
        self.timeout = timeout
        self.quick = quick
        self.slowRoundTrip = slowRoundTrip
    }

    /// Parses an address map as the `redis.address-map` setting writes it: `announced=reachable`
    /// pairs of `host:port`, separated by commas. `option` names where the text came from.
    public static func addressMap(parsing text: String, option: String = "--address-map") throws(RedisError)
        -> [RedisEndpoint: RedisEndpoint]
    {
        try RedisSettingParsing.addressMap(text, .commandLine(option: option))
    }

    /// The address to connect to for an announced one.
    func reachable(_ announced: RedisEndpoint) -> RedisEndpoint { addressMap[announced] ?? announced }
}
