import ContentStore
import Foundation
import Gossip
import Identity
import Testing
@testable import PeerNode

/// The live playlist as players see it across an encoder restart and the
/// end (RFC 8216 §6.2.1).
struct LivePlaylistTests {
    func live(_ key: KeyPair, sequences: ClosedRange<UInt64>, restartAt: UInt64? = nil) throws -> StreamManifest {
        let id = try StreamID(creator: key.address, name: "live")
        let segments = sequences.map {
            StreamManifest.Segment(sequence: $0, duration: 1, size: 5, chunks: [CID.hashing(Array("s\($0)".utf8))],
                                   discontinuity: $0 == restartAt ? true : nil)
        }
        return StreamManifest(kind: .live, stream: id, title: "Live", pricePerSecond: 0, sequence: 9, ended: false,
                              segments: segments)
    }

    @Test func anEndedLiveStreamKeepsItsWindowAndMediaSequence() throws {
        var m = try live(KeyPair.generate(), sequences: 4...13)
        let before = HLSPlaylist.parse(HLSPlaylist.render(m, window: 3) { "\($0).ts" })
        m.ended = true
        let after = HLSPlaylist.parse(HLSPlaylist.render(m, window: 3) { "\($0).ts" })
        #expect(before.mediaSequence == 11 && after.mediaSequence == 11)
        #expect(after.entries.map(\.uri) == ["11.ts", "12.ts", "13.ts"] && after.ended && !before.ended)
    }

    @Test func aRestartIsADiscontinuityCountedOnceItLeavesTheWindow() throws {
        var m = try live(KeyPair.generate(), sequences: 0...5, restartAt: 3)
        let text = HLSPlaylist.render(m, window: 4) { "\($0).ts" }
        #expect(text.contains("#EXT-X-DISCONTINUITY\n#EXTINF:1.000000,\n3.ts"))
        #expect(!text.contains("DISCONTINUITY-SEQUENCE"))
        #expect(HLSPlaylist.parse(text).discontinuities == [1])
        // Out of the window, still in the manifest: counted.
        let later = HLSPlaylist.render(m, window: 2) { "\($0).ts" }
        #expect(later.contains("#EXT-X-DISCONTINUITY-SEQUENCE:1\n") && !later.contains("#EXT-X-DISCONTINUITY\n"))
        // Out of the manifest: counted by the manifest.
        m.segments.removeFirst(4)
        m.discontinuitySequence = 1
        #expect(HLSPlaylist.render(m, window: 2) { "\($0).ts" }.contains("#EXT-X-DISCONTINUITY-SEQUENCE:1\n"))
    }

    @Test func manifestsWithoutARestartEncodeAsBefore() throws {
        let key = KeyPair.generate()
        var m = try live(key, sequences: 0...2)
        try m.sign(with: key)
        let text = String(decoding: m.encoded(), as: UTF8.self)
        #expect(!text.contains("discontinuity"))
        var restarted = try live(key, sequences: 0...2, restartAt: 1)
        try restarted.sign(with: key)
        #expect(try StreamManifest.decode(restarted.encoded()).segments[1].discontinuity == true)
    }
}
