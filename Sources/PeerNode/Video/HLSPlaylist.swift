import Foundation
import LMDB

/// The little of HLS (RFC 8216) the node reads and writes: media playlists
/// with EXTINF durations, a media sequence, an end list and CMAF init
/// segments (EXT-X-MAP); master playlists are HLSPlaylist+Master.swift.
public struct HLSPlaylist: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var uri: String
        public var duration: Double
        /// The URI of the init segment (EXT-X-MAP) in effect for this entry: a CMAF segment's.
        public var map: String? = nil
    }

    public var mediaSequence: UInt64 = 0
    public var targetDuration = 0
    public var entries: [Entry] = []
    public var ended = false
    /// Index (in `entries`) of each entry after an `#EXT-X-DISCONTINUITY`.
    public var discontinuities: Set<Int> = []

    /// Parses a media playlist; lines it does not know are skipped.
    public static func parse(_ text: String) -> HLSPlaylist {
        var playlist = HLSPlaylist()
        var duration: Double?
        var map: String?
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("#EXTINF:") {
                let value = line.dropFirst(8).split(separator: ",", maxSplits: 1).first ?? ""
                duration = Double(value)
            } else if line.hasPrefix("#EXT-X-MEDIA-SEQUENCE:") {
                playlist.mediaSequence = UInt64(line.dropFirst(22)) ?? 0
            } else if line.hasPrefix("#EXT-X-TARGETDURATION:") {
                playlist.targetDuration = Int(line.dropFirst(22)) ?? 0
            } else if line == "#EXT-X-DISCONTINUITY" {
                playlist.discontinuities.insert(playlist.entries.count)
            } else if line.hasPrefix("#EXT-X-MAP:") {
                map = attribute("URI", in: line.dropFirst(11))
            } else if line == "#EXT-X-ENDLIST" {
                playlist.ended = true
            } else if !line.isEmpty && !line.hasPrefix("#") {
                playlist.entries.append(Entry(uri: line, duration: duration ?? 0, map: map))
                duration = nil
            }
        }
        return playlist
    }

    /// The playlist a player gets for a manifest's segments: all of a VOD,
    /// the newest `window` of a live stream, ended or not. An ended live
    /// stream keeps its last window and gains `#EXT-X-ENDLIST`, so its media
    /// sequence never goes back and no removed segment comes back (RFC 8216
    /// §6.2.1) for players that were watching.
    /// A CMAF stream's init segments are named by `mapURI`: the manifest's
    /// own (nil) or the one a segment brought (its sequence).
    public static func render(_ manifest: StreamManifest, window: Int?, segmentURI: (UInt64) -> String,
                              mapURI: (UInt64?) -> String = initSegmentName) -> String {
        var segments = manifest.segments[...]
        if let window, manifest.kind == .live { segments = segments.suffix(window) }
        let cmaf = manifest.initSegment != nil || manifest.segments.contains { $0.initSegment != nil }
        // EXT-X-MAP needs version 6; 7 is what ffmpeg and hls.js write for CMAF.
        var out = "#EXTM3U\n#EXT-X-VERSION:\(cmaf ? 7 : 3)\n"
        if cmaf { out += "#EXT-X-INDEPENDENT-SEGMENTS\n" }
        out += "#EXT-X-TARGETDURATION:\(manifest.targetDuration)\n"
        out += "#EXT-X-MEDIA-SEQUENCE:\(segments.first?.sequence ?? manifest.segments.last.map { $0.sequence + 1 } ?? 0)\n"
        let dropped = manifest.segments[..<segments.startIndex].filter { $0.discontinuity == true }.count
        let discontinuities = (manifest.discontinuitySequence ?? 0) + UInt64(dropped)
        if discontinuities > 0 { out += "#EXT-X-DISCONTINUITY-SEQUENCE:\(discontinuities)\n" }
        if manifest.kind == .vod { out += "#EXT-X-PLAYLIST-TYPE:VOD\n" }
        // The init segment in effect where the window starts: the last one a
        // segment before it brought, else the manifest's own.
        if cmaf, segments.first?.initSegment == nil {
            let brought = manifest.segments[..<segments.startIndex].last { $0.initSegment != nil }?.sequence
            if brought != nil || manifest.initSegment != nil { out += "#EXT-X-MAP:URI=\"\(mapURI(brought))\"\n" }
        }
        for s in segments {
            if s.discontinuity == true { out += "#EXT-X-DISCONTINUITY\n" }
            if s.initSegment != nil { out += "#EXT-X-MAP:URI=\"\(mapURI(s.sequence))\"\n" }
            out += "#EXTINF:\(String(format: "%.6f", s.duration)),\n\(segmentURI(s.sequence))\n"
        }
        if manifest.ended { out += "#EXT-X-ENDLIST\n" }
        return out
    }

    /// The node's names for init segments: the manifest's own, or the one segment N brought.
    public static func initSegmentName(_ sequence: UInt64?) -> String { sequence.map { "init-\($0).mp4" } ?? "init.mp4" }

    /// A quoted attribute of a tag's attribute list (`URI="init.mp4",BYTERANGE=...`).
    static func attribute(_ name: String, in list: Substring) -> String? {
        guard let start = list.range(of: name + "=\"") else { return nil }
        let rest = list[start.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }
}
