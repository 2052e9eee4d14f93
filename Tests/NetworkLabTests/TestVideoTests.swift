import Foundation
import NetworkLab
import Testing

/// The benchmarks' video, made by real ffmpeg and read back by ffprobe.
@Suite struct TestVideoTests {
    @Test func theVideoHasTheAskedLengthAndBothStreams() throws {
        let dir = NSTemporaryDirectory() + "testvideo-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/video.mp4"
        try TestVideo.make(path, seconds: 2, size: "160x90")
        let probe = try ChildProcess.capture("ffprobe", ["-v", "error", "-show_entries", "stream=codec_type:format=duration",
                                                         "-of", "default=noprint_wrappers=1", path], timeout: 60)
        #expect(probe.status == 0, "\(probe.stderr)")
        let text = String(decoding: probe.stdout, as: UTF8.self)
        #expect(text.contains("codec_type=video") && text.contains("codec_type=audio"), "\(text)")
        let duration = text.split(separator: "\n").first { $0.hasPrefix("duration=") }.flatMap { Double($0.dropFirst(9)) }
        #expect(duration.map { abs($0 - 2) < 0.2 } == true, "\(text)")
    }

    @Test func aFolderThatDoesNotExistIsNamed() throws {
        let error = #expect(throws: LabError.self) {
            try TestVideo.make("/nonexistent-folder-\(UUID().uuidString)/video.mp4", seconds: 1)
        }
        // And a failure of ffmpeg itself (a size it refuses) comes with ffmpeg's own words.
        let dir = NSTemporaryDirectory() + "testvideo-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let refused = #expect(throws: LabError.self) { try TestVideo.make(dir + "/bad.mp4", seconds: 1, size: "0x0") }
        #expect(refused?.description.contains("failed with status") == true, "\(String(describing: refused))")
        // Its log would go beside the video: the error names that folder, not a missing ffmpeg.
        #expect(error?.description.contains("which is no folder") == true, "\(String(describing: error))")
        #expect(error?.description.contains("install ffmpeg") == false, "\(String(describing: error))")
    }
}
