import Foundation
import TestSupport
import Testing
@testable import PeerNode

/// Cutting real ffmpeg output into segments of the length asked for.
@Suite struct HLSSegmenterTests {
    func makeVideo(_ folder: String, keyframeEvery frames: Int) throws -> String {
        let video = folder + "/video.mp4"
        let made = try NodectlProcess.run(program: "/usr/bin/ffmpeg", [
            "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=duration=20:size=320x240:rate=30",
            "-f", "lavfi", "-i", "sine=frequency=440:duration=20",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "\(frames)", "-keyint_min", "\(frames)", "-sc_threshold", "0",
            "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", video], timeout: 120)
        #expect(made.status == 0, "\(made.stderr)")
        return video
    }

    @Test func keyframesFarApartAreMovedToTheSegmentBoundaries() throws {
        let folder = NSTemporaryDirectory() + "segmenter-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // A keyframe every 8.3 s: a copy could only cut 8.3 s segments.
        let video = try makeVideo(folder, keyframeEvery: 250)
        let playlist = try HLSSegmenter.segment(video: video, into: folder + "/cut", segmentSeconds: 2)
        let durations = playlist.entries.map(\.duration)
        #expect(durations.count >= 9, "\(durations)")
        #expect(durations.dropLast().allSatisfy { $0 <= 2.5 }, "segments as long as asked: \(durations)")
        #expect(abs(durations.reduce(0, +) - 20) < 0.5, "the whole video: \(durations)")
    }

    @Test func keyframesAtTheBoundariesAreCopied() throws {
        let folder = NSTemporaryDirectory() + "segmenter-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let video = try makeVideo(folder, keyframeEvery: 60)
        let started = Date()
        let playlist = try HLSSegmenter.segment(video: video, into: folder + "/cut", segmentSeconds: 2)
        #expect(playlist.entries.map(\.duration).dropLast().allSatisfy { abs($0 - 2) < 0.1 }, "\(playlist.entries)")
        print("a 20 s copy cut in \(Date().timeIntervalSince(started)) s")
    }
}
