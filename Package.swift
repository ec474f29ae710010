// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "RedisProvider",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "RedisProvider", targets: ["RedisProvider"]),
        .library(name: "RESP", targets: ["RESP"]),
        .library(name: "RedisProviderTestSupport", targets: ["RedisProviderTestSupport"]),
        .executable(name: "redis-provider", targets: ["RedisProviderCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
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
            ]
        ),
        .target(
            name: "RedisProviderTestSupport",
            dependencies: [
                "RedisProvider",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "RedisProviderCLI",
            dependencies: [
                "RedisProvider",
                "RESP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
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
                "RedisProviderTestSupport",
                "RESP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
