import ContentStore
import Foundation

/// What a player asks of a stream with CMAF segments or a ladder: the
/// master playlist, one rendition's manifest, init segments. An init
/// segment is free (it holds no second of the video) and verified chunk by
/// chunk like any segment.
extension PeerNode {
    /// The manifest as rendition `rendition`'s player sees it (nil: the stream's own).
    public func currentManifest(stream: String, rendition: String?) async throws -> StreamManifest {
        let manifest = try await currentManifest(stream: stream)
        guard let chosen = manifest.selecting(rendition) else {
            let names = manifest.allRenditions.map(\.media.name)
            throw PeerNodeError.notFound("rendition \(rendition ?? "") of \(stream) (it has \(names.isEmpty ? "one" : names.joined(separator: ", ")))")
        }
        return chosen
    }

    /// The playlist at index.m3u8: the master playlist of a stream with a
    /// ladder, else the media playlist of its one rendition.
    public func indexPlaylist(stream: String) async throws -> String {
        let manifest = try await currentManifest(stream: stream)
        guard manifest.renditions != nil else { return try await playlist(stream: stream) }
        return HLSPlaylist.master(manifest) { "\($0).m3u8" }
    }

    /// An init segment's bytes: the manifest's own (`sequence` nil) or the
    /// one segment `sequence` brought, of `rendition`.
    public func initSegment(stream: String, rendition: String?, sequence: UInt64?) async throws -> [UInt8] {
        let manifest = try await currentManifest(stream: stream, rendition: rendition)
        let found = sequence.map { n in manifest.segments.first { $0.sequence == n }?.initSegment } ?? manifest.initSegment
        guard let found else {
            throw PeerNodeError.notFound("init segment \(sequence.map { "of segment \($0)" } ?? "") of \(stream) (not a CMAF stream, or not listed any more)")
        }
        return try await storedBytes(found, of: stream)
    }

    /// The poster of a stream (PosterFrame), verified like a segment.
    public func poster(stream: String) async throws -> [UInt8] {
        let manifest = try await currentManifest(stream: stream)
        guard let poster = manifest.poster else { throw PeerNodeError.notFound("a poster of \(stream) (published without one)") }
        return try await storedBytes(poster, of: stream)
    }

    /// A small stored file's bytes, every chunk fetched if needed and verified.
    func storedBytes(_ file: StreamManifest.StoredFile, of stream: String) async throws -> [UInt8] {
        try await exchange.ensureAll(file.chunks, for: stream)
        var out: [UInt8] = []
        out.reserveCapacity(Int(min(file.size, UInt64(StoreConfig.maxChunkSize * StreamManifest.maxStoredFileChunks))))
        for cid in file.chunks { out.append(contentsOf: try await exchange.chunkBytes(cid)) }
        return out
    }

    /// Takes, stores and pins the poster of a video being published; nil
    /// (and a warning) when ffmpeg cannot: a stream without a poster still plays.
    func storePoster(video: String, duration: Double, work: String) async -> (StreamManifest.StoredFile, pinned: CID?)? {
        let path = work + "/" + PosterFrame.fileName
        do {
            try await Task.detached { try PosterFrame.take(video: video, duration: duration, into: path) }.value
            let added = try store.addFile(path: path, name: PosterFrame.fileName, mediaType: PosterFrame.mediaType, pin: true)
            return (StreamManifest.StoredFile(size: added.manifest.size, chunks: added.manifest.chunks),
                    added.newlyPinned ? added.cid : nil)
        } catch {
            logger.warning("published without a poster", metadata: ["video": "\(video)", "error": "\(error)"])
            return nil
        }
    }
}

extension StreamManifest {
    /// CMAF segments (an init segment anywhere), else MPEG-TS.
    var isCMAF: Bool { initSegment != nil || segments.contains { $0.initSegment != nil } }

    var segmentFormat: SegmentFormat { isCMAF ? .fmp4 : .mpegts }
}
