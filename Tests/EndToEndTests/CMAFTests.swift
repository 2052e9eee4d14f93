import Foundation
import NetworkLab
import PeerNode
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// CMAF segments and a bitrate ladder through real daemons: what a player
/// gets from a viewer's node is what the creator published, frame for
/// frame, and the master playlist announces what ffprobe measures.
@Suite(.serialized)
struct CMAFTests {
    /// The fields of `ffprobe -of json` these tests compare with the master
    /// playlist (ffprobe's output, not the daemon's: hence a type of its own).
    struct Probe: Decodable {
        struct Stream: Decodable {
            let codecName: String?
            let width: Int?
            let height: Int?
        }
        struct Format: Decodable {
            /// ffprobe writes it as a string.
            let bitRate: String?
        }
        let streams: [Stream]
        let format: Format?

        static func of(_ file: String) throws -> Probe {
            let (status, out, errors) = try runProgram("/usr/bin/ffprobe", ["-v", "error", "-show_entries",
                                                                          "stream=codec_name,width,height:format=bit_rate",
                                                                          "-of", "json", file])
            guard status == 0 else { throw TestFailure("ffprobe cannot read \(file) (\(status)): \(errors)") }
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            return try decoder.decode(Probe.self, from: Data(out.utf8))
        }
    }

    /// A 4-second 640x360 clip: big enough for a two-rung ladder, small for the machine.
    static func clip(in scratch: Scratch) throws -> String {
        let path = scratch.path + "/clip.mp4"
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=duration=4:size=640x360:rate=25",
                    "-f", "lavfi", "-i", "sine=frequency=440:duration=4",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", path])
        return path
    }

    @Test("Ladder VOD: the viewer's node serves a measured master playlist; each rendition has the creator's frames")
    func ladderThroughAViewer() throws {
        let scratch = try Scratch("ladder")
        let video = try Self.clip(in: scratch)
        let creator = try DaemonProcess(name: "creator", in: scratch, config: ["hlsSegmentSeconds": 1])
        let viewer = try DaemonProcess(name: "viewer", in: scratch, bootstrap: [creator])

        let published = try creator.nodectl(["publish", video, "--title", "Ladder", "--name", "ladder",
                                             "--ladder", "360p,180p", "--json"], as: PeerNode.Published.self, timeout: 300)
        let stream = published.stream
        #expect(published.renditions == ["360p", "180p"], "\(published)")

        try waitFor("the viewer to hear of \(stream)", timeout: 60) { viewer.knows(stream) }
        let master = try viewer.nodectl(["watch", stream, "--wait", "30"])
        let (status, text) = try viewer.get("/hls/\(stream)/index.m3u8")
        #expect(status == 200)
        let variants = HLSPlaylist.variants(String(decoding: text, as: UTF8.self))
        #expect(variants.map(\.uri) == ["360p.m3u8", "180p.m3u8"])

        for variant in variants {
            let name = String(variant.uri.dropLast(5))
            // The rendition as a player's MSE buffer gets it from the viewer: init segment, then the media segments.
            let (_, playlist) = try viewer.get("/hls/\(stream)/\(variant.uri)")
            let parsed = HLSPlaylist.parse(String(decoding: playlist, as: UTF8.self))
            let map = try #require(parsed.entries.first?.map)
            var joined: [UInt8] = []
            for uri in [map] + parsed.entries.map(\.uri) {
                let (code, bytes) = try viewer.get("/hls/\(stream)/\(uri)")
                #expect(code == 200, "\(uri): \(code)")
                joined += bytes
            }
            let file = scratch.path + "/\(name).mp4"
            try Data(joined).write(to: URL(fileURLWithPath: file))
            let probe = try Probe.of(file)
            let video = try #require(probe.streams.first { $0.codecName == "h264" })
            #expect(variant.attributes["RESOLUTION"] == "\(video.width ?? 0)x\(video.height ?? 0)")
            #expect(probe.streams.contains { $0.codecName == "aac" })
            let measured = Double(probe.format?.bitRate ?? "") ?? 0
            let announced = Double(variant.attributes["AVERAGE-BANDWIDTH"] ?? "") ?? 0
            #expect(abs(measured - announced) <= 0.1 * measured, "\(name): ffprobe \(measured), announced \(announced)")
            #expect(variant.attributes["CODECS"]?.hasPrefix("avc1.") == true && variant.attributes["FRAME-RATE"] == "25.000")

            let watched = try copyAndFrameMD5("\(viewer.apiURL)/hls/\(stream)/\(variant.uri)", in: scratch, name: "viewer-\(name)")
            let original = try copyAndFrameMD5("\(creator.apiURL)/hls/\(stream)/\(variant.uri)", in: scratch, name: "creator-\(name)")
            #expect(!original.isEmpty && watched == original, "\(name): the viewer's frames differ from the creator's")
        }
        // The poster: a JPEG frame, announced in the viewer's list, verified on the way like a segment.
        let listed = try viewer.streamEntry(stream)
        #expect(listed?.poster == "/v1/streams/\(stream)/poster")
        let (posterStatus, poster) = try viewer.get("/v1/streams/\(stream)/poster")
        #expect(posterStatus == 200 && poster.starts(with: [0xFF, 0xD8, 0xFF]), "not a JPEG: \(posterStatus)")
        let creatorPoster = try creator.get("/v1/streams/\(stream)/poster").1
        #expect(poster == creatorPoster)

        // A player given the master playlist plays the top rendition.
        let played = try copyAndFrameMD5(master, in: scratch, name: "master")
        let top = try copyAndFrameMD5("\(creator.apiURL)/hls/\(stream)/360p.m3u8", in: scratch, name: "top")
        #expect(played == top, "the master playlist through the viewer did not play the 360p rendition")
        #expect(viewer.counter("peernode_bad_chunks_total") == 0)
    }

