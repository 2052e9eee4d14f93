// swift-tools-version:6.1
import PackageDescription

// The module order is the dependency order (shared/DESIGN.md): each module
// uses only those above it; C libraries stay inside the module that wraps them.
let package = Package(
    name: "peernode",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "nodectl", targets: ["nodectl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // SHA-256 only: BoringSSL's SHA-NI code path; libsodium's SHA-256 has none.
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        // The daemon: local HTTP API, structured logs, graceful shutdown.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium",
                       providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(name: "CLMDB", pkgConfig: "lmdb",
                       providers: [.apt(["liblmdb-dev"])]),
        .systemLibrary(name: "CZMQ", pkgConfig: "libzmq",
                       providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl",
                       providers: [.apt(["libcurl4-openssl-dev"])]),

        .target(name: "Identity", dependencies: ["CSodium"]),
        .target(name: "ContentStore", dependencies: [
            "Identity", "CLMDB",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "Gossip", dependencies: ["Identity", "CZMQ", "ContentStore"]),
        .target(name: "CurlHTTP", dependencies: ["CCurl"]),
        .target(name: "RemotePin", dependencies: [
            "Identity", "ContentStore", "CurlHTTP",
            .product(name: "Crypto", package: "swift-crypto"),  // SHA-384 for Arweave's deep hash
        ]),
        .target(name: "PayChannel", dependencies: [
            "Identity", "ContentStore", "CurlHTTP",   // ContentStore: LMDB for the voucher books
            .product(name: "Crypto", package: "swift-crypto"),  // SHA-256 for program addresses
        ]),
        .target(name: "PeerNode", dependencies: [
            "Identity", "ContentStore", "Gossip", "PayChannel", "RemotePin",
            // AES-128-CBC for HLS segment encryption (paid streams): libsodium has no AES-CBC.
            .product(name: "CryptoExtras", package: "swift-crypto"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),  // a thread pool for blocking remote (libcurl) calls
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .executableTarget(name: "nodectl", dependencies: [
            "Identity", "ContentStore", "Gossip", "RemotePin", "PayChannel", "PeerNode", "CurlHTTP",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "IdentityTests", dependencies: ["Identity"]),
        .testTarget(name: "ContentStoreTests", dependencies: ["ContentStore", "TestSupport"]),
        .testTarget(name: "GossipTests", dependencies: ["Gossip", "Identity", "ContentStore"]),
        .testTarget(name: "GossipNetworkTests", dependencies: ["Gossip", "Identity"]),
        .testTarget(name: "PeerNodeTests", dependencies: ["PeerNode", "Gossip", "Identity", "ContentStore", "PayChannel", "TestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["nodectl", "CurlHTTP", "RemotePin", "ContentStore", "TestSupport", "Identity", "PayChannel"]),
        .testTarget(name: "RemotePinTests", dependencies: ["RemotePin", "Identity", "ContentStore", "nodectl", "TestSupport"]),
        .testTarget(name: "nodectlTests", dependencies: ["nodectl", "Identity", "ContentStore", "PayChannel", "TestSupport"]),

        // Shared test helpers (running nodectl and other programs, localnet on a free port, the deployed program).
        .target(name: "TestSupport", dependencies: ["Identity", "PayChannel"], path: "Tests/TestSupport"),
        .testTarget(name: "PayChannelTests", dependencies: ["PayChannel", "Identity", "ContentStore", "TestSupport"]),
    ]
)
