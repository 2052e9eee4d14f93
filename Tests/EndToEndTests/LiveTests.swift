import Foundation
import NetworkLab
import Testing

@Suite(.serialized)
struct LiveTests {
    @Test("Live: ffmpeg writes HLS for 20 s; the viewer's playlist advances and every segment matches the creator's")
    func liveThroughRelay() throws {
        let scratch = try Scratch("live")
        let hls = scratch.path + "/hls"
        try FileManager.default.createDirectory(atPath: hls, withIntermediateDirectories: true)
        let creator = try DaemonProcess(name: "creator", in: scratch)
        let relay = try DaemonProcess(name: "relay", in: scratch, bootstrap: [creator])
        let viewer = try DaemonProcess(name: "viewer", in: scratch, bootstrap: [relay])

        let stream = try creator.nodectl(["live", "--title", "Live pattern", "--hls-dir", hls, "--name", "live"])
        #expect(stream.hasSuffix("/live"))

        // The encoder: 20 s in real time, 1 s segments, a 6-segment window, old segments deleted.
        let encoder = try LiveEncoder(into: hls, seconds: 20)

        try waitFor("the viewer to hear of the live stream", timeout: 60) { viewer.knows(stream) }
        let url = try viewer.nodectl(["watch", stream, "--wait", "30"])
        let path = String(url.dropFirst(viewer.apiURL.count))
        let base = String(path.dropLast("index.m3u8".count))

        // Follow the viewer's playlist until it ends; check every segment it lists.
        var checked = Set<String>()
        var sequences: [Int] = []
        var ended = false
        var statuses: [String] = []
        let deadline = Date().addingTimeInterval(90)
        while Date() < deadline && !ended {
            let (status, body) = try viewer.get(path)
            if status == 200 {
                let text = String(decoding: body, as: UTF8.self)
                ended = text.contains("#EXT-X-ENDLIST")
                if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("#EXT-X-MEDIA-SEQUENCE:") }),
                   let seq = Int(line.dropFirst(22)), sequences.last != seq {
                    sequences.append(seq)
                }
                for name in text.split(separator: "\n").filter({ $0.hasSuffix(".ts") }).map(String.init) where !checked.contains(name) {
                    let (vs, vbytes) = try viewer.get(base + name)
                    let (cs, cbytes) = try creator.get("/hls/\(stream)/" + name)
                    #expect(vs == 200 && cs == 200)
                    #expect(!vbytes.isEmpty && vbytes == cbytes, "segment \(name) differs from the creator's")
                    checked.insert(name)
                }
            }
            if let status = viewer.status(of: stream), statuses.last != status { statuses.append(status) }
            usleep(300_000)
        }
        #expect(ended, "the live playlist never ended")
        // A peer's live stream: its status as the newest manifest the viewer holds says.
        try waitFor("the viewer to show the stream as ended", timeout: 15) { viewer.status(of: stream) == "ended" }
        #expect(statuses.contains("live"), "the viewer showed \(statuses)")
        #expect(try viewer.streamsLine(stream).contains("live ended"))
        #expect(sequences.count >= 3, "the playlist's media sequence advanced only through \(sequences)")
        #expect(checked.count >= 12, "only \(checked.count) segments reached the viewer")
        #expect(viewer.counter("peernode_bad_chunks_total") == 0)
        try encoder.finish()
    }
}
