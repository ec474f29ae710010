// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "RedisProvider",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "RedisProvider", targets: ["RedisProvider"]),
        .library(name: "RESP", targets: ["RESP"]),
        .library(name: "RedisProviderOperations", targets: ["RedisProviderOperations"]),
        .library(name: "RedisProviderTestSupport", targets: ["RedisProviderTestSupport"]),
        // Framework integrations, each its own product: SwiftPM resolves and builds a framework
        // only for a package that uses the integration's product (target-based resolution).
        .library(name: "RedisProviderHummingbird", targets: ["RedisProviderHummingbird"]),
        .library(name: "RedisProviderVapor", targets: ["RedisProviderVapor"]),
        .executable(name: "redis-provider", targets: ["RedisProviderCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(
            url: "https://github.com/apple/swift-configuration.git", from: "1.4.0",
            traits: [.defaults, "CommandLineArguments"]),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/vapor/vapor.git", from: "4.122.3"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    ],
    targets: [
        // RESP2/RESP3 values, encoder and incremental decoder. Depends on NIOCore only,
        // so the fuzz package (Fuzz/) can build it with -sanitize=fuzzer cheaply.
        .target(
            name: "RESP",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")]
        ),
        .target(
            name: "RedisProvider",
            dependencies: [
                "RESP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Crypto", package: "swift-crypto"),  // SHA1 of scripts (EVALSHA)
            ]
        ),
        // What operators run, not what applications call: cluster inspection, the doctor's
        // diagnosis and redis-cli style formatting. The CLI is built on it.
        .target(
            name: "RedisProviderOperations",
            dependencies: [
                "RedisProvider",
                "RESP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // Server processes for the test support and the CLI's sandbox: starting and stopping
        // children by pid, free loopback ports, and forming nodes into a cluster.
        .target(
            name: "RedisProviderSandbox",
            dependencies: ["RESP"]
        ),
        .target(
            name: "RedisProviderTestSupport",
            dependencies: [
                "RedisProvider",
                "RedisProviderSandbox",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "RedisProviderCLI",
            dependencies: [
                "RedisProvider",
                "RedisProviderOperations",
                "RedisProviderSandbox",  // the same process handling and cluster formation as the tests
                "RESP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Hummingbird: a PersistDriver (sessions, anything built on it), the cache-provider
        // choice as a persist driver, and a rate-limit middleware.
        .target(
            name: "RedisProviderHummingbird",
            dependencies: [
                "RedisProvider",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        // Vapor: app.redisProvider with the application's lifecycle, a Cache, a SessionDriver
        // with a TTL, and a rate-limit middleware.
        .target(
            name: "RedisProviderVapor",
            dependencies: [
                "RedisProvider",
                .product(name: "Vapor", package: "vapor"),
            ]
        ),
        // Every Swift example of the README, the DocC catalog and the doc comments, compiled
        // (scripts/generate-doc-examples.py writes Generated/ from them).
        .testTarget(
            name: "DocExamples",
            dependencies: [
                "RedisProvider",
                "RedisProviderOperations",
                "RedisProviderHummingbird",
                "RedisProviderVapor",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "Vapor", package: "vapor"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Configuration", package: "swift-configuration"),
            ]
        ),
        // Server-free tests: state machines, routing, parsing, formatting (no sockets, made-up clocks).
        .testTarget(
            name: "RedisProviderUnitTests",
            dependencies: [
                "RedisProvider",
                "RESP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .testTarget(
            name: "RESPTests",
            dependencies: ["RESP"]
        ),
        .testTarget(
            name: "RedisProviderTests",
            dependencies: [
                "RedisProvider",
                "RedisProviderOperations",
                "RedisProviderTestSupport",
                "RESP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // The framework integrations through real Hummingbird and Vapor applications.
        .testTarget(
            name: "RedisProviderIntegrationTests",
            dependencies: [
                "RedisProvider",
                "RedisProviderHummingbird",
                "RedisProviderVapor",
                "RedisProviderTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Vapor", package: "vapor"),
                .product(name: "VaporTesting", package: "vapor"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