    @Test("Bad input: a file ffmpeg cannot read and a ladder that is no ladder get a clear 400; nothing is pinned")
    func badInputIsAClearError() throws {
        let scratch = try Scratch("cmaf-bad")
        let creator = try DaemonProcess(name: "creator", in: scratch)
        let junk = scratch.path + "/junk.mp4"
        try Data(repeating: 0x42, count: 4096).write(to: URL(fileURLWithPath: junk))
        let pinned = try creator.pinnedRoots()
        let answer = try creator.publish(junk, title: "Junk")
        #expect(answer.status == 400 && answer.error.contains("cannot read \(junk) as a video"), "\(answer)")
        let video = try Self.clip(in: scratch)
        let ladderAnswer = try creator.publish(video, title: "Bad ladder", ladder: "720x,480p")
        #expect(ladderAnswer.status == 400 && ladderAnswer.error.contains("ladder rung '720x'"), "\(ladderAnswer)")
        #expect(try creator.pinnedRoots() == pinned)
        // nodectl tells a typo before it asks the daemon.
        let (code, _, errors) = try runProgram(nodectlBinary, ["publish", video, "--title", "T", "--ladder", "huge",
                                                               "--data-dir", creator.dataDir])
        #expect(code != 0 && errors.contains("ladder rung 'huge'"), "\(code): \(errors)")
    }

    @Test("Live: an encoder's CMAF folder (EXT-X-MAP) plays through the node with the encoder's own frames")
    func liveCMAFFolder() throws {
        let (scratch, hls, creator) = try LiveEncoderTests.creator("live-cmaf", window: 10, history: 10)
        defer { withExtendedLifetime(scratch) {} }
        let stream = try creator.nodectl(["live", "--title", "CMAF live", "--hls-dir", hls, "--name", "cmaf"])
        try ffmpeg(["-re", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-f", "lavfi", "-i", "sine", "-t", "4",
                    "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p", "-c:a", "aac",
                    "-f", "hls", "-hls_time", "1", "-hls_list_size", "0", "-hls_segment_type", "fmp4",
                    "-hls_flags", "temp_file", hls + "/index.m3u8"], timeout: 60)
        try waitFor("the live stream to end with the encoder's playlist", timeout: 60) { creator.status(of: stream) == "ended" }
        let (_, text) = try creator.get("/hls/\(stream)/index.m3u8")
        let playlist = String(decoding: text, as: UTF8.self)
        #expect(playlist.contains("#EXT-X-MAP:URI=\"init.mp4\"") && playlist.contains(".m4s"), "\(playlist)")
        let (initStatus, initBytes) = try creator.get("/hls/\(stream)/init.mp4")
        #expect(initStatus == 200 && initBytes == Array(FileManager.default.contents(atPath: hls + "/init.mp4") ?? Data()))
        let encoder = try copyAndFrameMD5(hls + "/index.m3u8", in: scratch, name: "encoder")
        let node = try copyAndFrameMD5("\(creator.apiURL)/hls/\(stream)/index.m3u8", in: scratch, name: "node")
        #expect(!encoder.isEmpty && node == encoder, "the node's live CMAF differs from the encoder's")
    }

