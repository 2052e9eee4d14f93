import Foundation
import LMDB

/// The little of HLS (RFC 8216) the node reads and writes: media playlists
/// with EXTINF durations, a media sequence and an end list.
public struct HLSPlaylist: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var uri: String
        public var duration: Double
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
            } else if line == "#EXT-X-ENDLIST" {
                playlist.ended = true
            } else if !line.isEmpty && !line.hasPrefix("#") {
                playlist.entries.append(Entry(uri: line, duration: duration ?? 0))
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
    public static func render(_ manifest: StreamManifest, window: Int?, segmentURI: (UInt64) -> String) -> String {
        var segments = manifest.segments[...]
        if let window, manifest.kind == .live { segments = segments.suffix(window) }
        var out = "#EXTM3U\n#EXT-X-VERSION:3\n"
        out += "#EXT-X-TARGETDURATION:\(manifest.targetDuration)\n"
        out += "#EXT-X-MEDIA-SEQUENCE:\(segments.first?.sequence ?? manifest.segments.last.map { $0.sequence + 1 } ?? 0)\n"
        let dropped = manifest.segments[..<segments.startIndex].filter { $0.discontinuity == true }.count
        let discontinuities = (manifest.discontinuitySequence ?? 0) + UInt64(dropped)
        if discontinuities > 0 { out += "#EXT-X-DISCONTINUITY-SEQUENCE:\(discontinuities)\n" }
        if manifest.kind == .vod { out += "#EXT-X-PLAYLIST-TYPE:VOD\n" }
        for s in segments {
            if s.discontinuity == true { out += "#EXT-X-DISCONTINUITY\n" }
            out += "#EXTINF:\(String(format: "%.6f", s.duration)),\n\(segmentURI(s.sequence))\n"
        }
        if manifest.ended { out += "#EXT-X-ENDLIST\n" }
        return out
    }
}

/// Cuts a video into MPEG-TS HLS segments with ffmpeg: stream copy when the
/// codecs allow (H.264/AAC and friends), else a re-encode to H.264 + AAC.
/// A copy that failed for want of disk space is not re-encoded (that cannot
/// help): it is `diskFull` at once. A copy can only cut at the source's
/// keyframes: when they are further apart than the segment length asks
/// (a segment over 1.5 times it), the video alone is re-encoded with a
/// keyframe at every segment boundary and the audio copied.
public enum HLSSegmenter {
    /// `spaceNeeded`: what the caller estimated the cut needs, for the
    /// `diskFull` message; `minFreeBytes`: less free than this after a failed
    /// cut counts as a full disk even if ffmpeg did not say so.
    public static func segment(video: String, into directory: String, segmentSeconds: Int,
                               spaceNeeded: UInt64 = 0, minFreeBytes: UInt64 = 0) throws(PeerNodeError) -> HLSPlaylist {
        guard FileManager.default.isReadableFile(atPath: video) else { throw .notFound("video file \(video)") }
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let common = ["-hide_banner", "-loglevel", "error", "-y", "-i", video]
        let hls = ["-f", "hls", "-hls_time", "\(segmentSeconds)", "-hls_playlist_type", "vod",
                   "-hls_segment_filename", directory + "/seg%05d.ts", directory + "/index.m3u8"]
        var failure = ""
        let keyframes = ["-force_key_frames", "expr:gte(t,n_forced*\(segmentSeconds))"]
        let passes: [(codecs: [String], keyframesPlaced: Bool)] = [
            (["-c", "copy"], false),
            (["-c:v", "libx264", "-preset", "veryfast"] + keyframes + ["-c:a", "copy"], true),
            (["-c:v", "libx264", "-preset", "veryfast"] + keyframes + ["-c:a", "aac"], true)]
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
