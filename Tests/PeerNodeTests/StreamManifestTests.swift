import ContentStore
import Foundation
import Gossip
import Identity
import Testing
@testable import PeerNode

struct StreamManifestTests {
    func sample(_ key: KeyPair) throws -> StreamManifest {
        let id = try StreamID(creator: key.address, name: "talk")
        let seg = StreamManifest.Segment(sequence: 0, duration: 2.0, size: 5, chunks: [CID.hashing(Array("abcde".utf8))])
        var m = StreamManifest(kind: .vod, stream: id, title: "Talk", pricePerSecond: 3, sequence: 1, ended: true,
                               segments: [seg, StreamManifest.Segment(sequence: 1, duration: 1.5, size: 5, chunks: seg.chunks)])
        try m.sign(with: key)
        return m
    }

    @Test func signedManifestDecodesAndKeepsItsCID() throws {
        let key = KeyPair.generate()
        let m = try sample(key)
        let decoded = try StreamManifest.decode(m.encoded())
        #expect(decoded == m)
        #expect(decoded.cid == m.cid)
        #expect(decoded.targetDuration == 2)
        #expect(decoded.totalDuration == 3.5)
    }

    @Test func tamperedManifestIsRejected() throws {
        let m = try sample(KeyPair.generate())
        var tampered = m
        tampered.pricePerSecond = 0
        #expect(throws: PeerNodeError.self) { try StreamManifest.decode(tampered.encoded()) }
        var text = String(decoding: m.encoded(), as: UTF8.self)
        text = text.replacingOccurrences(of: "\"Talk\"", with: "\"Tolk\"")
        #expect(throws: PeerNodeError.self) { try StreamManifest.decode(Array(text.utf8)) }
    }

    @Test func onlyTheCreatorSigns() throws {
        let creator = KeyPair.generate()
        var m = try sample(creator)
        #expect(throws: PeerNodeError.self) { try m.sign(with: KeyPair.generate()) }
    }

    @Test func garbageAndGapsAreErrors() throws {
        #expect(throws: PeerNodeError.self) { try StreamManifest.decode(Array("{".utf8)) }
        #expect(throws: PeerNodeError.self) { try StreamManifest.decode([]) }
        let key = KeyPair.generate()
        var m = try sample(key)
        m.segments[1].sequence = 5
        try m.sign(with: key)
        #expect(throws: PeerNodeError.self) { try StreamManifest.decode(m.encoded()) }
    }

    @Test func playlistRendersVODAndLiveWindow() throws {
        let key = KeyPair.generate()
        let vod = try sample(key)
        let text = HLSPlaylist.render(vod, window: 1) { "\($0).ts" }
        #expect(text.contains("#EXT-X-PLAYLIST-TYPE:VOD"))
        #expect(text.contains("0.ts") && text.contains("1.ts") && text.contains("#EXT-X-ENDLIST"))
        var live = vod
        live.kind = .live
        live.ended = false
        let window = HLSPlaylist.render(live, window: 1) { "\($0).ts" }
        #expect(!window.contains("0.ts") && window.contains("1.ts"))
        #expect(window.contains("#EXT-X-MEDIA-SEQUENCE:1") && !window.contains("ENDLIST"))
        let parsed = HLSPlaylist.parse(text)
        #expect(parsed.entries.map(\.uri) == ["0.ts", "1.ts"])
        #expect(parsed.entries.map(\.duration) == [2.0, 1.5])
        #expect(parsed.ended)
    }
}
