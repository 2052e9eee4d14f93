import Foundation

/// An adaptive bitrate ladder: the heights a VOD is encoded at, in one
/// ffmpeg run (LadderEncoder). The default follows the source, as PeerTube
/// and Livepeer do: its own height (at most 1080p) and the usual rungs
/// below it, never above it (an upscale spends bits on nothing).
public struct Ladder: Sendable, Equatable {
    /// Heights, highest first, each even (H.264 4:2:0 needs even sizes).
    public var heights: [Int]

    /// The usual rungs; a source between them gets its own height on top.
    static let rungs = [1080, 720, 480, 360]
    static let heightRange = 144...2160
    static let maxRungs = StreamManifest.maxRenditions + 1

    /// "1080p,720p,480p" (the `p` optional); a clear error for anything else.
    public static func parse(_ text: String) throws(PeerNodeError) -> [Int] {
        let items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard !items.isEmpty, items.count <= maxRungs else {
            throw .badRequest("ladder '\(text.prefix(80))': give 1 to \(maxRungs) heights such as 1080p,720p,480p,360p")
        }
        var heights: [Int] = []
        for item in items {
            let digits = item.hasSuffix("p") ? String(item.dropLast()) : item
            guard digits.allSatisfy({ $0.isASCII && $0.isNumber }), let height = Int(digits), heightRange.contains(height) else {
                throw .badRequest("ladder rung '\(item.prefix(20))' is not a height from \(heightRange.lowerBound)p to \(heightRange.upperBound)p")
            }
            heights.append(height)
        }
        return heights
    }

    /// The ladder for a source: the asked heights at most the source's
    /// (rounded down to even), or by default the source's own (at most
    /// 1080p) and the usual rungs below it. Never empty.
    static func resolve(_ asked: [Int]?, sourceHeight: Int) -> Ladder {
        let top = max(2, min(sourceHeight, asked == nil ? 1080 : heightRange.upperBound) / 2 * 2)
        let chosen = asked.map { $0.map { $0 / 2 * 2 }.filter { $0 <= top } } ?? ([top] + rungs.filter { $0 < top })
        let unique = Array(Set(chosen)).sorted(by: >)
        return Ladder(heights: unique.isEmpty ? [top] : unique)
    }

    /// The most video bits per second of a rung (the cap of its capped
    /// CRF): about 2.8 Mbit/s at 720p, scaled with the pixel count (a 16:9
    /// frame), never under 150 kbit/s.
    static func videoBitrate(height: Int) -> Int {
        max(150_000, Int(2_800_000 * Double(height * height) / Double(720 * 720)))
    }

    /// x264's constant rate factor in every rung: its default, a good picture for the bits.
    static let quality = 23

    /// Stereo AAC at this rate in every rendition.
    static let audioBitrate = 128_000
}
