import ContentStore
import Foundation
import Gossip
import Identity
import Testing
@testable import PeerNode

/// The live playlist as players see it across an encoder restart and the
/// end (RFC 8216 §6.2.1), and the live state kept in streams.json.
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

    @Test func streamsJSONKeepsTheLiveSettingsAndReadsOlderFiles() throws {
        let dir = NSTemporaryDirectory() + "published-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var list = PublishedStreams()
        list.streams = [.init(stream: "a/b", title: "T", manifest: nil, liveFolder: "/x", pricePerSecond: 0,
                              live: LiveSettings(stallTimeout: 42, restart: .new))]
        try list.save(dataDirectory: dir)
        #expect(try PublishedStreams.load(dataDirectory: dir) == list)
        let older = #"{"version":1,"streams":[{"stream":"a/b","title":"T","liveFolder":"/x","pricePerSecond":0}]}"#
        try Data(older.utf8).write(to: URL(fileURLWithPath: PublishedStreams.path(in: dir)))
        #expect(try PublishedStreams.load(dataDirectory: dir).streams.first?.live == nil)
    }

    @Test func liveSettingsAreCheckedByName() throws {
        let config = NodeConfig()
        #expect(try LiveSettings.resolve(stallTimeout: nil, restart: nil, config: config)
                == LiveSettings(stallTimeout: 60, restart: .continue))
        #expect(throws: PeerNodeError.self) { try LiveSettings.resolve(stallTimeout: 0, restart: nil, config: config) }
        #expect(throws: PeerNodeError.self) { try LiveSettings.resolve(stallTimeout: nil, restart: "again", config: config) }
        let decoded = try JSONDecoder().decode(NodeConfig.self, from: Data(#"{"liveEncoderRestart":"again"}"#.utf8))
        #expect(throws: PeerNodeError.self) { try decoded.validate() }
    }

    @Test func statusFollowsTheNewestSegment() throws {
        var m = try live(KeyPair.generate(), sequences: 0...2)
        m.targetDuration = 2
        let now = Date()
        #expect(LiveStatus.of(m, lastSegment: now.addingTimeInterval(-5), now: now) == .live)
        #expect(LiveStatus.of(m, lastSegment: now.addingTimeInterval(-7), now: now) == .stalled)
        m.ended = true
        #expect(LiveStatus.of(m, lastSegment: now, now: now) == .ended)
        m.ended = false
        m.segments = []
        #expect(LiveStatus.of(m, lastSegment: now.addingTimeInterval(-100), now: now) == .waiting)
    }
}
