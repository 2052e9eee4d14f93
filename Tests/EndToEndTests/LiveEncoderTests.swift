import Foundation
import NetworkLab
import PeerNode
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// ffmpeg writing live HLS in real time (-re) into a folder: 1 s segments,
/// a 6-segment list, old segments deleted, as an encoder feeding a node does.
final class LiveEncoder {
    let process: ChildProcess

    init(into folder: String, seconds: Int, frequency: Int = 440) throws {
        let (ffmpeg, arguments) = ChildProcess.ffmpeg(["-re",
                             "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
                             "-f", "lavfi", "-i", "sine=frequency=\(frequency)", "-t", "\(seconds)",
                             "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p", "-c:a", "aac",
                             "-f", "hls", "-hls_time", "1", "-hls_list_size", "6",
                             "-hls_flags", "delete_segments+temp_file", folder + "/index.m3u8"])
        // Its errors go beside the folder, for a failing test to show.
        process = try ChildProcess.spawn("ffmpeg", ffmpeg, arguments, log: folder + ".ffmpeg.log", appendLog: true)
    }

    /// What a crash or `kill -9` does: no trailer, no #EXT-X-ENDLIST.
    func killHard() {
        guard process.isRunning else { return }
        process.send(SIGKILL)
        process.wait(timeout: 30)
    }

    /// Waits (bounded) for a normal end.
    func finish(timeout: Double = 60) throws {
        try waitFor("ffmpeg to finish", timeout: timeout) { !process.isRunning }
    }

    deinit { killHard() }
}

/// A player's view of a live playlist: every version it loaded, checked as
/// RFC 8216 §6.2.1 says a server may change it (media sequence never going
/// back, no removed segment coming back).
final class PlaylistFollower {
    let node: DaemonProcess
    let path: String
    private(set) var loads: [HLSView] = []
    private(set) var problems: [String] = []
    private var removed = Set<String>()

    struct HLSView {
        var mediaSequence: Int
        var uris: [String]
        var ended: Bool
        var discontinuity: Bool
        var text: String
    }

    init(node: DaemonProcess, stream: String) {
        self.node = node
        path = "/hls/\(stream)/index.m3u8"
    }

    var last: HLSView? { loads.last }

    /// Loads the playlist once; checks it against the previous load.
    @discardableResult
    func load() throws -> HLSView {
        let (status, body) = try node.get(path)
        guard status == 200 else { throw TestFailure("GET \(path): \(status) \(String(decoding: body, as: UTF8.self))") }
        let text = String(decoding: body, as: UTF8.self)
        let lines = text.split(separator: "\n").map(String.init)
        let sequence = lines.first { $0.hasPrefix("#EXT-X-MEDIA-SEQUENCE:") }.flatMap { Int($0.dropFirst(22)) } ?? -1
        let view = HLSView(mediaSequence: sequence, uris: lines.filter { !$0.hasPrefix("#") && !$0.isEmpty },
                           ended: lines.contains("#EXT-X-ENDLIST"),
                           discontinuity: lines.contains { $0.hasPrefix("#EXT-X-DISCONTINUITY") }, text: text)
        if let previous = loads.last {
            if view.mediaSequence < previous.mediaSequence {
                problems.append("media sequence went back from \(previous.mediaSequence) to \(view.mediaSequence)")
            }
            if previous.ended && view.text != previous.text { problems.append("an ended playlist changed") }
            for uri in previous.uris where !view.uris.contains(uri) { removed.insert(uri) }
            for uri in view.uris where removed.contains(uri) { problems.append("removed segment \(uri) listed again") }
        }
        loads.append(view)
        return view
    }
}

extension DaemonProcess {
    /// This node's `/v1/streams` entry for a stream.
    func streamEntry(_ stream: String) throws -> PeerNode.StreamSummary? {
        try client.streams().first { $0.stream == stream }
    }

    /// The newest live segment's sequence this node lists for `stream` (-1: none yet).
    func liveSegment(_ stream: String) throws -> Int { try streamEntry(stream)?.liveSegment.map { Int($0) } ?? -1 }

    func status(of stream: String) -> String? { (try? streamEntry(stream))?.status }

    /// The line `nodectl streams` prints for a stream.
    func streamsLine(_ stream: String) throws -> String {
        try nodectl(["streams"]).split(separator: "\n").map(String.init).first { $0.hasPrefix(stream + " ") } ?? ""
    }

    func pinnedRoots() throws -> Int { try client.stats().pinnedRoots }
}

/// The fields of the daemon's streams.json (its saved state, not an API
/// answer) this test checks: a live stream's settings survive a restart.
struct SavedStreams: Decodable {
    struct Entry: Decodable {
        struct Live: Decodable {
            let restart: String?
            let stallTimeout: Double?
        }
        let stream: String
        let live: Live?
    }
    let streams: [Entry]
}

