import ContentStore
import Foundation
import Gossip
import Identity
import Testing
@testable import PeerNode

/// Manifests of version 3 (CMAF init segments, measured media, a ladder)
/// and the playlists a viewer's node writes from them; MPEG-TS manifests
/// render as they always did.
struct CMAFManifestTests {
    let key = KeyPair.generate()

    func media(_ height: Int, _ bandwidth: UInt64) -> StreamManifest.Media {
        StreamManifest.Media(codecs: "avc1.64001f,mp4a.40.2", width: height * 16 / 9, height: height, frameRate: 25,
                             bandwidth: bandwidth, averageBandwidth: bandwidth * 9 / 10, duration: 4)
    }

    func segments(_ tag: String, count: UInt64 = 2) -> [StreamManifest.Segment] {
        (0..<count).map { StreamManifest.Segment(sequence: $0, duration: 2, size: 5, chunks: [CID.hashing(Array("\(tag)\($0)".utf8))]) }
    }

    func initSegment(_ tag: String) -> StreamManifest.InitSegment {
        StreamManifest.InitSegment(size: 700, chunks: [CID.hashing(Array("init-\(tag)".utf8))])
    }

    func ladder() throws -> StreamManifest {
        let id = try StreamID(creator: key.address, name: "ladder")
        var m = StreamManifest(kind: .vod, stream: id, title: "Ladder", pricePerSecond: 0, sequence: 1, ended: true,
                               segments: segments("720"))
        m.initSegment = initSegment("720")
        m.media = media(720, 2_900_000)
        m.renditions = [StreamManifest.Rendition(media: media(360, 800_000), initSegment: initSegment("360"), segments: segments("360"))]
        m.describeMedia()
        try m.sign(with: key)
        return m
    }

    @Test func aLadderManifestVerifiesAndEachRenditionIsSelected() throws {
        let m = try ladder()
        let decoded = try StreamManifest.decode(m.encoded())
        #expect(decoded == m && decoded.version == StreamManifest.mediaVersion)
        #expect(decoded.allRenditions.map(\.media.name) == ["720p", "360p"])
        let low = try #require(decoded.selecting("360p"))
        #expect(low.segments == m.renditions?[0].segments && low.initSegment == initSegment("360") && low.renditions == nil)
        #expect(decoded.selecting("720p") == decoded && decoded.selecting(nil) == decoded)
        #expect(decoded.selecting("1080p") == nil)
    }

    @Test func mediaFieldsNeedVersion3AndRenditionsTheSameSegments() throws {
        var old = try ladder()
        old.version = StreamManifest.currentVersion
        try old.sign(with: key)
        #expect(throws: PeerNodeError.self) { try StreamManifest.decode(old.encoded()) }

        var gap = try ladder()
        gap.renditions?[0].segments.removeLast()
        try gap.sign(with: key)
        #expect(throws: PeerNodeError.self) { try StreamManifest.decode(gap.encoded()) }

        var twice = try ladder()
        twice.renditions?[0].media.height = 720
        try twice.sign(with: key)
        #expect(throws: PeerNodeError.self) { try StreamManifest.decode(twice.encoded()) }

        // The codecs go into a playlist line between quotes.
        var quoted = try ladder()
        quoted.media?.codecs = "avc1\"\n#EXT-X-ENDLIST"
        try quoted.sign(with: key)
        #expect(throws: PeerNodeError.self) { try StreamManifest.decode(quoted.encoded()) }
    }

    @Test func aCMAFPlaylistMapsItsInitSegmentAndTSStaysAsItWas() throws {
        let m = try ladder()
        let text = HLSPlaylist.render(m, window: nil) { "\($0).m4s" }
        #expect(text.hasPrefix("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n"))
        #expect(text.contains("#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:2.000000,\n0.m4s\n"))
        let parsed = HLSPlaylist.parse(text)
        #expect(parsed.entries.map(\.map) == ["init.mp4", "init.mp4"])

        var ts = m
        ts.initSegment = nil
        ts.media = nil
        ts.renditions = nil
        let old = HLSPlaylist.render(ts, window: nil) { "\($0).ts" }
        #expect(old.hasPrefix("#EXTM3U\n#EXT-X-VERSION:3\n") && !old.contains("EXT-X-MAP"))
    }

