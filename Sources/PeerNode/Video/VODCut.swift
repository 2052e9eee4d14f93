import Foundation

/// One rendition of a VOD cut into a folder, measured, not yet stored.
struct CutRendition: Sendable {
    var directory: String
    var playlist: HLSPlaylist
    /// Measured from the output (CMAF only: MPEG-TS is the old format, kept for what was published in it).
    var media: StreamManifest.Media?
}

/// Cuts a video to publish into its renditions: one, copied where the
/// codecs allow, when the default ladder of the source is the source alone
/// (a small video); else the ladder in one ffmpeg run (LadderEncoder).
/// Every rendition is measured from its own output (MediaProbe).
enum VODCut {
    static func cut(video: String, into work: String, segmentSeconds: Int, format: SegmentFormat, ladder asked: [Int]?,
                    spaceNeeded: UInt64, minFreeBytes: UInt64) throws(PeerNodeError) -> [CutRendition] {
        guard FileManager.default.isReadableFile(atPath: video) else { throw .notFound("video file \(video)") }
        let source = try SourceVideo.probe(video)
        let ladder = Ladder.resolve(asked, sourceHeight: source.height)
        let folders: [String]
        if format == .mpegts || (asked == nil && ladder.heights.count == 1) {
            _ = try HLSSegmenter.segment(video: video, into: work + "/main", segmentSeconds: segmentSeconds, format: format,
                                         spaceNeeded: spaceNeeded, minFreeBytes: minFreeBytes)
            folders = [work + "/main"]
        } else {
            folders = try LadderEncoder.encode(video: video, source: source, ladder: ladder, into: work,
                                               segmentSeconds: segmentSeconds, spaceNeeded: spaceNeeded, minFreeBytes: minFreeBytes)
        }
        var out: [CutRendition] = []
        for folder in folders {
            let index = folder + "/index.m3u8"
            guard let text = try? String(contentsOfFile: index, encoding: .utf8) else {
                throw .ffmpeg("ffmpeg wrote no playlist for \(video) in \(folder)")
            }
            let playlist = HLSPlaylist.parse(text)
            guard !playlist.entries.isEmpty else { throw .ffmpeg("ffmpeg cut \(video) into no segment") }
            var media: StreamManifest.Media?
            if format == .fmp4 {
                let sizes = playlist.entries.map { entry in
                    let attributes = try? FileManager.default.attributesOfItem(atPath: folder + "/" + entry.uri)
                    return (size: (attributes?[.size] as? NSNumber)?.uint64Value ?? 0, duration: entry.duration)
                }
                let map = playlist.entries.first?.map.map { folder + "/" + $0 }
                media = try MediaProbe.measure(source: index, initSegment: map, segments: sizes)
            }
            out.append(CutRendition(directory: folder, playlist: playlist, media: media))
        }
        let counts = out.map(\.playlist.entries.count)
        guard Set(counts).count == 1 else {
            throw .ffmpeg("the renditions of \(video) were cut into \(counts) segments: their keyframes do not line up")
        }
        return out
    }
}
