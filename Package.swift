// swift-tools-version:6.1
import PackageDescription

// Linux only: the code uses Glibc, Linux system calls (posix_fallocate,
// getifaddrs, statvfs as Linux reports it), network namespaces in the test
// hosts and Debian's packages. SwiftPM has no way to name Linux as the only
// platform, so other systems are refused here rather than failing deep in a build.
#if !os(Linux)
#error("peernode builds and runs on Linux only (docs/architecture.md, Modules)")
#endif

// The module order is the dependency order (shared/DESIGN.md): each module
// uses only those above it; C libraries stay inside the module that wraps them.
let package = Package(
    name: "peernode",
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
        .systemLibrary(name: "CLMDB", pkgConfig: "lmdb",
                       providers: [.apt(["liblmdb-dev"])]),
        .systemLibrary(name: "CZMQ", pkgConfig: "libzmq",
                       providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium",
                       providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl",
                       providers: [.apt(["libcurl4-openssl-dev"])]),

        .target(name: "Identity", dependencies: ["CSodium"]),
        .target(name: "LMDB", dependencies: ["CLMDB"]),
        .target(name: "ContentStore", dependencies: [
            "Identity", "LMDB",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "Transport", dependencies: ["Identity", "CZMQ"]),
        .target(name: "Gossip", dependencies: ["Identity", "LMDB", "ContentStore", "Transport"]),
        .target(name: "CurlHTTP", dependencies: ["CCurl"]),
        .target(name: "RemotePin", dependencies: [
            "Identity", "ContentStore", "CurlHTTP",
            .product(name: "Crypto", package: "swift-crypto"),  // SHA-384 for Arweave's deep hash
        ]),
        .target(name: "Solana", dependencies: [
            "Identity", "CurlHTTP",
            .product(name: "Crypto", package: "swift-crypto"),  // SHA-256 for program addresses
        ]),
        .target(name: "PayChannel", dependencies: [
            "Identity", "LMDB", "Solana",
            .product(name: "Crypto", package: "swift-crypto"),  // SHA-256 for tip receipts and the program check
        ]),
        .target(name: "PeerNode", dependencies: [
            "Identity", "LMDB", "ContentStore", "Transport", "Gossip", "CurlHTTP", "RemotePin", "Solana", "PayChannel",
            // AES-128-CBC for HLS segment encryption (paid streams): libsodium has no AES-CBC.
            .product(name: "CryptoExtras", package: "swift-crypto"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // Many nodes on one machine: child processes (one spawner), localnet,
        // daemons, the typed API client, waits, the in-process gossip
        // cluster. Shipped, not test-only (as HummingbirdTesting): the demo,
        // the benchmarks, nodectl's online commands and the tests all use it.
        .target(name: "NetworkLab", dependencies: [
            "Identity", "Transport", "Gossip", "CurlHTTP", "Solana", "PayChannel", "PeerNode",
        ]),
        // `nodectl bench`: each benchmark with the baseline it is measured
        // against (the raw ZeroMQ ones speak libzmq directly); the gossip
        // benchmark runs NetworkLab's in-process cluster.
        .target(name: "Benchmarks", dependencies: [
            "Identity", "LMDB", "ContentStore", "Transport", "CZMQ", "Gossip", "PayChannel", "PeerNode", "NetworkLab",
            .product(name: "Crypto", package: "swift-crypto"),  // SHA-256, the verification decryption is measured against
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "nodectl", dependencies: [
            "Identity", "ContentStore", "Gossip", "CurlHTTP", "RemotePin", "Solana", "PayChannel", "PeerNode", "NetworkLab", "Benchmarks",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // The fuzz targets (docs/fuzzing.md): every decoder that reads bytes from
        // outside, in one binary. fuzz/run builds it with libFuzzer and ASan;
        // the normal build replays files through it and writes the seed corpora.
        .executableTarget(name: "PeerNodeFuzz", dependencies: [
            "Identity", "ContentStore", "Gossip", "RemotePin", "Solana", "PayChannel", "PeerNode",
        ]),

        // Shared test helpers (running nodectl and other programs, localnet on
        // a free port, the deployed program, small disks, temporary directories).
        .target(name: "TestSupport", dependencies: ["Identity", "Solana", "PayChannel", "NetworkLab"], path: "Tests/TestSupport"),

        .testTarget(name: "IdentityTests", dependencies: ["Identity"]),
        .testTarget(name: "LMDBTests", dependencies: ["LMDB", "TestSupport"]),
        .testTarget(name: "ContentStoreTests", dependencies: ["ContentStore", "LMDB", "TestSupport"]),
        .testTarget(name: "TransportTests", dependencies: ["Transport", "Identity"]),
        .testTarget(name: "GossipTests", dependencies: ["Gossip", "Identity", "ContentStore", "Transport", "NetworkLab"]),
        .testTarget(name: "GossipNetworkTests", dependencies: ["Gossip", "Identity", "NetworkLab"]),
        // The lab itself: waits, the test video, the scenario parser, the simulator's checks.
        .testTarget(name: "NetworkLabTests", dependencies: ["NetworkLab"]),
        .testTarget(name: "CurlHTTPTests", dependencies: ["CurlHTTP"]),
        .testTarget(name: "RemotePinTests", dependencies: ["RemotePin", "Identity", "ContentStore", "CurlHTTP", "TestSupport"]),
        .testTarget(name: "SolanaTests", dependencies: ["Solana", "Identity", "CurlHTTP", "TestSupport"]),
        .testTarget(name: "PayChannelTests", dependencies: ["PayChannel", "Identity", "LMDB", "Solana", "NetworkLab", "TestSupport"]),
        .testTarget(name: "PeerNodeTests", dependencies: [
            "PeerNode", "Gossip", "Identity", "ContentStore", "Transport", "Solana", "PayChannel", "NetworkLab", "TestSupport",
        ]),
        .testTarget(name: "nodectlTests", dependencies: [
            "nodectl", "Identity", "ContentStore", "RemotePin", "Solana", "PayChannel", "NetworkLab", "TestSupport",
        ]),
        .testTarget(name: "EndToEndTests", dependencies: [
            "nodectl", "CurlHTTP", "RemotePin", "ContentStore", "LMDB", "TestSupport", "Identity", "Solana", "PayChannel", "NetworkLab", "PeerNode",
        ]),
    ]
)