    @Test func aLiveWindowStartsWithTheInitSegmentInEffect() throws {
        let id = try StreamID(creator: key.address, name: "live")
        var m = StreamManifest(kind: .live, stream: id, title: "Live", pricePerSecond: 0, sequence: 5, ended: false,
                               segments: segments("a", count: 6))
        m.initSegment = initSegment("first")
        m.segments[2].initSegment = initSegment("second")   // the encoder restarted with other settings
        m.segments[2].discontinuity = true
        let all = HLSPlaylist.render(m, window: 10) { "\($0).m4s" }
        #expect(all.contains("#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF"))
        #expect(all.contains("#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI=\"init-2.mp4\"\n#EXTINF:2.000000,\n2.m4s"))
        let window = HLSPlaylist.render(m, window: 2) { "\($0).m4s" }
        #expect(window.contains("#EXT-X-MAP:URI=\"init-2.mp4\"\n#EXTINF:2.000000,\n4.m4s"))
        #expect(!window.contains("init.mp4"))
    }

    @Test func theMasterPlaylistListsEachRenditionAsMeasured() throws {
        let text = HLSPlaylist.master(try ladder()) { "\($0).m3u8" }
        let variants = HLSPlaylist.variants(text)
        #expect(variants.map(\.uri) == ["720p.m3u8", "360p.m3u8"])
        let top = try #require(variants.first?.attributes)
        #expect(top["BANDWIDTH"] == "2900000" && top["AVERAGE-BANDWIDTH"] == "2610000")
        #expect(top["RESOLUTION"] == "1280x720" && top["FRAME-RATE"] == "25.000")
        #expect(top["CODECS"] == "avc1.64001f,mp4a.40.2")
    }

    @Test func playerFileNames() {
        #expect(HLSFile("index.m3u8") == .index)
        #expect(HLSFile("480p.m3u8") == .playlist(rendition: "480p"))
        #expect(HLSFile("init.mp4") == .initSegment(rendition: nil, sequence: nil))
        #expect(HLSFile("init-7.mp4") == .initSegment(rendition: nil, sequence: 7))
        #expect(HLSFile("360p-init.mp4") == .initSegment(rendition: "360p", sequence: nil))
        #expect(HLSFile("12.m4s") == .segment(rendition: nil, sequence: 12, cmaf: true))
        #expect(HLSFile("3.ts") == .segment(rendition: nil, sequence: 3, cmaf: false))
        #expect(HLSFile("1080p-0.m4s") == .segment(rendition: "1080p", sequence: 0, cmaf: true))
        for bad in ["", "x.m3u8", "../a.ts", "-1.ts", "12.mp3", "p-1.m4s", "init-.mp4", "720p-x.m4s"] {
            #expect(HLSFile(bad) == nil, "\(bad)")
        }
    }

    @Test func laddersFollowTheSourceAndNeverUpscale() throws {
        #expect(try Ladder.parse("1080p, 720p,480") == [1080, 720, 480])
        for bad in ["", "720x", "99999p", "0p", "+720p", ","] {
            #expect(throws: PeerNodeError.self, "\(bad)") { try Ladder.parse(bad) }
        }
        #expect(Ladder.resolve(nil, sourceHeight: 720).heights == [720, 480, 360])
        #expect(Ladder.resolve(nil, sourceHeight: 2160).heights == [1080, 720, 480, 360])
        #expect(Ladder.resolve(nil, sourceHeight: 241).heights == [240])
        #expect(Ladder.resolve([1080, 720, 360], sourceHeight: 480).heights == [360])
        #expect(Ladder.resolve([1080], sourceHeight: 480).heights == [480])
    }
}
