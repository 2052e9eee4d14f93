import Foundation
import NetworkLab
import PeerNode
import Testing
import TestSupport

/// A paid stream with a ladder on localnet: every rendition is encrypted per
/// segment, its init segment is not, and a viewer that plays both
/// renditions buys each second's key once.
@Suite(.serialized)
struct PaidLadderTests {
    @Test("Paid ladder: a viewer plays both renditions with the creator's frames and buys each segment's key once")
    func eachSecondIsBoughtOnceWhateverTheRendition() async throws {
        let deployed = try await Localnet.shared.deployProgram()
        let scratch = try Scratch("paid-ladder")
        let video = try CMAFTests.clip(in: scratch)
        let creator = try DaemonProcess(name: "creator", in: scratch, config: PaidTests.paid(deployed, ["pricePerSecond": 1_000]))
        let viewer = try DaemonProcess(name: "viewer", in: scratch, bootstrap: [creator], config: PaidTests.paid(deployed))
        try await PaidTests.fund(deployed, [creator, viewer])
        let stream = try creator.nodectl(["publish", video, "--title", "Paid ladder", "--name", "paidladder",
                                          "--ladder", "360p,180p", "--json"], as: PeerNode.Published.self, timeout: 300).stream
        let manifest = try creator.client.manifest(stream)
        let segments = manifest.segments
        let low = manifest.renditions?.first?.segments ?? []
        #expect(segments.count >= 4 && low.count == segments.count)
        #expect((segments + low).allSatisfy { $0.iv?.count == 32 }, "every segment of every rendition is encrypted")

        try waitFor("the viewer to hear of \(stream)") { viewer.knows(stream) }
        _ = try viewer.nodectl(["watch", stream, "--wait", "30"])
        // The init segment is the creator's plain bytes: no key, no payment.
        let (initStatus, initBytes) = try viewer.get("/hls/\(stream)/180p-init.mp4")
        let creatorInit = try creator.get("/hls/\(stream)/180p-init.mp4").1
        #expect(initStatus == 200 && initBytes == creatorInit)
        #expect(initBytes.count > 8 && Array(initBytes[4..<8]) == Array("ftyp".utf8))

        for rendition in ["360p", "180p"] {
            let watched = try copyAndFrameMD5("\(viewer.apiURL)/hls/\(stream)/\(rendition).m3u8", in: scratch, name: "viewer-\(rendition)")
            let original = try copyAndFrameMD5("\(creator.apiURL)/hls/\(stream)/\(rendition).m3u8", in: scratch, name: "creator-\(rendition)")
            #expect(!original.isEmpty && watched == original, "\(rendition): the viewer's frames differ from the creator's")
        }
        let bought = viewer.counter("peernode_segment_keys_bought_total")
        #expect(bought == Double(segments.count), "\(bought) keys bought for \(segments.count) seconds-segments played in two renditions")
    }
}
