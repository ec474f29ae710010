// swift-tools-version: 6.2
// Deterministic micro-benchmarks (ordo-one/benchmark): instructions and allocations per GET
// and SET through each layer. A package of its own so that users of RedisProvider never
// resolve or build the benchmark tooling. Run from this folder:
//   swift package benchmark                      # every metric, printed
//   swift package benchmark thresholds check     # fails when a hot path gains an allocation
// (scripts/benchmarks.sh runs the check; CI runs that script.)
import PackageDescription

let package = Package(
    name: "RedisProviderBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "RedisProvider", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        .executableTarget(
            name: "RedisProviderBenchmarks",
            dependencies: [
                .product(name: "RedisProvider", package: "RedisProvider"),
                .product(name: "RESP", package: "RedisProvider"),
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Benchmarks/RedisProviderBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ],
    swiftLanguageModes: [.v6]
)