    @Test("Live CMAF: an encoder restarted with another picture size brings a new init segment after the discontinuity")
    func liveCMAFEncoderRestartMapsANewInitSegment() throws {
        let (scratch, hls, creator) = try LiveEncoderTests.creator("live-cmaf-restart", window: 20, history: 20)
        defer { withExtendedLifetime(scratch) {} }
        let stream = try creator.nodectl(["live", "--title", "CMAF restart", "--hls-dir", hls, "--name", "cmafrestart",
                                          "--on-restart", "continue"])
        func encoder(size: String, seconds: Int) -> [String] {
            ["-re", "-f", "lavfi", "-i", "testsrc=size=\(size):rate=25",
             "-f", "lavfi", "-i", "sine", "-t", "\(seconds)", "-c:v", "libx264", "-preset", "ultrafast", "-g", "25",
             "-pix_fmt", "yuv420p", "-c:a", "aac", "-f", "hls", "-hls_time", "1", "-hls_list_size", "0",
             "-hls_segment_type", "fmp4", "-hls_flags", "temp_file", hls + "/index.m3u8"]
        }
        // The first encoder dies without #EXT-X-ENDLIST (killed), the second ends the stream.
        let (program, arguments) = ChildProcess.ffmpeg(encoder(size: "320x240", seconds: 60))
        // Its errors go beside the folder, for a failing test to show.
        let first = try ChildProcess.spawn("ffmpeg", program, arguments, log: hls + ".ffmpeg.log")
        defer { first.stop(signal: SIGKILL, grace: 10) }
        try waitFor("3 segments from the first encoder", timeout: 60) { try creator.liveSegment(stream) >= 2 }
        first.send(SIGKILL)
        first.wait(timeout: 30)
        try ffmpeg(encoder(size: "160x120", seconds: 3), timeout: 60)
        try waitFor("the stream to end with the second encoder's playlist", timeout: 60) { creator.status(of: stream) == "ended" }

        let (_, text) = try creator.get("/hls/\(stream)/index.m3u8")
        let playlist = String(decoding: text, as: UTF8.self)
        let maps = playlist.split(separator: "\n").filter { $0.hasPrefix("#EXT-X-MAP:") }
        #expect(maps.count == 2 && maps.first == "#EXT-X-MAP:URI=\"init.mp4\"", "\(playlist)")
        #expect(playlist.contains("#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI=\"init-"), "\(playlist)")
        let second = try #require(HLSPlaylist.parse(playlist).entries.last?.map)
        let (status, bytes) = try creator.get("/hls/\(stream)/\(second)")
        #expect(status == 200 && bytes == Array(FileManager.default.contents(atPath: hls + "/init.mp4") ?? Data()),
                "the second init segment is the second encoder's")
        // Each part decodes with its own init segment: 320x240 first, 160x120 after the discontinuity.
        // (hls.js and Safari switch init segments at a discontinuity; ffmpeg 5.1's HLS reader does
        // not, so the parts are joined here as a player's MSE buffer gets them.)
        let entries = HLSPlaylist.parse(playlist).entries
        var widths: [String] = []
        for map in entries.compactMap(\.map).reduce(into: [String](), { if $0.last != $1 { $0.append($1) } }) {
            var joined = try creator.get("/hls/\(stream)/\(map)").1
            for entry in entries where entry.map == map { joined += try creator.get("/hls/\(stream)/\(entry.uri)").1 }
            let file = scratch.path + "/part-\(map)"
            try Data(joined).write(to: URL(fileURLWithPath: file))
            let (_, probed, _) = try runProgram("/usr/bin/ffprobe", ["-v", "error", "-select_streams", "v", "-show_entries",
                                                                    "stream=width", "-of", "csv=p=0", file])
            widths.append(probed.trimmingCharacters(in: .whitespacesAndNewlines))
            let (_, decoded, errors) = try runProgram("/usr/bin/ffmpeg", ["-v", "error", "-i", file, "-f", "null", "-"])
            #expect(errors.isEmpty, "\(map): \(decoded) \(errors)")
        }
        #expect(widths == ["320", "160"], "decoded widths \(widths)")
    }
}
