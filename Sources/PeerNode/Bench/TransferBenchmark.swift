import ContentStore
import Foundation
import Gossip
import Identity
import Logging

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
    }

    public var bytes: Int
    public var parallel: Int
    public var rounds: Int
    public var workDirectory: String
    public var measureFirstSegment: Bool

    public init(bytes: Int, parallel: Int, rounds: Int = 3, workDirectory: String, measureFirstSegment: Bool) {
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
        var best = Double.infinity
        for round in 1...rounds {
            // A fresh receiving node each round: every chunk crosses the link.
            let b = try ChunkStore(directory: workDirectory + "/b\(round)", config: storeConfig)
            let xb = try await ChunkExchange.start(identity: KeyPair.generate(), store: b, config: config,
                                                   metrics: NodeMetrics(), logger: logger)
            await xb.addPeer(ka.address, endpoint: xa.endpoint)
            // Link set-up and the CURVE handshake are not part of the transfer.
            try await xb.ensure(chunks[0])
            log("round \(round)/\(rounds): \(chunks.count) chunks of \(chunkBytes >> 10) KiB from A to B, \(parallel) in flight...")
            let start = DispatchTime.now().uptimeNanoseconds
            try await xb.ensureAll(Array(chunks.dropFirst()), parallel: parallel)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            await xb.stop()
            b.close()
            try? FileManager.default.removeItem(atPath: workDirectory + "/b\(round)")
        }
        await xa.stop()
        let seconds = best
        let moved = bytes - min(bytes, chunkBytes)
        let mbps = Double(moved) / seconds / 1e6

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

        var result = Result(bytes: moved, chunkBytes: chunkBytes, parallel: parallel, transferSeconds: seconds,
                            transferMBps: mbps, rawZeroMQCurveMBps: curveBest, rawZeroMQPlainMBps: plainBest,
                            ratioToRawCurve: mbps / curveBest, ratioToRawPlain: mbps / plainBest, rounds: rounds,
                            timeToFirstSegmentMs: nil)
        if measureFirstSegment {
            log("time to first segment: a creator publishes a 10 s VOD, a viewer watches it...")
            result.timeToFirstSegmentMs = try await firstSegment(logger: logger)
        }
        return result
    }

    /// Creator and viewer nodes (gossip + exchange) in this process; the
    /// clock runs from the viewer's playlist request to its first segment's bytes.
    func firstSegment(logger: Logger) async throws -> Double {
        let dir = workDirectory + "/ttfs"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let video = dir + "/video.mp4"
        let (status, errors) = HLSSegmenter.runFFmpeg([
            "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=duration=10:size=640x360:rate=25",
            "-f", "lavfi", "-i", "sine=duration=10", "-c:v", "libx264", "-preset", "ultrafast", "-g", "50",
            "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", video])
        guard status == 0 else { throw PeerNodeError.ffmpeg(errors) }
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
