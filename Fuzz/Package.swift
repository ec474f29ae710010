// swift-tools-version: 6.0
// A libFuzzer target for the RESP decoder, kept out of the main package so that ordinary
// builds never need -sanitize=fuzzer. Build and run: scripts/fuzz.sh
import Foundation
import PackageDescription

// A path dependency is named after its folder, whatever the checkout is called.
let parent = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent()

let package = Package(
    name: "RESPFuzz",
    dependencies: [.package(path: parent.path)],
    targets: [
        .executableTarget(
            name: "RESPFuzz",
            dependencies: [.product(name: "RESP", package: parent.lastPathComponent)]
        )
    ]
)
