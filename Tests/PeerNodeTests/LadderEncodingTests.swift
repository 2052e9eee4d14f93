import Foundation
import TestSupport
import Testing
@testable import PeerNode

/// Cutting real ffmpeg output into CMAF renditions and measuring them: what
/// the manifest will announce is what ffprobe finds, and a ladder's
/// keyframes fall on the same instants in every rendition.
@Suite(.serialized) struct LadderEncodingTests {
    let folder = NSTemporaryDirectory() + "ladder-\(UUID().uuidString)"

    init() throws { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }

    func makeVideo(size: String = "640x360", audio: Bool = true, pixelFormat: String = "yuv420p") throws -> String {
        let video = folder + "/source-\(size)-\(audio).mp4"
        let sound = audio ? ["-f", "lavfi", "-i", "sine=frequency=440:duration=4", "-c:a", "aac"] : []
        let made = try NodectlProcess.run(program: "/usr/bin/ffmpeg", [
            "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=duration=4:size=\(size):rate=25"]
            + sound + ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", pixelFormat, "-shortest", video], timeout: 120)
        #expect(made.status == 0, "\(made.stderr)")
        return video
    }

    func ffprobe(_ arguments: [String]) throws -> String {
        let r = try NodectlProcess.run(program: "/usr/bin/ffprobe", ["-v", "error"] + arguments, timeout: 60)
        #expect(r.status == 0, "\(r.stderr)")
        return String(decoding: r.stdout, as: UTF8.self)
    }

    /// A rendition's init segment and media segments as one MP4 file, as a player's MSE buffer gets them.
    func joined(_ rendition: CutRendition, name: String) throws -> String {
        let path = folder + "/\(name).mp4"
        var bytes = Data()
        let map = try #require(rendition.playlist.entries.first?.map)
        for file in [map] + rendition.playlist.entries.map(\.uri) {
            bytes.append(try #require(FileManager.default.contents(atPath: rendition.directory + "/" + file)))
        }
        try bytes.write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func eachRenditionProbesAsAnnouncedAndTheKeyframesAlign() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let video = try makeVideo()
        let cut = try VODCut.cut(video: video, into: folder + "/cut", segmentSeconds: 1, format: .fmp4, ladder: [360, 180],
                                 spaceNeeded: 0, minFreeBytes: 0)
        #expect(cut.map { $0.media?.name } == ["360p", "180p"])
        var keyframes: [[String]] = []
        for rendition in cut {
            let media = try #require(rendition.media)
            let file = try joined(rendition, name: media.name)
            let streams = try ffprobe(["-show_entries", "stream=codec_name,width,height,channels", "-of", "csv=p=0", file])
            #expect(streams.contains("h264,\(media.width),\(media.height)"), "\(streams)")
            #expect(streams.contains("aac,2"), "stereo AAC: \(streams)")
            #expect(media.width % 2 == 0 && media.height % 2 == 0 && media.frameRate == 25)
            #expect(media.codecs.hasPrefix("avc1.") && media.codecs.hasSuffix(",mp4a.40.2"), "\(media.codecs)")
            let rate = Double(try ffprobe(["-show_entries", "format=bit_rate", "-of", "csv=p=0", file])
                .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            #expect(abs(rate - Double(media.averageBandwidth)) <= 0.1 * rate,
                    "\(media.name): ffprobe finds \(rate) bit/s, the manifest says \(media.averageBandwidth)")
            #expect(media.bandwidth >= media.averageBandwidth)
            #expect(abs(media.duration - 4) < 0.2, "\(media.duration)")
            let times = try ffprobe(["-select_streams", "v", "-skip_frame", "nokey", "-show_entries", "frame=pts_time",
                                     "-of", "csv=p=0", file]).split(whereSeparator: \.isNewline).map(String.init)
            keyframes.append(times)
        }
        #expect(keyframes[0].count >= 4, "a keyframe per 1 s segment: \(keyframes[0])")
        #expect(keyframes[0] == keyframes[1], "keyframes differ between renditions: \(keyframes)")
        #expect(cut[0].playlist.entries.map(\.duration) == cut[1].playlist.entries.map(\.duration))
    }

    @Test func aFileFFmpegCannotReadIsAClearError() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let junk = folder + "/junk.mp4"
        try Data("this is not a video".utf8).write(to: URL(fileURLWithPath: junk))
        do {
            _ = try VODCut.cut(video: junk, into: folder + "/cut", segmentSeconds: 1, format: .fmp4, ladder: nil,
                               spaceNeeded: 0, minFreeBytes: 0)
            Issue.record("junk was cut")
        } catch {
            #expect("\(error)".contains("cannot read \(junk) as a video: "), "\(error)")
            #expect("\(error)".contains("Invalid data"), "ffprobe's reason: \(error)")
        }
    }

    @Test func aFileWithoutVideoIsAClearError() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let sound = folder + "/sound.m4a"
        let made = try NodectlProcess.run(program: "/usr/bin/ffmpeg", [
            "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "sine=duration=2", "-c:a", "aac", sound], timeout: 60)
        #expect(made.status == 0, "\(made.stderr)")
        #expect(throws: PeerNodeError.ffmpeg("\(sound) has no video stream (ffprobe found audio)")) {
            _ = try VODCut.cut(video: sound, into: folder + "/cut", segmentSeconds: 1, format: .fmp4, ladder: nil,
                               spaceNeeded: 0, minFreeBytes: 0)
        }
    }

    @Test func noAudioAndAnOddSizeStillPlay() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // 4:4:4 H.264 allows an odd size; browsers decode neither, so it is re-encoded.
        let video = try makeVideo(size: "321x241", audio: false, pixelFormat: "yuv444p")
        let single = try VODCut.cut(video: video, into: folder + "/one", segmentSeconds: 1, format: .fmp4, ladder: nil,
                                    spaceNeeded: 0, minFreeBytes: 0)
        let media = try #require(single.first?.media)
        #expect(single.count == 1 && media.width == 320 && media.height == 240, "\(media)")
        #expect(media.codecs.hasPrefix("avc1.64") && !media.codecs.contains("mp4a"), "\(media.codecs)")
        let file = try joined(single[0], name: "one")
        #expect(try ffprobe(["-show_entries", "stream=pix_fmt", "-of", "csv=p=0", file]).contains("yuv420p"))

        let ladder = try VODCut.cut(video: video, into: folder + "/ladder", segmentSeconds: 1, format: .fmp4, ladder: [240, 144],
                                    spaceNeeded: 0, minFreeBytes: 0)
        #expect(ladder.compactMap(\.media).map { "\($0.width)x\($0.height)" } == ["320x240", "192x144"])
    }
}
