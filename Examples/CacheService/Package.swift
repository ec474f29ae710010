// swift-tools-version: 6.2
// One HTTP service written twice, for Hummingbird (CacheService) and for Vapor
// (VaporCacheService): an expensive computation cached, logins kept in sessions, a readiness
// endpoint backed by RedisProvider.health(), configured only by REDIS_URL / CACHE_PROVIDER (or
// a mounted Kubernetes folder). Build and check both: scripts/example.sh
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
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/vapor.git", from: "4.122.3"),
    ],
    targets: [
        // The value, the login and the slow computation both services share.
        .target(
            name: "CacheServiceModel",
            dependencies: [.product(name: "RedisProvider", package: root.lastPathComponent)]
        ),
        .executableTarget(
            name: "CacheService",
            dependencies: [
                "CacheServiceModel",
                .product(name: "RedisProvider", package: root.lastPathComponent),
                .product(name: "RedisProviderHummingbird", package: root.lastPathComponent),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "VaporCacheService",
            dependencies: [
                "CacheServiceModel",
                .product(name: "RedisProvider", package: root.lastPathComponent),
                .product(name: "RedisProviderVapor", package: root.lastPathComponent),
                .product(name: "Vapor", package: "vapor"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
