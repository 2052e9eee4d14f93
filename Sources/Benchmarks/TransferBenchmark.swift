import ContentStore
import Foundation
import Gossip
import Identity
import Logging
import NetworkLab
import PayChannel
import PeerNode

/// `nodectl bench transfer`: a file moved between two nodes' chunk
/// exchanges over 127.0.0.1 (every chunk requested, sent over CURVE,
/// verified against its CID and stored), next to raw ZeroMQ streaming the
/// same number of messages of the same size in the same run; and the time
/// a viewer waits for its first segment of a freshly announced VOD.
public struct TransferBenchmark: Sendable {
    public struct Result: Sendable, Codable {
        public var bytes: Int
        public var chunkBytes: Int
        public var parallel: Int
        public var transferSeconds: Double
        public var transferMBps: Double
        public var rawZeroMQCurveMBps: Double
        public var rawZeroMQPlainMBps: Double
        /// transferMBps / rawZeroMQCurveMBps (same encryption as the exchange).
        public var ratioToRawCurve: Double
        public var ratioToRawPlain: Double
        /// Each figure is the best of this many rounds (the machine may be shared).
        public var rounds: Int
        public var timeToFirstSegmentMs: Double?
        /// With payments (`paid`): the same transfer with every chunk priced
        /// and paid for with vouchers riding on the requests, in the same run.
        public var paidTransferMBps: Double?
        /// paidTransferMBps / transferMBps.
        public var paidRatio: Double?
        public var vouchersPerRound: UInt64?
        public var lamportsPerRound: UInt64?
    }

    /// A chain with the payment-channel program, and a way to fund buyers.
    public struct PaidSetup: Sendable {
        public var chainRPC: String
        public var programId: Address
        public var pricePerChunk: UInt64
        public var fund: @Sendable (Address) async throws -> Void

        public init(chainRPC: String, programId: Address, pricePerChunk: UInt64 = 1_000,
                    fund: @escaping @Sendable (Address) async throws -> Void) {
            self.chainRPC = chainRPC
            self.programId = programId
            self.pricePerChunk = pricePerChunk
            self.fund = fund
        }
    }

    public var bytes: Int
    public var parallel: Int
    public var rounds: Int
    public var workDirectory: String
    public var measureFirstSegment: Bool
    public var paid: PaidSetup?

    public init(bytes: Int, parallel: Int, rounds: Int = 3, workDirectory: String, measureFirstSegment: Bool,
                paid: PaidSetup? = nil) {
        self.paid = paid
        self.bytes = bytes
        self.rounds = max(1, rounds)
        self.parallel = parallel
        self.workDirectory = workDirectory
        self.measureFirstSegment = measureFirstSegment
    }

    public func run(log: @Sendable (String) -> Void) async throws -> Result {
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let chunkBytes = StoreConfig.defaultChunkSize
        var storeConfig = StoreConfig()
        storeConfig.noSync = true  // both sides: the benchmark measures the exchange, not fsync
        let a = try ChunkStore(directory: workDirectory + "/a", config: storeConfig)
        defer { a.close() }

        log("adding \(bytes >> 20) MiB of random bytes to node A...")
        var rng = SystemRandomNumberGenerator()
        var data = [UInt8](repeating: 0, count: bytes)
        data.withUnsafeMutableBytes { raw in
            let words = raw.bindMemory(to: UInt64.self)
            for i in words.indices { words[i] = rng.next() }
        }
        let added = try a.addBytes(data, name: "bench.bin")
        data = []
        let chunks = added.manifest.chunks

        var config = NodeConfig()
        config.parallelChunkFetches = parallel
        config.requestTimeout = 30
        let ka = KeyPair.generate()
        let xa = try await ChunkExchange.start(identity: ka, store: a, config: config, metrics: NodeMetrics(), logger: logger)
        var paidSeller: (exchange: ChunkExchange, payments: NodePayments)?
        if let paid {
            var sellerConfig = config
            sellerConfig.programId = paid.programId.base58
            sellerConfig.chainRPC = paid.chainRPC
            sellerConfig.pricePerChunk = paid.pricePerChunk
            let key = KeyPair.generate()
            let payments = try NodePayments.open(dataDirectory: workDirectory + "/pa", identity: key, config: sellerConfig,
                                                 metrics: NodeMetrics(), logger: logger)
            guard let payments else { throw PeerNodeError.badConfig("the paid seller has no payment program") }
            let exchange = try await ChunkExchange.start(identity: key, store: a, config: sellerConfig,
                                                         metrics: NodeMetrics(), logger: logger, accounting: payments)
            paidSeller = (exchange, payments)
        }
        // Rounds alternate unpaid and paid, so both see the same machine load.
        var best = 0.0, paidBest = 0.0
        var vouchers: UInt64 = 0, lamports: UInt64 = 0
        for round in 1...rounds {
            let (unpaidMBps, _) = try await transferRound(round, "unpaid", chunks: chunks, seller: (ka.address, xa.endpoint, 0),
                                                       config: config, storeConfig: storeConfig, logger: logger, log: log)
            best = max(best, unpaidMBps)
            if let paid, let paidSeller {
                let (paidMBps, buyer) = try await transferRound(
                    round, "paid", chunks: chunks, seller: (paidSeller.payments.identity.address, paidSeller.exchange.endpoint,
                                                            paid.pricePerChunk),
                    config: config, storeConfig: storeConfig, logger: logger, log: log)
                paidBest = max(paidBest, paidMBps)
                vouchers = buyer.vouchers
                lamports = buyer.lamports
            }
        }
        await xa.stop()
        if let paidSeller {
            await paidSeller.exchange.stop()
        }
        let moved = bytes - min(bytes, chunkBytes)
        let mbps = best

        log("raw ZeroMQ, same message size and count, best of \(rounds)...")
        let frameBytes = chunkBytes + 64
        let count = chunks.count
        var curveBest = 0.0, plainBest = 0.0
        for _ in 1...rounds {
            let curve = try await Task.detached { try ZeroMQBaseline.measure(messageBytes: frameBytes, count: count, curve: true) }.value
            let plain = try await Task.detached { try ZeroMQBaseline.measure(messageBytes: frameBytes, count: count, curve: false) }.value
            curveBest = max(curveBest, curve.megabytesPerSecond)
            plainBest = max(plainBest, plain.megabytesPerSecond)
        }

        var result = Result(bytes: moved, chunkBytes: chunkBytes, parallel: parallel, transferSeconds: Double(moved) / mbps / 1e6,
                            transferMBps: mbps, rawZeroMQCurveMBps: curveBest, rawZeroMQPlainMBps: plainBest,
                            ratioToRawCurve: mbps / curveBest, ratioToRawPlain: mbps / plainBest, rounds: rounds,
                            timeToFirstSegmentMs: nil)
        if paid != nil {
            result.paidTransferMBps = paidBest
            result.paidRatio = result.paidTransferMBps.map { $0 / mbps }
            result.vouchersPerRound = vouchers
            result.lamportsPerRound = lamports
        }
        if measureFirstSegment {
            log("time to first segment: a creator publishes a 10 s VOD, a viewer watches it...")
            result.timeToFirstSegmentMs = try await firstSegment(logger: logger)
        }
        return result
    }

