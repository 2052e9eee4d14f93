import ContentStore
import CurlHTTP
import Foundation
import Gossip
import Identity
import Logging
import PayChannel
import Synchronization
import Transport

/// The node: the chunk store, gossip, the chunk exchange and the streams,
/// wired together. The daemon (`PeerNodeDaemon`) runs one with the HTTP API
/// around it; tests start one in-process with a temporary data directory.
///
/// ```swift
/// let node = try await PeerNode.start(dataDirectory: dir, config: config, logger: logger)
/// let published = try await node.publishVOD(video: "talk.mp4", title: "Talk")
/// let playlist = try await node.playlist(stream: published.stream, segmentPrefix: "")
/// await node.stop()
/// ```
public actor PeerNode {
    public nonisolated let address: Address
    public nonisolated let gossipEndpoint: String
    public nonisolated let exchangeEndpoint: String
    public nonisolated let store: ChunkStore
    public nonisolated let exchange: ChunkExchange
    public nonisolated let gossip: GossipNode
    public nonisolated let metrics: NodeMetrics
    public nonisolated let config: NodeConfig
    /// The money path; nil when config.json names no payment program.
    public nonisolated let payments: NodePayments?
    /// Threads for blocking remote calls (libcurl to IPFS and Arweave), so
    /// they never hold up the event loop or Swift's cooperative threads.
    nonisolated let remoteWork: BlockingWork
    let identity: KeyPair
    let dataDirectory: String
    let logger: Logger

    /// Streams this node publishes (its own announcements).
    var own: [StreamID: OwnStream] = [:]
    /// Verified manifests by CID.
    var manifests: [CID: StreamManifest] = [:]
    /// The newest manifest heard per stream from peers' catalogs (signed by
    /// the creator), for streams announced before we joined.
    var heard: [StreamID: (cid: CID, manifest: StreamManifest)] = [:]
    var lastCatalogSync = Date.distantPast
    var tasks: [Task<Void, Never>] = []
    var prefetching: Set<String> = []
    /// What the player plays, paid for: limits, seconds, keys. `package`:
    /// the paid-playback benchmark times key purchases through it.
    package let playback: Playback
    /// Creators we pay (seconds, tips): kept linked even without a gossip link.
    var payees: Set<Address> = []
    /// When we last asked our exchange peers for a payee's record.
    var lookedUp: [Address: Date] = [:]
    var chatJoined: Set<StreamID> = []
    /// Our streams are announced again once we have a first peer after a start.
    var announcedOwn = false
    var stopped = false
    /// Live segments the store refused, per stream (StoreFailures.swift).
    nonisolated let storeFailures = StoreFailures()

    struct OwnStream {
        var manifest: StreamManifest
        var cid: CID
        var live: LiveIngest?
        /// A live stream's creator settings (nil for a VOD).
        var settings: LiveSettings? = nil
        /// When the newest segment came (or the ingest started): stall detection.
        var lastSegmentAt = Date()
        /// The encoder restarted: the next segment starts with a discontinuity.
        var discontinuityNext = false
        var stalledNoted = false
        /// An encrypted live stream's segments by the digest of their
        /// plaintext (CID.hashing), to take each encoder file once.
        var plainDigests: [UInt64: CID] = [:]
        /// A recorded live stream's segments that left its manifest, oldest
        /// first, kept pinned for the VOD signed when it ends.
        var recorded: [StreamManifest.Segment] = []
    }

    /// The exchange endpoint travels in our signed gossip peer record as this capability.
    public static let exchangeCapabilityPrefix = "xchg="

    public static func start(dataDirectory: String, config: NodeConfig, identity: KeyPair,
                             metrics: NodeMetrics = NodeMetrics(), logger: Logger) async throws -> PeerNode {
        try config.validate()
        var storeConfig = StoreConfig()
        storeConfig.quotaBytes = config.quotaBytes
        storeConfig.minFreeBytes = config.minFreeBytes
        let store = try ChunkStore(directory: dataDirectory + "/store", config: storeConfig)
        let payments: NodePayments?
        do {
            payments = try NodePayments.open(dataDirectory: dataDirectory, identity: identity, config: config,
                                             metrics: metrics, logger: logger)
        } catch {
            store.close()
            throw error
        }
        // One access link for both transports: they share its caps.
        let seed = identity.address.bytes.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let shaper = config.simulatedLink(seed: seed).map(LinkShaper.init)
        if let conditions = shaper?.conditions {
            logger.warning("simulated network conditions on this node's links (simulations only)",
                           metadata: ["latency": "\(conditions.latency)", "uplink": "\(conditions.uplink.map { "\(Int($0))" } ?? "none")",
                                      "downlink": "\(conditions.downlink.map { "\(Int($0))" } ?? "none")", "loss": "\(conditions.loss)"])
        }
        let exchange: ChunkExchange
        do {
            exchange = try await ChunkExchange.start(identity: identity, store: store, config: config, metrics: metrics,
                                                     logger: logger, accounting: payments, shaper: shaper)
        } catch {
            store.close()
            throw error
        }
        var gossipConfig = GossipConfig()
        gossipConfig.listen = config.listen
        gossipConfig.shaper = shaper
        gossipConfig.bootstrap = try config.bootstrapPeers()
        gossipConfig.pricePerChunk = config.pricePerChunk
        gossipConfig.advertisedEndpoints = config.advertise
        gossipConfig.capabilities = Endpoint.advertised(bound: exchange.endpoint, configured: config.exchangeAdvertise,
                                                              limit: PeerRecord.maxEndpoints)
            .map { exchangeCapabilityPrefix + $0 }
        let gossip: GossipNode
        do { gossip = try await GossipNode.start(identity: identity, config: gossipConfig, dataDirectory: dataDirectory) } catch {
            await exchange.stop()
            store.close()
            throw PeerNodeError.listenFailed("gossip on \(config.listen): \(error)")
        }
        let node = PeerNode(identity: identity, dataDirectory: dataDirectory, config: config, store: store,
                            exchange: exchange, gossip: gossip, payments: payments, metrics: metrics, logger: logger)
        await node.begin()
        return node
    }

    init(identity: KeyPair, dataDirectory: String, config: NodeConfig, store: ChunkStore, exchange: ChunkExchange,
         gossip: GossipNode, payments: NodePayments?, metrics: NodeMetrics, logger: Logger) {
        self.payments = payments
        self.identity = identity
        self.address = identity.address
        self.dataDirectory = dataDirectory
        self.config = config
        self.store = store
        self.exchange = exchange
        self.gossip = gossip
        self.gossipEndpoint = gossip.endpoint
        self.exchangeEndpoint = exchange.endpoint
        self.metrics = metrics
        self.logger = logger
        self.remoteWork = BlockingWork(label: "peernode.remote", width: Self.remoteThreads)
        // Playback reaches back to the node only to keep a creator linked.
        let me = WeakNode()
        playback = Playback(identity: identity, payments: payments, send: Self.sender(exchange), link: { creator in
            await me.node?.keepLinked(creator)
        })
        me.set(self)
    }

    /// Delivers a voucher now through the exchange, or leaves it in the
    /// exchange's outbox for later when the payee does not answer.
    static func sender(_ exchange: ChunkExchange) -> PaymentSender {
        { due, note in
            await exchange.sendWaiting(to: due.peer)
            if let answer = await exchange.sendPayment(to: due.peer, voucher: due.voucher, purpose: due.purpose, note: note) {
                return answer
            }
            await exchange.queue(due)
            return nil
        }
    }

    /// Keeps `creator` linked (we pay it) and waits, bounded, until it is.
    func keepLinked(_ creator: Address) async {
        payees.insert(creator)
        try? await waitForLink(creator)
    }

    private func begin() async {
        await restorePublished()
        payments?.sellKeys(from: self)
        let catalogNode = WeakNode(self)
        let gossip = self.gossip
        Task {
            await exchange.setCatalog { await catalogNode.node?.catalog() ?? [] }
            await exchange.setRecordLookup { await gossip.signedRecordWire(of: $0) }
        }
        logger.info("node started", metadata: ["address": "\(address)", "gossip": "\(gossipEndpoint)",
                                               "exchange": "\(exchangeEndpoint)"])
        tasks.append(Task { [weak self] in
            while !Task.isCancelled {
                await self?.syncPeers()
                try? await Task.sleep(for: .milliseconds(250))
            }
        })
        payments?.startSettling()
    }

    /// Keeps the exchange's peers equal to the gossip peers that advertise an exchange endpoint.
    func syncPeers() async {
        let records = await gossip.connectedPeerRecords()
        var linked = records
        for payee in payees where !records.contains(where: { $0.address == payee }) {
            if let record = await gossip.peerRecord(of: payee) {
                linked.append(record)
            } else {
                lookUp(payee)
            }
        }
        var seen = Set<Address>()
        for record in linked {
            let dialled = await gossip.dialEndpoint(of: record.address)
            guard let endpoint = Self.exchangeEndpoint(of: record, near: dialled) else { continue }
            seen.insert(record.address)
            await exchange.addPeer(record.address, endpoint: endpoint, price: record.pricePerChunk)
        }
        for gone in await exchange.peerAddresses().subtracting(seen) { await exchange.removePeer(gone) }
        if !announcedOwn, !records.isEmpty {
            announcedOwn = true
            await announceOwn()
        }
        metrics.set(.gossipPeers, Int64(records.count))
        if Date().timeIntervalSince(lastCatalogSync) >= config.catalogSyncInterval {
            lastCatalogSync = Date()
            await syncCatalog()
        }
        if let stats = try? store.stats() { metrics.set(.storeBytes, Int64(stats.bytes)) }
    }

    /// A creator we pay but know no record of (peer exchange hands out a
    /// few records at random; in a crowd a viewer may wait minutes for the
    /// creator's): ask our exchange peers who it is, at most every 2 s.
    func lookUp(_ payee: Address) {
        if let last = lookedUp[payee], Date().timeIntervalSince(last) < 2 { return }
        lookedUp[payee] = Date()
        let (exchange, gossip, logger) = (exchange, gossip, logger)
        Task {
            let found = await exchange.findPeerRecord(payee) { await gossip.learnRecord($0, of: payee) }
            if !found { logger.notice("no peer knows the record of a creator we pay yet; asking again", metadata: ["payee": "\(payee)"]) }
        }
    }

    /// The exchange endpoint to dial for a peer: of those its record lists,
    /// the one on the host we reach its gossip at (the same interface), else
    /// the first. A wildcard (from an old node) is never dialled.
    static func exchangeEndpoint(of record: PeerRecord, near gossipEndpoint: String?) -> String? {
        let offered = record.capabilities.filter { $0.hasPrefix(exchangeCapabilityPrefix) }
            .compactMap { Endpoint(String($0.dropFirst(exchangeCapabilityPrefix.count))) }
            .filter { !$0.isWildcard }
        let host = gossipEndpoint.flatMap(Endpoint.init)?.host
        return (offered.first { $0.host == host } ?? offered.first)?.description
    }

    public func stop() async {
        guard !stopped else { return }
        stopped = true
        for task in tasks { task.cancel() }
        for (_, s) in own { await s.live?.stop() }
        await gossip.stop()
        await exchange.stop()
        payments?.stop()
        // Remote operations under way finish (they use the store) before it closes.
        await remoteWork.shutdown()
        store.close()
        logger.info("node stopped")
    }

    /// The manifest CIDs we vouch for: our streams, announcements heard, manifests heard.
    func catalog() async -> [CID] {
        var out = Set(own.values.filter { $0.manifest.sequence > 0 }.map(\.cid))
        for a in await gossip.knownStreams() { if let m = a.manifest { out.insert(m) } }
        for (_, h) in heard { out.insert(h.cid) }
        return Array(out)
    }

    /// Learns streams from peers' catalogs: fetches each unknown manifest
    /// (verified by CID and creator signature), keeps the newest per stream.
    /// Announced VODs' manifests are fetched too (one small chunk each), so
    /// a player's first playlist request does not wait for one.
    func syncCatalog() async {
        var cids = await exchange.listStreams()
        for a in await gossip.knownStreams() where a.liveSegment == nil && a.creator != address {
            if let cid = a.manifest { cids.insert(cid) }
        }
        var fetched = 0
        for cid in cids where manifests[cid] == nil && fetched < 64 {
            fetched += 1
            guard let bytes = try? await exchange.chunkBytes(cid),
                  let manifest = try? StreamManifest.decode(bytes), let id = manifest.streamID else { continue }
            manifests[cid] = manifest
            if let known = heard[id], known.manifest.sequence >= manifest.sequence { continue }
            heard[id] = (cid, manifest)
        }
    }

    // MARK: Publishing

    public struct Published: Sendable, Codable {
        public let stream: String
        public let manifest: String
        public let segments: Int
        public let duration: Double
        /// The renditions' names, highest first ("720p"); absent for an MPEG-TS publish.
        public var renditions: [String]? = nil
    }

    func setTipPinning(_ manifest: inout StreamManifest) {
        guard config.tipPinPrice > 0 else { return }
        manifest.tipPinPrice = config.tipPinPrice
        manifest.tipPinSeconds = config.tipPinSeconds
    }

    func streamID(name: String?, title: String) throws -> StreamID {
        let base = name ?? title.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }.reduce("") { $0 + String($1) }
        let trimmed = String(base.prefix(StreamID.maxNameBytes / 2)) + (name == nil ? "-" + String(UUID().uuidString.prefix(8)).lowercased() : "")
        do { return try StreamID(creator: address, name: trimmed) } catch {
            throw PeerNodeError.badRequest("stream name '\(trimmed)': \(error)")
        }
    }

    /// `nonce`: a paid stream's key nonce; the segment is stored encrypted.
    func storeSegment(path: String, sequence: UInt64, duration: Double, pin: Bool = true,
                      nonce: [UInt8]? = nil, format: SegmentFormat = .mpegts) throws -> StreamManifest.Segment {
        let sealed = try sealSegment(path: path, sequence: sequence, nonce: nonce)
        defer { if sealed.path != path { try? FileManager.default.removeItem(atPath: sealed.path) } }
        let added = try store.addFile(path: sealed.path, name: Self.segmentFileName(sequence, format),
                                      mediaType: Self.segmentMediaType(format), pin: pin)
        return StreamManifest.Segment(sequence: sequence, duration: duration, size: added.manifest.size,
                                      chunks: added.manifest.chunks, iv: sealed.iv)
    }

    static func segmentMediaType(_ format: SegmentFormat) -> String { format == .fmp4 ? "video/iso.segment" : "video/mp2t" }
    static func segmentFileName(_ sequence: UInt64, _ format: SegmentFormat) -> String {
        "segment-\(sequence).\(format.segmentExtension)"
    }

    /// The pinned file manifest a stored segment is held by (as storeSegment made it).
    func segmentFileCID(_ segment: StreamManifest.Segment, _ format: SegmentFormat) -> CID {
        FileManifest(name: Self.segmentFileName(segment.sequence, format), mediaType: Self.segmentMediaType(format),
                     size: segment.size, chunkSize: store.config.chunkSize, chunks: segment.chunks).cid
    }

    /// Stores a CMAF init segment pinned, as it is (never encrypted: docs/video.md).
    func storeInitSegment(path: String) throws -> (StreamManifest.InitSegment, pinned: CID?) {
        let added = try store.addFile(path: path, name: "init.mp4", mediaType: "video/mp4", pin: true)
        return (StreamManifest.InitSegment(size: added.manifest.size, chunks: added.manifest.chunks),
                added.newlyPinned ? added.cid : nil)
    }

    /// The pinned holder of a signed manifest chunk (as publish made it).
    static func manifestHolder(_ cid: CID, size: Int) -> FileManifest {
        FileManifest(name: "stream-manifest", mediaType: "application/json", size: UInt64(size),
                     chunkSize: StoreConfig.maxChunkSize, chunks: [cid])
    }

    /// Signs, stores (pinned) and announces a manifest; returns its CID.
    func publish(_ manifest: inout StreamManifest, liveSegment: UInt64?) async throws -> CID {
        try manifest.sign(with: identity)
        let bytes = manifest.encoded()
        guard bytes.count <= StreamManifest.maxEncodedBytes else {
            throw PeerNodeError.badManifest("the manifest is \(bytes.count) bytes; at most \(StreamManifest.maxEncodedBytes)")
        }
        let cid = try store.putChunk(bytes)
        try store.putManifest(Self.manifestHolder(cid, size: bytes.count), pin: true)
        manifests[cid] = manifest
        guard let id = manifest.streamID else { throw PeerNodeError.badManifest("stream id") }
        let announcement = StreamAnnouncement(stream: id, title: String(manifest.title.prefix(StreamAnnouncement.maxTitleBytes)),
                                              pricePerSecond: manifest.pricePerSecond, manifest: cid,
                                              liveSegment: liveSegment)
        // Awaited, so announcements leave in manifest order (each gets the next envelope sequence).
        do { try await gossip.announce(announcement) } catch {
            logger.warning("announcement failed", metadata: ["stream": "\(id)", "error": "\(error)"])
        }
        return cid
    }

    // MARK: Streams and playback

    public struct StreamSummary: Sendable, Codable {
        public let stream: String
        public let title: String
        public let creator: String
        public let pricePerSecond: UInt64
        public let kind: String
        public let manifest: String?
        public let liveSegment: UInt64?
        public let own: Bool
        /// A live stream's status: waiting, live, stalled or ended (LiveStatus); nil for a VOD.
        public var status: String? = nil
        /// Our live stream's last segment the store refused, until one is stored again.
        public var storeError: String? = nil
        /// Where its poster is served (a path on this node), when its manifest names one.
        public var poster: String? = nil
    }

    /// Every stream known from announcements, and our own.
    public func streams() async -> [StreamSummary] {
        var out: [String: StreamSummary] = [:]
        for a in await gossip.knownStreams() {
            // A live stream announced before its first segment has no segment number: its manifest says.
            let known = a.manifest.flatMap { manifests[$0] }
            out[a.stream.description] = StreamSummary(
                stream: a.stream.description, title: a.title, creator: a.creator.base58, pricePerSecond: a.pricePerSecond,
                kind: known?.kind.rawValue ?? (a.liveSegment == nil ? "vod" : "live"), manifest: a.manifest?.description, liveSegment: a.liveSegment,
                own: a.creator == address)
        }
        for (id, h) in heard where out[id.description] == nil || h.manifest.ended {
            let m = h.manifest
            out[id.description] = StreamSummary(
                stream: id.description, title: m.title, creator: m.creator.base58, pricePerSecond: m.pricePerSecond,
                kind: m.kind.rawValue, manifest: h.cid.description,
                liveSegment: m.kind == .live ? m.segments.last?.sequence : nil, own: false)
        }
        for (key, summary) in out where summary.kind == "live" {
            out[key]?.status = heardStatus(summary)
        }
        for (key, summary) in out where summary.manifest.flatMap({ try? CID($0) }).flatMap({ manifests[$0] })?.poster != nil {
            out[key]?.poster = "/v1/streams/\(summary.stream)/poster"
        }
        for (id, s) in own {
            out[id.description] = StreamSummary(
                stream: id.description, title: s.manifest.title, creator: address.base58,
                pricePerSecond: s.manifest.pricePerSecond, kind: s.manifest.kind.rawValue,
                manifest: s.manifest.sequence == 0 ? nil : s.cid.description,
                liveSegment: s.manifest.kind == .live ? s.manifest.segments.last?.sequence : nil, own: true,
                status: s.manifest.kind == .live ? liveStatus(s).rawValue : nil,
                storeError: storeFailures.message(for: id),
                poster: s.manifest.poster == nil ? nil : "/v1/streams/\(id)/poster")
        }
        metrics.set(.knownStreams, Int64(out.count))
        return out.values.sorted { $0.stream < $1.stream }
    }

    /// A peer's live stream, as far as its newest manifest we hold says: its
    /// newest segment came when the creator signed that manifest.
    func heardStatus(_ summary: StreamSummary) -> String {
        guard let id = try? StreamID(summary.stream) else { return LiveStatus.live.rawValue }
        var newest = summary.manifest.flatMap { try? CID($0) }.flatMap { manifests[$0] }
        if let h = heard[id], h.manifest.sequence > newest?.sequence ?? 0 { newest = h.manifest }
        guard let newest else { return LiveStatus.live.rawValue }
        let signed = Date(timeIntervalSince1970: Double(newest.created) / 1000)
        return LiveStatus.of(newest, lastSegment: signed).rawValue
    }

    func parseStream(_ text: String) throws -> StreamID {
        do { return try StreamID(text) } catch { throw PeerNodeError.badRequest("'\(text)' is not CREATOR/NAME: \(error)") }
    }

    /// The newest verified manifest of a stream, fetched from peers if needed.
    public func currentManifest(stream text: String) async throws -> StreamManifest {
        let id = try parseStream(text)
        // Our live stream before its first segment: an empty live playlist players wait on.
        if let s = own[id], s.manifest.sequence > 0 || s.manifest.kind == .live { return s.manifest }
        let announced = await gossip.knownStreams().first(where: { $0.stream == id })?.manifest
        var best: StreamManifest?
        if let cid = announced { best = try await manifest(cid, for: id) }
        if let h = heard[id], h.manifest.sequence > best?.sequence ?? 0 { best = h.manifest }
        guard let best else { throw PeerNodeError.notFound("stream \(text) (no announcement heard yet)") }
        return best
    }

    func manifest(_ cid: CID, for id: StreamID) async throws -> StreamManifest {
        if let known = manifests[cid] { return known }
        let bytes = try await exchange.chunkBytes(cid)
        let manifest = try StreamManifest.decode(bytes)
        guard manifest.stream == id.description else {
            throw PeerNodeError.badManifest("manifest \(cid) is for \(manifest.stream), not \(id)")
        }
        if manifests.count > 256 { manifests.removeAll() }
        manifests[cid] = manifest
        return manifest
    }

    /// The HLS media playlist a player gets (URIs relative to it): of the
    /// stream's own rendition, or of the ladder rendition `rendition` ("480p").
    public func playlist(stream: String, rendition: String? = nil) async throws -> String {
        let manifest = try await currentManifest(stream: stream, rendition: rendition)
        // The player asks for the first segment next: start on it alone, so
        // what a crowd fetches first is what its players wait for.
        if let first = manifest.segments.suffix(manifest.kind == .live ? config.liveWindowSegments : .max).first {
            prefetch(stream: stream, manifest: manifest, from: first.sequence, count: 1)
            // A paid stream's first key is bought beside its bytes (a channel may have to open first).
            await playback.buyKeyAhead(first, of: manifest)
        }
        let prefix = rendition.map { $0 + "-" } ?? ""
        let suffix = manifest.isCMAF ? "m4s" : "ts"
        return HLSPlaylist.render(manifest, window: config.liveWindowSegments, segmentURI: { "\(prefix)\($0).\(suffix)" },
                                  mapURI: { prefix + HLSPlaylist.initSegmentName($0) })
    }

    /// One segment's bytes, every chunk verified; the next segments are fetched ahead.
    public func segment(stream: String, sequence: UInt64, rendition: String? = nil) async throws -> [UInt8] {
        let manifest = try await currentManifest(stream: stream, rendition: rendition)
        guard let segment = manifest.segments.first(where: { $0.sequence == sequence }) else {
            throw PeerNodeError.notFound("segment \(sequence) of \(stream)")
        }
        keepLinked(manifest)
        try await playback.check(manifest, segment)
        // The segment the player waits for first, then the next ones ahead
        // (fetched beside it, they slowed the first segment of a crowd).
        try await exchange.ensureAll(segment.chunks, for: stream)
        prefetch(stream: stream, manifest: manifest, from: sequence + 1)
        var out: [UInt8] = []
        out.reserveCapacity(Int(segment.size))
        for cid in segment.chunks { out.append(contentsOf: try await exchange.chunkBytes(cid)) }
        // Paid for: its key bought (the next one while it plays), or its seconds owed.
        out = try await playback.open(out, segment, of: manifest)
        metrics.add(.hlsRequests)
        return out
    }

    /// Before playing: whether this node can pay for `manifest`'s stream;
    /// nil when it can, else what will stop playback and the fix.
    public func paymentWarning(for manifest: StreamManifest) async -> String? {
        keepLinked(manifest)
        return await playback.warning(for: manifest)
    }

    /// A paid stream's creator is kept linked: we pay it even without a gossip link.
    func keepLinked(_ manifest: StreamManifest) {
        if manifest.pricePerSecond > 0, manifest.creator != address, payments != nil { payees.insert(manifest.creator) }
    }

    /// Fetches the next `count` (default `fetchAheadSegments`) segments in the background.
    func prefetch(stream: String, manifest: StreamManifest, from sequence: UInt64, count: Int? = nil) {
        let ahead = manifest.segments.filter { $0.sequence >= sequence }.prefix(count ?? config.fetchAheadSegments)
        for segment in ahead {
            let key = "\(stream)#\(segment.sequence)"
            guard !prefetching.contains(key), !segment.chunks.allSatisfy({ store.hasChunk($0) }) else { continue }
            prefetching.insert(key)
            Task { [exchange, playback] in
                // Prefetching stops where playing would: at the viewer's limits.
                if await playback.allows(manifest, segment) { try? await exchange.ensureAll(segment.chunks, for: stream) }
                self.prefetched(key)
            }
        }
    }

    func prefetched(_ key: String) { prefetching.remove(key) }
}

/// A weak reference to the node, for callbacks the node's parts hold.
final class WeakNode: Sendable {
    private let box: Mutex<PeerNodeRef>
    struct PeerNodeRef { weak var node: PeerNode? }
    init(_ node: PeerNode? = nil) { box = Mutex(PeerNodeRef(node: node)) }
    func set(_ node: PeerNode) { box.withLock { $0.node = node } }
    var node: PeerNode? { box.withLock { $0.node } }
}