@Suite(.serialized)
struct LiveEncoderTests {
    /// A creator daemon with a 3-segment playlist and a 5-segment history (unless told), and an empty HLS folder.
    static func creator(_ name: String, window: Int = 3, history: Int = 5) throws -> (Scratch, hls: String, DaemonProcess) {
        let scratch = try Scratch(name)
        let hls = scratch.path + "/hls"
        try FileManager.default.createDirectory(atPath: hls, withIntermediateDirectories: true)
        let config: [String: Any] = ["liveWindowSegments": window, "liveHistorySegments": history, "hlsSegmentSeconds": 1]
        return (scratch, hls, try DaemonProcess(name: "creator", in: scratch, config: config))
    }

    @Test("Live: an encoder killed and restarted into the same folder continues the stream; the window's old segments are unpinned")
    func encoderRestartContinues() throws {
        let (scratch, hls, creator) = try Self.creator("live-restart")
        defer { withExtendedLifetime(scratch) {} }
        let baseline = try creator.pinnedRoots()
        let stream = try creator.nodectl(["live", "--title", "Restarts", "--hls-dir", hls, "--name", "restarts",
                                          "--stall-timeout", "60", "--on-restart", "continue"])
        let player = PlaylistFollower(node: creator, stream: stream)

        // Before the first segment: waiting, and a player can load the (empty) live playlist.
        #expect(creator.status(of: stream) == "waiting")
        #expect(try creator.streamsLine(stream).contains("live waiting"))
        let empty = try player.load()
        #expect(empty.uris.isEmpty && !empty.ended)
        #expect(try creator.nodectl(["watch", stream]).hasSuffix("/hls/\(stream)/index.m3u8"))

        let first = try LiveEncoder(into: hls, seconds: 60)
        try waitFor("4 segments from the first encoder", timeout: 60) {
            try player.load()
            return try creator.liveSegment(stream) >= 3
        }
        #expect(creator.status(of: stream) == "live")
        first.killHard()
        let afterFirst = try creator.liveSegment(stream)

        // The same command again: names start again at index0.ts, the playlist's media sequence at 0.
        let second = try LiveEncoder(into: hls, seconds: 8, frequency: 880)
        try waitFor("the stream to end with the second encoder's playlist", timeout: 60) {
            try player.load().ended
        }
        try second.finish()

        let last = try creator.liveSegment(stream)
        #expect(last >= afterFirst + 6, "the restarted encoder's segments were not taken: \(afterFirst) then \(last)")
        #expect(creator.status(of: stream) == "ended")
        #expect(try creator.streamsLine(stream).contains("live ended"))
        #expect(player.problems.isEmpty, "\(player.problems)")
        #expect(player.loads.contains { $0.discontinuity }, "no load showed the discontinuity of the restart")
        let manifest = try creator.client.manifest(stream)
        let marked = manifest.segments.filter { $0.discontinuity == true }.count
        #expect(marked + Int(manifest.discontinuitySequence ?? 0) == 1, "one restart, one discontinuity: \(manifest)")
        #expect(creator.log.contains("live encoder restarted"))
        let ended = try #require(player.last)
        #expect(ended.uris.count == 3 && ended.mediaSequence == last - 2, "\(ended.text)")
        for uri in ended.uris {
            let (status, body) = try creator.get("/hls/\(stream)/\(uri)")
            #expect(status == 200 && !body.isEmpty, "\(uri): \(status)")
        }
        // Pinned: the manifest's 5 segments and its newest manifest; nothing that left it.
        #expect(try creator.pinnedRoots() - baseline == 5 + 1)
    }