    /// One round: a fresh receiving node (every chunk crosses the link)
    /// fetches every chunk but the first from the seller; with a price, it
    /// pays for them (its own funded key, a channel opened during warm-up).
    func transferRound(_ round: Int, _ label: String, chunks: [CID], seller: (Address, String, UInt64),
                       config: NodeConfig, storeConfig: StoreConfig, logger: Logger,
                       log: @Sendable (String) -> Void) async throws -> (mbps: Double, (vouchers: UInt64, lamports: UInt64)) {
        let dir = workDirectory + "/b\(round)-\(label)"
        let b = try ChunkStore(directory: dir + "/store", config: storeConfig)
        let key = KeyPair.generate(), metrics = NodeMetrics()
        var buyerConfig = config
        var payments: NodePayments?
        if seller.2 > 0, let paid {
            try await paid.fund(key.address)
            buyerConfig.programId = paid.programId.base58
            buyerConfig.chainRPC = paid.chainRPC
            payments = try NodePayments.open(dataDirectory: dir, identity: key, config: buyerConfig, metrics: metrics,
                                             logger: logger)
        }
        let xb = try await ChunkExchange.start(identity: key, store: b, config: buyerConfig, metrics: metrics, logger: logger,
                                               accounting: payments)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        await xb.addPeer(seller.0, endpoint: seller.1, price: seller.2)
        // Warm-up, not timed: link set-up, the CURVE handshake and (paid) the
        // channel opening on chain, which happen once per peer, not per chunk.
        var warm = 1
        if let payments {
            let early = payments.accounting.config.earlyPaymentAt
            warm = min(chunks.count - 1, Int((early + seller.2 - 1) / seller.2))
        }
        try await xb.ensureAll(Array(chunks.prefix(warm)), parallel: 1)
        if let payments {
            for _ in 0..<600 where await payments.manager.channels().isEmpty { try await Task.sleep(for: .milliseconds(50)) }
        }
        log("\(label) round \(round)/\(rounds): \(chunks.count - warm) chunks of \(chunks.isEmpty ? 0 : StoreConfig.defaultChunkSize >> 10) KiB, \(parallel) in flight...")
        let start = DispatchTime.now().uptimeNanoseconds
        try await xb.ensureAll(Array(chunks.dropFirst(warm)), parallel: parallel)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        await xb.stop()
        b.close()
        let mbps = Double((chunks.count - warm) * StoreConfig.defaultChunkSize) / seconds / 1e6
        return (mbps, (metrics.value(.vouchersSent), metrics.value(.lamportsPaid)))
    }

    /// Creator and viewer nodes (gossip + exchange) in this process; the
    /// clock runs from the viewer's playlist request to its first segment's bytes.
    func firstSegment(logger: Logger) async throws -> Double {
        let dir = workDirectory + "/ttfs"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let video = dir + "/video.mp4"
        try TestVideo.make(video, seconds: 10)
        let creatorKey = KeyPair.generate()
        let creator = try await PeerNode.start(dataDirectory: dir + "/creator", config: NodeConfig(), identity: creatorKey,
                                               logger: logger)
        var viewerConfig = NodeConfig()
        viewerConfig.bootstrap = ["\(creatorKey.address)@\(creator.gossipEndpoint)"]
        let viewer = try await PeerNode.start(dataDirectory: dir + "/viewer", config: viewerConfig,
                                              identity: KeyPair.generate(), logger: logger)
        defer { Task { await creator.stop(); await viewer.stop() } }
        let published = try await creator.publishVOD(video: video, title: "bench", name: "bench")
        // Bounded wait for the announcement and the exchange link.
        for _ in 0..<600 {
            let heard = await viewer.streams().contains { $0.stream == published.stream && $0.manifest != nil }
            let linked = await !viewer.exchange.peerAddresses().isEmpty
            if heard && linked { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let start = DispatchTime.now().uptimeNanoseconds
        _ = try await viewer.playlist(stream: published.stream)
        let first = try await viewer.currentManifest(stream: published.stream).segments[0].sequence
        let bytes = try await viewer.segment(stream: published.stream, sequence: first)
        let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        guard !bytes.isEmpty else { throw PeerNodeError.unavailable("empty first segment") }
        await creator.stop()
        await viewer.stop()
        return ms
    }
}

