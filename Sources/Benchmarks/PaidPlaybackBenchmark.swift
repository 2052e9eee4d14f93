import ContentStore
import Crypto
import Foundation
import Identity
import Logging
import NetworkLab
import PeerNode

/// `nodectl bench keys`: what encrypting paid streams costs a viewer. A
/// creator and a viewer (full nodes in this process, on a real local
/// chain) publish and play free and paid VODs alternately, so both see the
/// same machine: time to first segment of each (the first paid stream also
/// opens the viewer's channel to the creator), one key's round trip
/// (voucher signed, sent, accepted durably, key back), and decryption
/// against verification (SHA-256) of the same segment bytes.
public struct PaidPlaybackBenchmark: Sendable {
    public struct Result: Sendable, Codable {
        public var rounds: Int
        /// Median over the rounds: playlist request to first segment's bytes.
        public var freeFirstSegmentMs: Double
        /// The same for a paid stream, the viewer's channel already open.
        public var paidFirstSegmentMs: Double
        /// paidFirstSegmentMs / freeFirstSegmentMs.
        public var paidRatio: Double
        /// The first paid stream: the channel opens on chain first.
        public var firstPaidWithChannelOpeningMs: Double
        /// Median time to buy one key (channel open).
        public var keyRoundTripMs: Double
        public var keysTimed: Int
        public var segmentBytes: Int
        public var decryptMBps: Double
        public var verifyMBps: Double
        public var pricePerSecond: UInt64
    }

    public var chainRPC: String
    public var programId: Address
    public var fund: @Sendable (Address) async throws -> Void
    public var workDirectory: String
    public var rounds: Int
    public var pricePerSecond: UInt64 = 1_000

    public init(chainRPC: String, programId: Address, workDirectory: String, rounds: Int,
                fund: @escaping @Sendable (Address) async throws -> Void) {
        self.chainRPC = chainRPC
        self.programId = programId
        self.workDirectory = workDirectory
        self.rounds = max(2, rounds)
        self.fund = fund
    }

    public func run(log: @Sendable (String) -> Void) async throws -> Result {
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let video = workDirectory + "/video.mp4"
        try FileManager.default.createDirectory(atPath: workDirectory, withIntermediateDirectories: true)
        try TestVideo.make(video, seconds: 20)

        var base = NodeConfig()
        base.programId = programId.base58
        base.chainRPC = chainRPC
        let creatorKey = KeyPair.generate(), viewerKey = KeyPair.generate()
        try await fund(creatorKey.address)
        try await fund(viewerKey.address)
        let creator = try await PeerNode.start(dataDirectory: workDirectory + "/creator", config: base, identity: creatorKey,
                                               logger: logger)
        var viewerConfig = base
        viewerConfig.bootstrap = ["\(creatorKey.address)@\(creator.gossipEndpoint)"]
        let viewer = try await PeerNode.start(dataDirectory: workDirectory + "/viewer", config: viewerConfig,
                                              identity: viewerKey, logger: logger)
        defer { Task { await creator.stop(); await viewer.stop() } }

        var free: [Double] = [], paid: [Double] = [], firstPaid = 0.0
        var lastPaid: String?
        for round in 1...rounds {
            log("round \(round)/\(rounds): a free and a paid VOD published, each played from its first segment...")
            let freeStream = try await creator.publishVOD(video: video, title: "free \(round)", name: "free-\(round)",
                                                          pricePerSecond: 0).stream
            let paidStream = try await creator.publishVOD(video: video, title: "paid \(round)", name: "paid-\(round)",
                                                          pricePerSecond: pricePerSecond).stream
            try await Self.waitUntilHeard([freeStream, paidStream], by: viewer)
            // Alternate which goes first, so neither always meets a warmer node.
            for stream in round % 2 == 0 ? [freeStream, paidStream] : [paidStream, freeStream] {
                let ms = try await Self.firstSegment(stream, viewer: viewer)
                if stream == freeStream { free.append(ms) } else if round == 1 { firstPaid = ms } else { paid.append(ms) }
            }
            lastPaid = paidStream
        }

        log("key round trips: buying the keys of one paid stream, one after another...")
        let manifest = try await viewer.currentManifest(stream: lastPaid ?? "")
        var trips: [Double] = []
        for segment in manifest.segments.dropFirst(2) {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try await viewer.playback.key(segment, of: manifest)
            trips.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }

        log("decryption against verification of the same segment bytes...")
        let segment = manifest.segments[manifest.segments.count / 2]
        var sealed: [UInt8] = []
        for cid in segment.chunks { sealed += try await viewer.exchange.chunkBytes(cid) }
        let key = try await viewer.playback.key(segment, of: manifest)
        guard let iv = segment.iv.flatMap(hexBytes) else { throw PeerNodeError.badManifest("segment \(segment.sequence) has no IV") }
        let repeats = max(4, (64 << 20) / max(1, sealed.count))
        let decryptSeconds = try Self.time { for _ in 0..<repeats { _ = try SegmentCipher.decrypt(sealed, key: key, iv: iv) } }
        let verifySeconds = try Self.time { for _ in 0..<repeats { _ = SHA256.hash(data: sealed) } }
        let megabytes = Double(sealed.count * repeats) / 1e6
        await creator.stop()
        await viewer.stop()
        let freeMs = Self.median(free), paidMs = Self.median(paid)
        return Result(rounds: rounds, freeFirstSegmentMs: freeMs, paidFirstSegmentMs: paidMs, paidRatio: paidMs / freeMs,
                      firstPaidWithChannelOpeningMs: firstPaid, keyRoundTripMs: Self.median(trips), keysTimed: trips.count,
                      segmentBytes: sealed.count, decryptMBps: megabytes / decryptSeconds, verifyMBps: megabytes / verifySeconds,
                      pricePerSecond: pricePerSecond)
    }

    static func waitUntilHeard(_ streams: [String], by viewer: PeerNode) async throws {
        let heard = await waitUntil(timeout: 30, poll: 0.05) {
            let known = await viewer.streams().filter { streams.contains($0.stream) && $0.manifest != nil }.count
            guard known == streams.count else { return false }
            return await !viewer.exchange.peerAddresses().isEmpty
        }
        guard heard else { throw PeerNodeError.unavailable("the viewer did not hear of \(streams) within 30 s") }
    }

    /// As a player: the playlist, then the first segment's bytes.
    static func firstSegment(_ stream: String, viewer: PeerNode) async throws -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        _ = try await viewer.playlist(stream: stream)
        let first = try await viewer.currentManifest(stream: stream).segments[0].sequence
        let bytes = try await viewer.segment(stream: stream, sequence: first)
        guard !bytes.isEmpty else { throw PeerNodeError.unavailable("empty first segment of \(stream)") }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
    }

    static func time(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}
