// swift-tools-version:6.0
import PackageDescription

// The kernels are the product's speed. Without a target CPU, swiftc lowers
// SIMD8<Float>.addingProduct to eight fmaf calls; with one it becomes a single
// 256-bit vfmadd. The target is chosen here, in one place, and `fluid` refuses
// to start on a CPU that lacks it (see FluidKernels/CPUFeatures.swift).
#if arch(x86_64)
let kernelFlags: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"])]
#else
let kernelFlags: [SwiftSetting] = []
#endif

let package = Package(
    name: "Fluid",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "fluid", targets: ["fluid"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // TLS 1.3 with mutual authentication on every connection, certificates made by
        // `fluid keygen` (docs/security.md).
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
    ],
    targets: [
        .systemLibrary(name: "CNCurses", path: "Sources/CNCurses",
                       providers: [.apt(["libncurses-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib",
                       providers: [.apt(["zlib1g-dev"])]),
        // glibc's <malloc.h> (mallopt): the node keeps large frames on the heap.
        .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"),

        // The shared words (roles, kinds, modes, sub-networks, plans, device states): no
        // dependencies, so the dashboard, the session log and the cluster read one table.
        .target(name: "FluidVocabulary"),
        .target(name: "FluidKernels", swiftSettings: kernelFlags),
        .target(name: "FluidModel", dependencies: [
            "FluidVocabulary", "FluidKernels", "CZlib", "FluidLog",
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: kernelFlags),
        // JSON with ordered keys (session log lines, safetensors header strings) and the
        // session log's records and reader, shared by the writer (FluidCluster) and the
        // dashboard's replay; no dependencies, like FluidDashboard.
        .target(name: "FluidLog", dependencies: ["FluidVocabulary"]),
        .target(name: "FluidCluster", dependencies: [
            "FluidModel", "FluidLog",
        ]),
        .target(name: "FluidTransport", dependencies: [
            "FluidCluster", "FluidModel", .target(name: "CMalloc", condition: .when(platforms: [.linux])),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOTLS", package: "swift-nio"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
        ]),
        // Benchmarks (`fluid bench kernels|cluster|paper|adaptive`), reports and charts:
        // measuring tools the libraries never import.
        .target(name: "FluidBench", dependencies: [
            "FluidKernels", "FluidModel", "FluidCluster", "FluidTransport",
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ], swiftSettings: kernelFlags),
        .target(name: "FluidDashboard", dependencies: ["FluidVocabulary", "FluidLog"]),
        .target(name: "FluidTerminal", dependencies: ["CNCurses", "FluidDashboard"]),
        .executableTarget(name: "fluid", dependencies: [
            "FluidKernels", "FluidModel", "FluidBench", "FluidCluster", "FluidTransport",
            "FluidDashboard", "FluidTerminal",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ]),

        .testTarget(name: "FluidVocabularyTests", dependencies: ["FluidVocabulary"]),
        .testTarget(name: "FluidKernelsTests", dependencies: ["FluidKernels"]),
        .testTarget(name: "FluidModelTests", dependencies: ["FluidModel"]),
        .testTarget(name: "FluidBenchTests", dependencies: ["FluidBench"]),
        .testTarget(name: "FluidClusterTests", dependencies: ["FluidCluster"]),
        .testTarget(name: "FluidTransportTests", dependencies: [
            "FluidTransport", "FluidCluster", "FluidModel",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
        ]),
        .testTarget(name: "FluidDashboardTests", dependencies: ["FluidDashboard"]),
        // Tests that run real processes (fluid nodes, `fluid demo` in tmux, network
        // namespaces, the paper bench): one target, one copy of the helpers that start,
        // feed and watch them.
        .testTarget(name: "FluidEndToEndTests", dependencies: [
            "FluidTransport", "FluidCluster", "FluidModel", "FluidDashboard",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOTLS", package: "swift-nio"),
        ]),
    ],
    // Every target, tests included: the compiler checks all cross-thread access.
    swiftLanguageModes: [.v6]
)
