import Foundation
import TestSupport
import Testing
@testable import PeerNode

/// ffmpeg cutting into a folder on a full disk (a real tmpfs): a copy the
/// disk stopped is `diskFull` with the caller's estimate, not an ffmpeg
/// error with an empty reason after a re-encode.
@Suite struct HLSSegmenterDiskTests {
    @Test func aCopyStoppedByAFullDiskIsDiskFull() throws {
        let disk = try SmallDisk(label: "segmenter")
        defer { disk.remove() }
        let folder = NSTemporaryDirectory() + "segmenter-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let video = folder + "/video.mp4"
        let made = try NodectlProcess.run(program: "/usr/bin/ffmpeg", [
            "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=duration=8:size=320x240:rate=25",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p", video])
        #expect(made.status == 0, "\(made.stderr)")

        try disk.fill(leaving: 16 << 10)   // less than the first segment
        do {
            _ = try HLSSegmenter.segment(video: video, into: disk.path + "/cut", segmentSeconds: 2,
                                         spaceNeeded: 5 << 20, minFreeBytes: 1 << 20)
            Issue.record("a video was cut into 16 KiB")
        } catch {
            guard case .diskFull(let full) = error else { Issue.record("not diskFull: \(error)"); return }
            #expect(full.needed == 5 << 20 && full.free < 1 << 20, "\(full)")
            #expect("\(error)".hasPrefix("disk full: 5.0 MiB (5242880 bytes) needed, "), "\(error)")
        }
        // With room the same call cuts it.
        disk.unfill()
        let playlist = try HLSSegmenter.segment(video: video, into: disk.path + "/cut", segmentSeconds: 2)
        #expect(playlist.entries.count >= 4)
    }
}
