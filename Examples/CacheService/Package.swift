// swift-tools-version: 6.2
// An HTTP service that caches an expensive computation through CacheProvider, configured only
// by REDIS_URL / CACHE_PROVIDER (or a mounted Kubernetes folder), with a readiness endpoint
// backed by RedisProvider.health(). Build and run: scripts/example.sh
import Foundation
import PackageDescription

// A path dependency is named after its folder, whatever the checkout is called.
let root = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().deletingLastPathComponent()

let package = Package(
    name: "CacheService",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: root.path),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        .executableTarget(
            name: "CacheService",
            dependencies: [
                .product(name: "RedisProvider", package: root.lastPathComponent),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        )
    ],
    swiftLanguageModes: [.v6]
)
