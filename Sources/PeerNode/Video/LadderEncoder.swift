import Foundation
import LMDB

/// Encodes a ladder in one ffmpeg run: the source decoded once, split and
/// scaled per rung, each rung H.264 at a constant frame rate with the same
/// fixed GOP (a keyframe at every segment boundary, no scene-cut keyframes),
/// capped CRF (a simple picture takes few bits, a busy one at most the
/// rung's rate) and stereo AAC, cut into CMAF HLS in a folder of its own. The same GOP
/// everywhere puts every rendition's segment N on the same frames, so a
/// player switches between them without a seam (Livepeer's and PeerTube's
/// ladders do the same).
enum LadderEncoder {
    /// The folder of each rung (`directory`/`height`p), in the ladder's order.
    static func encode(video: String, source: SourceVideo, ladder: Ladder, into directory: String, segmentSeconds: Int,
                       spaceNeeded: UInt64, minFreeBytes: UInt64) throws(PeerNodeError) -> [String] {
        let fps = min(60, max(1, source.frameRate.rounded()))
        let gop = max(1, Int(fps) * segmentSeconds)
        let n = ladder.heights.count
        var graph = "[0:v]fps=\(Int(fps)),split=\(n)" + (0..<n).map { "[s\($0)]" }.joined()
        for (i, height) in ladder.heights.enumerated() {
            // -2: the width that keeps the aspect ratio, rounded to even.
            graph += ";[s\(i)]scale=-2:\(height),format=yuv420p[v\(i)]"
        }
        var arguments = ["-hide_banner", "-loglevel", "error", "-y", "-i", video, "-filter_complex", graph]
        var folders: [String] = []
        for (i, height) in ladder.heights.enumerated() {
            let folder = directory + "/\(height)p"
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            folders.append(folder)
            let rate = Ladder.videoBitrate(height: height)
            arguments += ["-map", "[v\(i)]", "-map", "0:a:0?",
                          "-c:v", "libx264", "-preset", "veryfast", "-crf", "\(Ladder.quality)", "-maxrate", "\(rate)",
                          "-bufsize", "\(rate * 2)", "-g", "\(gop)", "-keyint_min", "\(gop)", "-sc_threshold", "0",
                          "-force_key_frames", "expr:gte(t,n_forced*\(segmentSeconds))",
                          "-c:a", "aac", "-ac", "2", "-b:a", "\(Ladder.audioBitrate)"]
            arguments += HLSSegmenter.hlsOutput(directory: folder, segmentSeconds: segmentSeconds, format: .fmp4)
        }
        let (status, errors) = HLSSegmenter.runFFmpeg(arguments)
        guard status == 0 else {
            let free = DiskSpace.available(at: directory) ?? .max
            if errors.contains("No space left on device") || errors.contains("Disk quota exceeded") || free < minFreeBytes {
                throw .diskFull(DiskFull(path: directory, needed: spaceNeeded, free: free))
            }
            throw .ffmpeg("cannot encode \(video) into the ladder \(ladder.heights.map { "\($0)p" }.joined(separator: ",")): \(errors.prefix(500))")
        }
        return folders
    }
}
