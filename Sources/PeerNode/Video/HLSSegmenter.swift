import Foundation
import LMDB

/// How segments are packed: CMAF (fragmented MP4: an init segment and .m4s
/// media segments), the default, which browsers (MSE), Apple devices and
/// desktop players all play; or MPEG-TS, as every stream before CMAF was.
public enum SegmentFormat: String, Sendable, Codable {
    case fmp4, mpegts

    var segmentExtension: String { self == .fmp4 ? "m4s" : "ts" }
}

/// Cuts a video into HLS segments with ffmpeg: stream copy when the codecs
/// allow (H.264 + AAC for CMAF, which browsers must be able to decode;
/// H.264/AAC and friends for MPEG-TS), else a re-encode to H.264 + stereo AAC.
/// A copy that failed for want of disk space is not re-encoded (that cannot
/// help): it is `diskFull` at once. A copy can only cut at the source's
/// keyframes: when they are further apart than the segment length asks
/// (a segment over 1.5 times it), the video alone is re-encoded with a
/// keyframe at every segment boundary and the audio copied.
public enum HLSSegmenter {
    /// `spaceNeeded`: what the caller estimated the cut needs, for the
    /// `diskFull` message; `minFreeBytes`: less free than this after a failed
    /// cut counts as a full disk even if ffmpeg did not say so.
    public static func segment(video: String, into directory: String, segmentSeconds: Int, format: SegmentFormat = .fmp4,
                               spaceNeeded: UInt64 = 0, minFreeBytes: UInt64 = 0) throws(PeerNodeError) -> HLSPlaylist {
        guard FileManager.default.isReadableFile(atPath: video) else { throw .notFound("video file \(video)") }
        let source = try SourceVideo.probe(video)
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let common = ["-hide_banner", "-loglevel", "error", "-y", "-i", video, "-map", "0:v:0", "-map", "0:a:0?"]
        let hls = hlsOutput(directory: directory, segmentSeconds: segmentSeconds, format: format)
        var failure = ""
        let keyframes = ["-force_key_frames", "expr:gte(t,n_forced*\(segmentSeconds))"]
        // Re-encoded video is 4:2:0 at even sizes, as H.264 in browsers needs.
        let encode = ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
                      "-vf", "scale=trunc(iw/2)*2:trunc(ih/2)*2"] + keyframes
        let copyVideo = format == .mpegts || source.copiesIntoCMAF
        let copyAudio = format == .mpegts || source.audio == nil || source.audio == "aac"
        var passes: [(codecs: [String], keyframesPlaced: Bool)] = []
        if copyVideo && copyAudio { passes.append((["-c", "copy"], false)) }
        if copyAudio { passes.append((encode + ["-c:a", "copy"], true)) }
        passes.append((encode + ["-c:a", "aac", "-ac", "2"], true))
        var cutAtSourceKeyframes: HLSPlaylist?
        for pass in passes {
            let (status, errors) = runFFmpeg(common + pass.codecs + hls)
            if status == 0, let text = try? String(contentsOfFile: directory + "/index.m3u8", encoding: .utf8) {
                let playlist = HLSPlaylist.parse(text)
                let longest = playlist.entries.map(\.duration).max() ?? 0
                if !playlist.entries.isEmpty, pass.keyframesPlaced || longest <= 1.5 * Double(segmentSeconds) {
                    return playlist
                }
                // Keyframes too far apart for the segment length: place them (the video re-encoded).
                if !playlist.entries.isEmpty { cutAtSourceKeyframes = playlist }
                for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
                    try? FileManager.default.removeItem(atPath: directory + "/" + name)
                }
                if cutAtSourceKeyframes != nil { continue }
            }
            let free = DiskSpace.available(at: directory) ?? .max
            if errors.contains("No space left on device") || errors.contains("Disk quota exceeded") || free < minFreeBytes {
                throw .diskFull(DiskFull(path: directory, needed: spaceNeeded, free: free))
            }
            failure = errors.isEmpty ? "ffmpeg exited with status \(status) and wrote no segment" : errors
        }
        // The re-encode failed, but the copy worked: cut at the source's keyframes, longer than asked.
        if cutAtSourceKeyframes != nil {
            let (status, _) = runFFmpeg(common + ["-c", "copy"] + hls)
            if status == 0, let text = try? String(contentsOfFile: directory + "/index.m3u8", encoding: .utf8) {
                return HLSPlaylist.parse(text)
            }
        }
        throw .ffmpeg("cannot cut \(video) into HLS segments: \(failure.prefix(500))")
    }

    /// The HLS muxer's options for a VOD cut into `directory`: index.m3u8,
    /// seg00000.m4s (or .ts) and, for CMAF, init.mp4 beside them.
    static func hlsOutput(directory: String, segmentSeconds: Int, format: SegmentFormat) -> [String] {
        var out = ["-f", "hls", "-hls_time", "\(segmentSeconds)", "-hls_playlist_type", "vod"]
        if format == .fmp4 { out += ["-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4"] }
        return out + ["-hls_segment_filename", directory + "/seg%05d.\(format.segmentExtension)", directory + "/index.m3u8"]
    }

    /// ffmpeg to completion, its stderr kept for the error. Foundation's
    /// Process, not NetworkLab's spawner: NetworkLab sits above PeerNode.
    static func runFFmpeg(_ arguments: [String]) -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ffmpeg"] + arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return (-1, "cannot run ffmpeg (install it: apt-get install ffmpeg): \(error)") }
        let data = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
