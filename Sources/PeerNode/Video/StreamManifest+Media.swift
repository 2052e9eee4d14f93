import ContentStore
import Foundation

/// What a manifest says about its media (version 3): a CMAF stream's init
/// segment, the codecs, size, frame rate and bandwidth measured from the
/// segments (MediaProbe), and the other renditions of an adaptive bitrate
/// ladder. A manifest without them is an MPEG-TS stream of one rendition,
/// as every manifest before CMAF was, and plays as before (docs/video.md).
extension StreamManifest {
    /// A small file stored as chunks beside the segments, content-addressed
    /// and verified like a segment, never encrypted: a CMAF init segment
    /// (`ftyp` + `moov`: codec configuration, no media sample, nothing worth
    /// a second of the price) or a poster (docs/video.md).
    public typealias InitSegment = StoredFile

    public struct StoredFile: Codable, Sendable, Equatable {
        public var size: UInt64
        public var chunks: [CID]
    }

    /// One rendition's media as measured from its segments, in the terms of
    /// HLS's EXT-X-STREAM-INF (RFC 8216 §4.3.4.2).
    public struct Media: Codable, Sendable, Equatable {
        /// RFC 6381 codecs, "avc1.64001f,mp4a.40.2".
        public var codecs: String
        public var width: Int
        public var height: Int
        public var frameRate: Double
        /// Peak bits per second over any one media segment (BANDWIDTH).
        public var bandwidth: UInt64
        /// Bits per second over all media segments (AVERAGE-BANDWIDTH).
        public var averageBandwidth: UInt64
        /// Seconds, as ffprobe measures the rendition.
        public var duration: Double

        /// The rendition's name in URLs and ladders: its height, "720p".
        public var name: String { "\(height)p" }
    }

    /// Another rendition of the stream: the same sequence numbers and
    /// durations as the manifest's own segments (a viewer pays for seconds,
    /// whichever rendition it plays), its own init segment and bytes.
    public struct Rendition: Codable, Sendable, Equatable {
        public var media: Media
        public var initSegment: InitSegment?
        public var segments: [Segment]
    }

    /// Every rendition, the manifest's own first.
    public var allRenditions: [Rendition] {
        guard let media else { return [] }
        return [Rendition(media: media, initSegment: initSegment, segments: segments)] + (renditions ?? [])
    }

    /// The manifest as one rendition's player sees it: that rendition's
    /// segments and init segment in place of the manifest's own; nil when it
    /// has no rendition of that name. The manifest's own rendition is also
    /// `nil`'s answer, so a single-rendition stream needs no name.
    public func selecting(_ name: String?) -> StreamManifest? {
        guard let name, name != media?.name else { return self }
        guard let chosen = renditions?.first(where: { $0.media.name == name }) else { return nil }
        var out = self
        out.segments = chosen.segments
        out.initSegment = chosen.initSegment
        out.media = chosen.media
        out.renditions = nil
        out.targetDuration = max(targetDuration, Int((chosen.segments.map(\.duration).max() ?? 1).rounded(.up)))
        return out
    }

    /// Marks the manifest as one that describes its media, so that nodes
    /// without CMAF refuse it by version rather than by signature.
    mutating func describeMedia() { version = max(version, Self.mediaVersion) }

    /// The rules `decode` adds for version 3: media fields only in a
    /// manifest that says it has them, ladder renditions named once each and
    /// listing the same segments, encrypted ones with their IVs.
    func checkMedia() throws(PeerNodeError) {
        let described = initSegment != nil || media != nil || renditions != nil || poster != nil
            || segments.contains { $0.initSegment != nil }
        guard !described || version >= Self.mediaVersion else {
            throw .badManifest("version \(version) carries media fields of version \(Self.mediaVersion)")
        }
        let files = [initSegment, poster] + allRenditions.map(\.initSegment) + segments.map(\.initSegment)
        for file in files.compactMap({ $0 }) where file.chunks.count > Self.maxStoredFileChunks {
            throw .badManifest("an init segment or poster of \(file.chunks.count) chunks: at most \(Self.maxStoredFileChunks)")
        }
        // A viewer's node writes these into playlists: nothing that could break a line or a quote.
        for m in allRenditions.map(\.media) {
            guard !m.codecs.isEmpty, m.codecs.count <= 100,
                  m.codecs.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) && $0.isASCII || ".,-_".unicodeScalars.contains($0) }),
                  (1...16384).contains(m.width), (1...16384).contains(m.height),
                  m.frameRate.isFinite, m.frameRate > 0, m.frameRate <= 1000, m.duration.isFinite, m.duration >= 0 else {
                throw .badManifest("media '\(m.codecs.prefix(100))' \(m.width)x\(m.height) at \(m.frameRate) fps: not codecs, a size and a frame rate")
            }
        }
        guard let renditions else { return }
        guard media != nil, renditions.count <= Self.maxRenditions else {
            throw .badManifest("\(renditions.count) more renditions: at most \(Self.maxRenditions), and only beside the manifest's own media")
        }
        var names: Set<String> = [media?.name ?? ""]
        let sequences = segments.map(\.sequence)
        for r in renditions {
            guard names.insert(r.media.name).inserted else { throw .badManifest("rendition \(r.media.name) is listed twice") }
            guard r.segments.map(\.sequence) == sequences else {
                throw .badManifest("rendition \(r.media.name) lists other segments than the manifest")
            }
            if encryption != nil, r.segments.contains(where: { hexBytes($0.iv ?? "")?.count != SegmentCipher.ivBytes }) {
                throw .badManifest("rendition \(r.media.name) has an encrypted segment without a 16-byte IV")
            }
        }
    }

    /// Renditions beside the manifest's own (a ladder of 1080p to 240p is six).
    static let maxRenditions = 7
    /// An init segment is a few hundred bytes, a poster tens of kilobytes: 16 chunks is plenty.
    static let maxStoredFileChunks = 16
}
