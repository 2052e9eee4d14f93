import ContentStore
import Foundation
import Gossip

/// Live streams from a folder an encoder (ffmpeg, OBS) writes HLS into:
/// segments taken by content (LiveIngest), a manifest per segment keeping
/// the newest `liveHistorySegments` (what leaves it is unpinned), stall
/// detection and the end after the creator's stall timeout
/// (docs/chunk-exchange.md, "Live streams").
extension PeerNode {
    /// Starts watching a folder that ffmpeg or OBS writes HLS into. An
    /// empty live manifest is announced at once, so that viewers can find
    /// the stream and wait for its first segment.
    public func startLive(hlsDirectory: String, title: String, name: String? = nil, pricePerSecond: UInt64? = nil,
                          stallTimeout: Double? = nil, onRestart: String? = nil, record: Bool? = nil) async throws -> String {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: hlsDirectory, isDirectory: &isDir), isDir.boolValue else {
            throw PeerNodeError.notFound("HLS folder \(hlsDirectory)")
        }
        let settings = try LiveSettings.resolve(stallTimeout: stallTimeout, restart: onRestart, record: record,
                                                paid: (pricePerSecond ?? config.pricePerSecond) > 0, config: config)
        let id = try streamID(name: name, title: title)
        if let existing = own[id], !existing.manifest.ended {
            throw PeerNodeError.badRequest("\(id) is already live; end it first or choose another name")
        }
        var manifest = newLiveManifest(id, title: title, pricePerSecond: pricePerSecond ?? config.pricePerSecond)
        manifest.sequence = 1
        let cid = try await publish(&manifest, liveSegment: nil)
        ingest(id, manifest: manifest, cid: cid, folder: hlsDirectory, settings: settings)
        logger.info("live stream started", metadata: ["stream": "\(id)", "folder": "\(hlsDirectory)",
                                                      "stallTimeout": "\(settings.stallTimeout)",
                                                      "onRestart": "\(settings.restart.rawValue)",
                                                      "record": "\(settings.record == true)"])
        return id.description
    }

    /// A live stream's manifest before its first segment.
    func newLiveManifest(_ id: StreamID, title: String, pricePerSecond: UInt64) -> StreamManifest {
        var manifest = StreamManifest(kind: .live, stream: id, title: title, pricePerSecond: pricePerSecond,
                                      sequence: 0, ended: false, segments: [])
        manifest.targetDuration = config.hlsSegmentSeconds
        if pricePerSecond > 0 { manifest.encrypt(nonce: ContentKeys.newNonce()) }
        setTipPinning(&manifest)
        return manifest
    }

    /// The settings of a stream restored without any saved (streams.json of an older node).
    var defaultLiveSettings: LiveSettings {
        LiveSettings(stallTimeout: config.liveStallTimeout, restart: LiveRestart(rawValue: config.liveEncoderRestart) ?? .continue)
    }

    /// Takes segments from `folder` into the live stream `id` from now on.
    func ingest(_ id: StreamID, manifest: StreamManifest, cid: CID, folder: String, settings: LiveSettings) {
        let ingest = LiveIngest(node: self, stream: id, directory: folder, interval: config.livePollInterval)
        own[id] = OwnStream(manifest: manifest, cid: cid, live: ingest, settings: settings)
        ingest.start()
        savePublished()
    }

    /// Ends a live stream: a last manifest with `ended`, announced.
    public func endLive(stream text: String) async throws {
        let id = try parseStream(text)
        guard let s = own[id], let live = s.live, !s.manifest.ended else {
            throw PeerNodeError.notFound("live stream \(text) of this node")
        }
        await live.stop()
        try await finishLive(id)
    }

    /// The last manifest: the same segments (the playlist keeps its window
    /// and media sequence) with `ended`, announced.
    func finishLive(_ id: StreamID) async throws {
        guard var s = own[id], !s.manifest.ended else { return }
        s.manifest.ended = true
        s.manifest.sequence += 1
        let previous = s.manifest.sequence > 1 ? s.cid : nil
        s.cid = try await publish(&s.manifest, liveSegment: s.manifest.segments.last?.sequence)
        s.live = nil
        own[id] = s
        unpinManifest(previous)
        savePublished()
        logger.info("live stream ended", metadata: ["stream": "\(id)", "segments": "\(s.manifest.segments.count)"])
        if s.settings?.record == true { await publishRecording(of: id) }
    }

    /// Called by the ingest for each new complete segment file.
    /// `initPath`: the CMAF init segment the encoder's playlist maps it to.
    func liveSegment(_ id: StreamID, path: String, duration: Double, initPath: String? = nil) async throws {
        guard var s = own[id], !s.manifest.ended else { return }
        let format: SegmentFormat = initPath != nil ? .fmp4 : .mpegts
        let sequence = (s.manifest.segments.last?.sequence).map { $0 + 1 } ?? 0
        // Taken by content: a segment we already hold (an ingest resumed
        // after a restart reads the folder again) is not a new one. An
        // encrypted one is compared by its plaintext's digest, as its
        // ciphertext differs with every key.
        var digest: CID?
        if s.manifest.encryption != nil {
            guard let bytes = FileManager.default.contents(atPath: path) else { throw PeerNodeError.notFound("segment file \(path)") }
            digest = CID.hashing(Array(bytes))
            if s.plainDigests.values.contains(digest!) { return }
        }
        var segment = try storeLiveSegment(id, path: path, sequence: sequence, duration: duration, pin: false, format: format)
        if s.manifest.segments.contains(where: { $0.chunks == segment.chunks }) { return }
        if let initPath { try takeInitSegment(initPath, for: &segment, of: &s.manifest) }
        if let digest { s.plainDigests[sequence] = digest }
        try store.pin(segmentFileCID(segment, format))
        if s.discontinuityNext, !s.manifest.segments.isEmpty { segment.discontinuity = true }
        s.discontinuityNext = false
        s.manifest.segments.append(segment)
        let keep = max(config.liveHistorySegments, config.liveWindowSegments)
        var leaving: [StreamManifest.Segment] = []
        if s.manifest.segments.count > keep {
            leaving = Array(s.manifest.segments.prefix(s.manifest.segments.count - keep))
            s.manifest.segments.removeFirst(leaving.count)
            for old in leaving { s.plainDigests[old.sequence] = nil }
            if s.settings?.record == true { s.keepForRecording(leaving) }
            // The init segment in effect for the new first segment stays named by the manifest
            // (kept for the recording first: it is the one of the first segment leaving).
            if let brought = leaving.last(where: { $0.initSegment != nil })?.initSegment,
               s.manifest.segments.first?.initSegment == nil {
                s.manifest.initSegment = brought
            }
            let dropped = UInt64(leaving.filter { $0.discontinuity == true }.count)
            if dropped > 0 { s.manifest.discontinuitySequence = (s.manifest.discontinuitySequence ?? 0) + dropped }
        }
        s.manifest.targetDuration = max(s.manifest.targetDuration, Int(duration.rounded(.up)))
        s.manifest.sequence += 1
        let previous = s.manifest.sequence > 1 ? s.cid : nil
        s.cid = try await publish(&s.manifest, liveSegment: sequence)
        s.lastSegmentAt = Date()
        s.stalledNoted = false
        own[id] = s
        savePublished()
        // Only once the manifest that no longer lists them is stored and announced.
        // A recorded stream keeps them pinned for its recording.
        for old in leaving where s.settings?.record != true {
            unpin(segmentFileCID(old, s.manifest.segmentFormat), what: "segment \(old.sequence) of \(id)")
        }
        unpinManifest(previous)
        logger.info("live segment", metadata: ["stream": "\(id)", "sequence": "\(sequence)", "manifest": "\(s.cid)"])
    }

    /// Stores (pinned) the init segment a CMAF encoder maps `segment` to
    /// and names it in the manifest: as the manifest's own for the first
    /// segment, else on the segment when it differs from the one in effect
    /// (an encoder restarted with other settings). Init segments stay
    /// pinned when their segments leave the window: a few hundred bytes each.
    func takeInitSegment(_ path: String, for segment: inout StreamManifest.Segment,
                         of manifest: inout StreamManifest) throws {
        let (stored, _) = try storeInitSegment(path: path)
        let current = manifest.segments.last(where: { $0.initSegment != nil })?.initSegment ?? manifest.initSegment
        guard stored != current else { return }
        if manifest.segments.isEmpty { manifest.initSegment = stored } else { segment.initSegment = stored }
        manifest.describeMedia()
    }

    /// Of segment files an encoder lists, the index of the newest whose bytes
    /// are a segment of the stream's manifest (nil: none, or no segment yet).
    func newestHeld(_ id: StreamID, files: [String]) -> Int? {
        guard let s = own[id], !s.manifest.segments.isEmpty else { return nil }
        if s.manifest.encryption != nil {
            let held = Set(s.plainDigests.values)
            return files.indices.reversed().first { index in
                FileManager.default.contents(atPath: files[index]).map { held.contains(CID.hashing(Array($0))) } ?? false
            }
        }
        let held = Set(s.manifest.segments.map(\.chunks))
        for (index, file) in files.enumerated().reversed() {
            // Unpinned: only compared here, and taken (pinned) later if new.
            if let segment = try? storeSegment(path: file, sequence: 0, duration: 0, pin: false), held.contains(segment.chunks) {
                return index
            }
        }
        return nil
    }

    /// The previous manifest of a live stream is superseded: its holder is
    /// unpinned (peers that still ask get it while it stays in the store).
    func unpinManifest(_ cid: CID?) {
        guard let cid, let bytes = try? store.chunk(cid) else { return }
        unpin(Self.manifestHolder(cid, size: bytes.count).cid, what: "manifest \(cid)")
    }

    private func unpin(_ cid: CID, what: String) {
        guard store.isPinned(cid) else { return }
        do { try store.unpin(cid) } catch {
            logger.warning("cannot unpin what left a live manifest", metadata: ["what": "\(what)", "error": "\(error)"])
        }
    }

    /// The encoder restarted into the stream's folder (LiveIngest saw names
    /// start again with new content). Returns the stream that takes the new
    /// segments: the same one, after a discontinuity, or a new one.
    func encoderRestarted(_ id: StreamID) async -> StreamID? {
        guard var s = own[id], !s.manifest.ended, let live = s.live else { return nil }
        let settings = s.settings ?? defaultLiveSettings
        guard settings.restart == .new, !s.manifest.segments.isEmpty else {
            s.discontinuityNext = true
            own[id] = s
            logger.notice("live encoder restarted into the same folder; the stream continues after a discontinuity",
                          metadata: ["stream": "\(id)", "folder": "\(live.directory)"])
            return id
        }
        do { try await finishLive(id) } catch {
            logger.error("cannot end the live stream after its encoder restarted", metadata: ["stream": "\(id)", "error": "\(error)"])
            return nil
        }
        var next: StreamID?
        for n in 2...1000 {
            let base = String(id.name.prefix(StreamID.maxNameBytes / 2))
            guard let candidate = try? StreamID(creator: address, name: "\(base)-\(n)") else { break }
            if own[candidate] == nil { next = candidate; break }
        }
        guard let next else { return nil }
        let manifest = newLiveManifest(next, title: s.manifest.title, pricePerSecond: s.manifest.pricePerSecond)
        own[next] = OwnStream(manifest: manifest, cid: manifest.cid, live: live, settings: settings)
        savePublished()
        logger.notice("live encoder restarted into the same folder; the stream ended and a new one started",
                      metadata: ["stream": "\(id)", "new": "\(next)", "folder": "\(live.directory)"])
        return next
    }

    /// Called by the ingest after each look at the folder: notes a stall,
    /// and ends the stream once its stall timeout has passed. False when
    /// the stream has ended (the ingest stops).
    func liveTick(_ id: StreamID) async -> Bool {
        guard var s = own[id], !s.manifest.ended else { return false }
        guard liveStatus(s) == .stalled else { return true }
        let quiet = Date().timeIntervalSince(s.lastSegmentAt)
        let timeout = (s.settings ?? defaultLiveSettings).stallTimeout
        if !s.stalledNoted {
            s.stalledNoted = true
            own[id] = s
            logger.notice("live stream stalled: no new segment", metadata: ["stream": "\(id)", "seconds": "\(Int(quiet))",
                                                                          "endsAfter": "\(timeout)"])
        }
        guard quiet >= timeout else { return true }
        logger.notice("live stream ended after its stall timeout", metadata: ["stream": "\(id)", "seconds": "\(Int(quiet))"])
        do { try await finishLive(id) } catch {
            logger.error("cannot end the stalled live stream", metadata: ["stream": "\(id)", "error": "\(error)"])
            return true
        }
        return false
    }

    func liveStatus(_ s: OwnStream) -> LiveStatus { LiveStatus.of(s.manifest, lastSegment: s.lastSegmentAt) }
}