    @Test("Live: a peer waits before the first segment; a killed encoder leaves the stream stalled, then ended with #EXT-X-ENDLIST after its stall timeout; watch --follow ends")
    func killedEncoderStallsAndEnds() throws {
        let (scratch, hls, creator) = try Self.creator("live-stall")
        defer { withExtendedLifetime(scratch) {} }
        let stream = try creator.nodectl(["live", "--title", "Stalls", "--hls-dir", hls, "--name", "stalls",
                                          "--stall-timeout", "12"])
        let player = PlaylistFollower(node: creator, stream: stream)

        // Another node hears of the stream before its first segment and can wait on its playlist.
        let viewer = try DaemonProcess(name: "viewer", in: scratch, bootstrap: [creator])
        try waitFor("the viewer to see the stream waiting", timeout: 30) { viewer.status(of: stream) == "waiting" }
        #expect(try viewer.nodectl(["watch", stream, "--wait", "30"]).hasSuffix("/hls/\(stream)/index.m3u8"))
        let early = try PlaylistFollower(node: viewer, stream: stream).load()
        #expect(early.uris.isEmpty && !early.ended, "\(early.text)")

        // A viewer follows from before the first segment to the end.
        let notes = scratch.path + "/follow.log"
        let follower = try ChildProcess.spawn("watch", nodectlBinary, ["watch", stream, "--follow", "--data-dir", creator.dataDir],
                                              stdin: "/dev/null", stdout: "/dev/null", stderr: notes)
        defer { follower.stop(signal: SIGKILL, grace: 10) }

        let encoder = try LiveEncoder(into: hls, seconds: 60)
        try waitFor("3 segments", timeout: 60) {
            try player.load()
            return try creator.liveSegment(stream) >= 2
        }
        encoder.killHard()
        let killed = Date()

        try waitFor("the stream to show as stalled", timeout: 12) {
            try player.load()
            return creator.status(of: stream) == "stalled"
        }
        #expect(try creator.streamsLine(stream).contains("live stalled"))
        #expect(player.last?.ended == false, "stalled is not ended yet")
        try waitFor("the stream to end after its stall timeout", timeout: 30) {
            try player.load()
            return creator.status(of: stream) == "ended"
        }
        let waited = Date().timeIntervalSince(killed)
        #expect(waited >= 11, "ended \(waited) s after the encoder died; the timeout is 12 s")
        let ended = try player.load()
        #expect(ended.ended, "no #EXT-X-ENDLIST: \(ended.text)")
        #expect(player.problems.isEmpty, "\(player.problems)")
        #expect(creator.log.contains("live stream stalled"))

        try waitFor("the viewer to see the stream ended", timeout: 15) { viewer.status(of: stream) == "ended" }
        let seen = try PlaylistFollower(node: viewer, stream: stream).load()
        #expect(seen.ended && seen.mediaSequence == ended.mediaSequence && seen.uris == ended.uris, "\(seen.text)")
        try waitFor("nodectl watch --follow to exit", timeout: 10) { !follower.isRunning }
        #expect(follower.exitStatus == 0)
        let printed = (try? String(contentsOfFile: notes, encoding: .utf8)) ?? ""
        for word in ["live: waiting", "live: segment 2", "live: stalled", "ended"] {
            #expect(printed.contains(word), "watch --follow printed: \(printed)")
        }
    }

    @Test("Live: settings survive a daemon restart; the resumed ingest takes no old segment again; --on-restart new ends the stream and starts NAME-2")
    func restartChoiceNewAcrossADaemonRestart() throws {
        // A 2-segment history: the encoder's 6-entry playlist lists segments that left the manifest.
        let (scratch, hls, creator) = try Self.creator("live-new", window: 2, history: 2)
        defer { withExtendedLifetime(scratch) {} }
        // Every segment each manifest listed, by sequence: no bytes may come under two numbers.
        var taken: [Int: String] = [:]
        func record(_ stream: String) {
            let segments = (try? creator.client.manifest(stream))?.segments ?? []
            for segment in segments { taken[Int(segment.sequence)] = "\(segment.chunks)" }
        }
        let stream = try creator.nodectl(["live", "--title", "New", "--hls-dir", hls, "--name", "show",
                                          "--stall-timeout", "45", "--on-restart", "new"])
        let player = PlaylistFollower(node: creator, stream: stream)
        let first = try LiveEncoder(into: hls, seconds: 60)
        try waitFor("7 segments", timeout: 60) {
            try player.load()
            record(stream)
            return try creator.liveSegment(stream) >= 6
        }
        creator.stop()
        let saved = try JSONDecoder().decode(SavedStreams.self, from: Data(contentsOf: URL(fileURLWithPath: creator.dataDir + "/streams.json")))
        let entry = saved.streams.first { $0.stream == stream }
        #expect(entry?.live?.restart == "new" && entry?.live?.stallTimeout == 45, "\(String(describing: entry))")
        try creator.restart()
        try waitFor("the resumed ingest to take new segments", timeout: 30) {
            try player.load()
            record(stream)
            return creator.log.components(separatedBy: "live segment").count >= 10
        }
        #expect(Set(taken.values).count == taken.count, "the resumed ingest took a segment again: \(taken.keys.sorted())")
        first.killHard()
        let before = try player.load()

        let second = try LiveEncoder(into: hls, seconds: 6, frequency: 880)
        let next = stream + "-2"
        try waitFor("\(next) to start", timeout: 30) { creator.status(of: next) == "live" }
        try second.finish()
        try waitFor("\(next) to end with its encoder's playlist", timeout: 30) { creator.status(of: next) == "ended" }

        #expect(creator.status(of: stream) == "ended")
        let ended = try player.load()
        #expect(ended.ended && ended.mediaSequence >= before.mediaSequence, "\(ended.text)")
        #expect(player.problems.isEmpty, "\(player.problems)")
        // No segment came twice: the resumed ingest and the new stream took only new bytes.
        record(stream)
        #expect(Set(taken.values).count == taken.count, "a segment was taken twice: \(taken.keys.sorted())")
        let successor = PlaylistFollower(node: creator, stream: next)
        let view = try successor.load()
        #expect(view.ended && view.uris.count == 2 && !view.discontinuity, "\(view.text)")
        #expect(try creator.liveSegment(next) >= 3, "\(creator.log.suffix(3000))")
        let newSegments = try creator.client.manifest(next).segments
        #expect(Set(newSegments.map { "\($0.chunks)" }).isDisjoint(with: taken.values))
    }
}
