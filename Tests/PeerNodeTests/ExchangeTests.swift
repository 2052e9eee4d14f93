import ContentStore
import Foundation
import Identity
import Logging
import Testing
@testable import PeerNode

/// Two and three exchanges in this process over 127.0.0.1 (real ZeroMQ, real LMDB).
struct ExchangeTests {
    final class Node: Sendable {
        let dir: String
        let store: ChunkStore
        let exchange: ChunkExchange
        let key: KeyPair
        let metrics: NodeMetrics

        /// Generous time-outs: the test machine may be loaded by other suites.
        static let relaxed: NodeConfig = { var c = NodeConfig(); c.requestTimeout = 10; return c }()

        init(_ config: NodeConfig = Node.relaxed, tuning: ExchangeConfig? = nil) async throws {
            dir = NSTemporaryDirectory() + "xchg-\(UUID().uuidString)"
            var storeConfig = StoreConfig()
            storeConfig.quotaBytes = config.quotaBytes
            store = try ChunkStore(directory: dir, config: storeConfig)
            key = KeyPair.generate()
            metrics = NodeMetrics()
            var logger = Logger(label: "test")
            logger.logLevel = .error
            exchange = try await ChunkExchange.start(identity: key, store: store, config: config, metrics: metrics,
                                                     logger: logger, tuning: tuning)
        }

        func close() async {
            await exchange.stop()
            store.close()
            try? FileManager.default.removeItem(atPath: dir)
        }
    }

    func randomBytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8.random(in: 0...255) } }

    @Test func fetchesAndVerifiesAFile() async throws {
        let a = try await Node(), b = try await Node()
        let added = try a.store.addBytes(randomBytes(700_000), name: "f")
        await b.exchange.addPeer(a.key.address, endpoint: a.exchange.endpoint)
        try await b.exchange.ensureAll(added.manifest.chunks)
        for cid in added.manifest.chunks { #expect(b.store.hasChunk(cid)) }
        #expect(b.metrics.value(.chunksFetched) == UInt64(added.manifest.chunks.count))
        #expect(a.metrics.value(.chunksServed) >= UInt64(added.manifest.chunks.count))
        await a.close(); await b.close()
    }

    @Test func relayForwardsAndCaches() async throws {
        let creator = try await Node(), relay = try await Node(), viewer = try await Node()
        let added = try creator.store.addBytes(randomBytes(300_000), name: "f")
        await relay.exchange.addPeer(creator.key.address, endpoint: creator.exchange.endpoint)
        await viewer.exchange.addPeer(relay.key.address, endpoint: relay.exchange.endpoint)
        try await viewer.exchange.ensureAll(added.manifest.chunks)
        for cid in added.manifest.chunks {
            #expect(viewer.store.hasChunk(cid))
            #expect(relay.store.hasChunk(cid), "the relay caches what it passes on")
        }
        #expect(relay.metrics.value(.chunksForwarded) >= 1)
        await creator.close(); await relay.close(); await viewer.close()
    }

    @Test func wrongBytesAreCaughtAndTheGoodPeerUsed() async throws {
        var badConfig = Node.relaxed
        badConfig.faultServeWrongBytes = true
        let bad = try await Node(badConfig), good = try await Node(), viewer = try await Node()
        let data = randomBytes(2_000_000)
        let added = try good.store.addBytes(data, name: "f")
        _ = try bad.store.addBytes(data, name: "f")
        await viewer.exchange.addPeer(bad.key.address, endpoint: bad.exchange.endpoint)
        await viewer.exchange.addPeer(good.key.address, endpoint: good.exchange.endpoint)
        // The bad peer said it holds the file (as its HAVE announcements
        // would), the good one said nothing yet: the bad one is asked first.
        await viewer.exchange.noteProviders(bad.key.address, added.manifest.chunks)
        try await viewer.exchange.ensureAll(added.manifest.chunks)
        let file = try viewer.store.putManifest(added.manifest, pin: false)
        #expect(try viewer.store.readFile(file) == data)
        #expect(viewer.metrics.value(.badChunks) >= 1)
        let badScore = try #require(await viewer.exchange.score(of: bad.key.address))
        #expect(badScore < 0)
        await bad.close(); await good.close(); await viewer.close()
    }

    @Test func aRelayWithASmallQuotaPassesOnMoreThanItKeeps() async throws {
        var small = Node.relaxed
        small.quotaBytes = 600_000
        let creator = try await Node(), relay = try await Node(small), viewer = try await Node()
        let data = randomBytes(3_000_000)
        let added = try creator.store.addBytes(data, name: "f")
        await relay.exchange.addPeer(creator.key.address, endpoint: creator.exchange.endpoint)
        await viewer.exchange.addPeer(relay.key.address, endpoint: relay.exchange.endpoint)
        try await viewer.exchange.ensureAll(added.manifest.chunks, parallel: 2)
        let file = try viewer.store.putManifest(added.manifest, pin: false)
        #expect(try viewer.store.readFile(file) == data)
        #expect(try relay.store.stats().bytes <= 600_000, "the relay stays within its quota")
        // At least once each (a request that timed out on a loaded machine is forwarded again).
        #expect(relay.metrics.value(.chunksForwarded) >= UInt64(added.manifest.chunks.count))
        await creator.close(); await relay.close(); await viewer.close()
    }

    @Test func noPeerIsAClearError() async throws {
        var quick = NodeConfig()
        quick.requestTimeout = 0.5  // how long it waits for a first peer
        let lonely = try await Node(quick)
        await #expect(throws: PeerNodeError.self) { try await lonely.exchange.ensure(CID.hashing([1, 2, 3])) }
        await lonely.close()
    }

    @Test func silentPeerTimesOutAndIsScoredDown() async throws {
        var config = NodeConfig()
        config.requestTimeout = 0.5
        var tuning = ExchangeConfig(config)
        tuning.searchTimeout = 10
        let viewer = try await Node(config, tuning: tuning)
        // A peer address whose endpoint nobody listens on.
        let silent = KeyPair.generate().address
        await viewer.exchange.addPeer(silent, endpoint: "tcp://127.0.0.1:9")
        let started = Date()
        await #expect(throws: PeerNodeError.self) { try await viewer.exchange.ensure(CID.hashing([4, 5, 6])) }
        // Bounded by time, not by a count of attempts: the only peer is asked
        // again after each time-out until the search's time is up.
        #expect(Date().timeIntervalSince(started) < tuning.searchTimeout + 10, "ends when the search's time is up")
        #expect(viewer.metrics.value(.requestTimeouts) >= 2, "one peer, asked again after a time-out")
        #expect(try #require(await viewer.exchange.score(of: silent)) < 0)
        await viewer.close()
    }
}
