import Foundation
import NetworkLab
import PeerNode
import Testing

/// A recorded live stream: when it ends the creator's node signs a VOD of
/// every segment, including those that left the live window long ago.
@Suite(.serialized)
struct RecordingTests {
    @Test("Recording: a live CMAF stream with --record ends into NAME-recording, the encoder's bytes segment for segment")
    func recordedLiveStreamIsAVOD() throws {
        // A 2-segment window and history: most segments leave the live manifest before the end.
        let (scratch, hls, creator) = try LiveEncoderTests.creator("record", window: 2, history: 2)
        defer { withExtendedLifetime(scratch) {} }
        let stream = try creator.nodectl(["live", "--title", "Recorded", "--hls-dir", hls, "--name", "rec", "--record"])
        try ffmpeg(["-re", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-f", "lavfi", "-i", "sine", "-t", "6",
                    "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p", "-c:a", "aac",
                    "-f", "hls", "-hls_time", "1", "-hls_list_size", "0", "-hls_segment_type", "fmp4",
                    "-hls_flags", "temp_file", hls + "/index.m3u8"], timeout: 60)
        let recording = stream + "-recording"
        try waitFor("the recording to be published", timeout: 60) { creator.knows(recording) }
        #expect(creator.status(of: stream) == "ended")

        let encoder = HLSPlaylist.parse(try String(contentsOfFile: hls + "/index.m3u8", encoding: .utf8))
        let manifest = try creator.client.manifest(recording)
        let segments = manifest.segments
        #expect(manifest.kind == .vod && manifest.ended)
        #expect(segments.count == encoder.entries.count && encoder.entries.count >= 5, "\(segments.count) of \(encoder.entries.count)")
        let live = try creator.client.manifest(stream)
        #expect(live.segments.count == 2, "the live manifest keeps its window")

        let (_, playlist) = try creator.get("/hls/\(recording)/index.m3u8")
        let played = HLSPlaylist.parse(String(decoding: playlist, as: UTF8.self))
        #expect(played.ended && played.entries.count == encoder.entries.count)
        let (_, initBytes) = try creator.get("/hls/\(recording)/init.mp4")
        #expect(initBytes == Array(FileManager.default.contents(atPath: hls + "/init.mp4") ?? Data()))
        for (entry, original) in zip(played.entries, encoder.entries) {
            let (status, bytes) = try creator.get("/hls/\(recording)/\(entry.uri)")
            let file = Array(FileManager.default.contents(atPath: hls + "/" + original.uri) ?? Data())
            #expect(status == 200 && !bytes.isEmpty && bytes == file, "\(entry.uri) differs from the encoder's \(original.uri)")
        }
        let node = try copyAndFrameMD5("\(creator.apiURL)/hls/\(recording)/index.m3u8", in: scratch, name: "recording")
        let original = try copyAndFrameMD5(hls + "/index.m3u8", in: scratch, name: "encoder")
        #expect(!original.isEmpty && node == original)
    }

    @Test("Recording across a daemon restart: segments that left the live window before it are in the VOD, as the live manifests listed them")
    func recordingSurvivesARestart() throws {
        let (scratch, hls, creator) = try LiveEncoderTests.creator("record-restart", window: 2, history: 2)
        defer { withExtendedLifetime(scratch) {} }
        let stream = try creator.nodectl(["live", "--title", "Restarted", "--hls-dir", hls, "--name", "again", "--record"])
        // Each segment's chunks as the live manifests listed it.
        var seen: [Int: String] = [:]
        func note() {
            let segments = (try? creator.client.manifest(stream))?.segments ?? []
            for segment in segments { seen[Int(segment.sequence)] = "\(segment.chunks)" }
        }
        func newest() -> Int { (try? creator.liveSegment(stream)) ?? -1 }
        let encoder = try LiveEncoder(into: hls, seconds: 40)
        try waitFor("4 live segments", timeout: 60) { note(); return newest() >= 3 }
        creator.stop()
        let saved = try String(contentsOfFile: creator.dataDir + "/streams.json", encoding: .utf8)
        #expect(saved.contains("\"recorded\""), "the segments kept for the recording are saved: \(saved)")
        try creator.restart()
        try waitFor("4 more live segments after the restart", timeout: 60) { note(); return newest() >= 7 }
        encoder.killHard()
        note()
        _ = try creator.nodectl(["live", "--end", stream])
        let recording = stream + "-recording"
        try waitFor("the recording to be published", timeout: 30) { creator.knows(recording) }

        let segments = try creator.client.manifest(recording).segments
        let last = newest()
        #expect(segments.first?.sequence == 0 && segments.count == last + 1, "\(segments.count) segments, the last live one \(last)")
        #expect(seen.count >= 8, "the live manifests were seen listing \(seen.keys.sorted())")
        for segment in segments {
            let sequence = Int(segment.sequence)
            if let live = seen[sequence] { #expect("\(segment.chunks)" == live, "segment \(sequence) differs from the live one") }
        }
        let (status, _) = try creator.get("/hls/\(recording)/0.ts")
        #expect(status == 200, "the first segment, recorded before the restart, plays")
    }
}
