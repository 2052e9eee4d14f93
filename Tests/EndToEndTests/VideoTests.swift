import Foundation
import PeerNode
import NetworkLab
import Testing

/// Creator, relays and viewers as separate `nodectl daemon` processes on
/// 127.0.0.1, video from real ffmpeg. Serialized: each test runs several
/// daemons and ffmpeg on a small machine.
@Suite(.serialized)
struct VideoTests {
    @Test("VOD: creator → relay → viewer; the viewer's copy has the creator's frames")
    func vodThroughRelay() throws {
        let scratch = try Scratch("vod")
        let video = try makeTestVideo(in: scratch)
        let creator = try DaemonProcess(name: "creator", in: scratch)
        let relay = try DaemonProcess(name: "relay", in: scratch, bootstrap: [creator])
        let viewer = try DaemonProcess(name: "viewer", in: scratch, bootstrap: [relay])

        let info = try creator.nodectl(["publish", video, "--title", "Test pattern", "--name", "pattern", "--json"],
                                       as: PeerNode.Published.self)
        let stream = info.stream
        #expect(info.segments >= 4)

        try waitFor("the viewer to hear of \(stream)", timeout: 60) { viewer.knows(stream) }
        let listed = try viewer.nodectl(["streams"])
        #expect(listed.contains(stream))

        // Time to first segment as a player sees it: the playlist, then segment 0, over HTTP,
        // on a viewer that has only heard the announcement (manifest and chunks come through the relay).
        let firstStart = Date()
        let (playlistStatus, playlist) = try viewer.get("/hls/\(stream)/index.m3u8")
        let firstName = String(decoding: playlist, as: UTF8.self).split(separator: "\n").first { $0.hasSuffix(".ts") }
        let (segmentStatus, segment) = try viewer.get("/hls/\(stream)/\(firstName ?? "0.ts")")
        let firstMs = Date().timeIntervalSince(firstStart) * 1000
        #expect(playlistStatus == 200 && segmentStatus == 200 && !segment.isEmpty)
        print("time to first segment over HTTP, viewer → relay → creator: \(String(format: "%.0f", firstMs)) ms")

        let viewerURL = try viewer.nodectl(["watch", stream, "--wait", "30"])
        #expect(viewerURL.hasPrefix(viewer.apiURL + "/hls/"))
        #expect(viewerURL.hasSuffix("/index.m3u8"))
        let creatorURL = try creator.nodectl(["watch", stream])

        let started = Date()
        let watched = try copyAndFrameMD5(viewerURL, in: scratch, name: "viewer")
        let elapsed = Date().timeIntervalSince(started)
        let original = try copyAndFrameMD5(creatorURL, in: scratch, name: "creator")
        #expect(!original.isEmpty)
        #expect(watched == original, "the viewer's frames differ from the creator's")
        #expect(viewer.counter("peernode_chunks_fetched_total") > 0)
        #expect(viewer.counter("peernode_bad_chunks_total") == 0)
        print("VOD through a relay: played in \(String(format: "%.2f", elapsed)) s; relay served \(relay.counter("peernode_chunks_served_total")) chunks")
    }

    @Test("A relay killed with SIGKILL mid-VOD: a second relay holding the content finishes playback")
    func relayKilledMidVOD() throws {
        let scratch = try Scratch("kill")
        let video = try makeTestVideo(in: scratch)
        let creator = try DaemonProcess(name: "creator", in: scratch, config: ["hlsSegmentSeconds": 1])
        let relay1 = try DaemonProcess(name: "relay1", in: scratch, bootstrap: [creator])
        let relay2 = try DaemonProcess(name: "relay2", in: scratch, bootstrap: [creator])
        let stream = try creator.nodectl(["publish", video, "--title", "Kill test", "--name", "kill", "--json"],
                                         as: PeerNode.Published.self).stream

        // Both relays fetch and cache the whole stream; then the creator leaves.
        for relay in [relay1, relay2] {
            try waitFor("\(relay.name) to hear of the stream") { relay.knows(stream) }
            let url = try relay.nodectl(["watch", stream, "--wait", "30"])
            _ = try copyAndFrameMD5(url, in: scratch, name: relay.name)
        }
        let original = try copyAndFrameMD5(try creator.nodectl(["watch", stream]), in: scratch, name: "creator")
        creator.stop()

        let viewer = try DaemonProcess(name: "viewer", in: scratch, bootstrap: [relay1, relay2],
                                       config: ["fetchAheadSegments": 0, "requestTimeout": 2.0])
        try waitFor("the viewer to hear of the stream") { viewer.knows(stream) }
        try waitFor("the viewer to link to both relays", timeout: 60) {
            let peers = try viewer.client.peers().exchange
            return Set(peers.map(\.address)).isSuperset(of: [relay1.address, relay2.address])
        }
        let url = try viewer.nodectl(["watch", stream, "--wait", "30"])

        // Play in real time in the background; kill relay1 a few seconds in.
        nonisolated(unsafe) var watched = ""
        nonisolated(unsafe) var playError: Error?
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            do { watched = try copyAndFrameMD5(url, in: scratch, name: "viewer", realtime: true) } catch { playError = error }
            done.signal()
        }
        Thread.sleep(forTimeInterval: 3)
        relay1.kill()
        #expect(done.wait(timeout: .now() + 120) == .success)
        #expect(playError == nil, "\(String(describing: playError))")
        #expect(watched == original, "playback after the relay died differs from the creator's frames")
        let peers = try viewer.client.peers().exchange
        print("after relay1's SIGKILL: viewer timeouts \(viewer.counter("peernode_request_timeouts_total")), peers \(peers.map { "\($0.address): \($0.chunksReceived) chunks" })")
    }

    @Test("A peer serving wrong bytes is detected, scored down and avoided")
    func wrongBytesAvoided() throws {
        let scratch = try Scratch("bad")
        let video = try makeTestVideo(in: scratch)
        let creator = try DaemonProcess(name: "creator", in: scratch)
        let bad = try DaemonProcess(name: "bad", in: scratch, bootstrap: [creator], config: ["faultServeWrongBytes": true])
        let stream = try creator.nodectl(["publish", video, "--title", "Bad test", "--name", "bad", "--json"],
                                         as: PeerNode.Published.self).stream
        try waitFor("the bad peer to hear of the stream") { bad.knows(stream) }
        _ = try copyAndFrameMD5(try bad.nodectl(["watch", stream, "--wait", "30"]), in: scratch, name: "bad")

        let viewer = try DaemonProcess(name: "viewer", in: scratch, bootstrap: [bad, creator])
        try waitFor("the viewer to link to both peers", timeout: 60) {
            let peers = try viewer.client.peers().exchange
            return Set(peers.map(\.address)).isSuperset(of: [bad.address, creator.address])
        }
        try waitFor("the viewer to hear of the stream") { viewer.knows(stream) }
        let watched = try copyAndFrameMD5(try viewer.nodectl(["watch", stream, "--wait", "30"]), in: scratch, name: "viewer")
        let original = try copyAndFrameMD5(try creator.nodectl(["watch", stream]), in: scratch, name: "creator")
        #expect(watched == original)
        #expect(viewer.counter("peernode_bad_chunks_total") >= 1)
        let peers = try viewer.client.peers().exchange
        let badInfo = try #require(peers.first { $0.address == bad.address })
        #expect(badInfo.score < 0)
        #expect(badInfo.badChunks >= 1)
        let good = try #require(peers.first { $0.address == creator.address })
        #expect(good.chunksReceived >= 1)
    }
}
