import Foundation
import NetworkLab
import TestSupport
import Testing

/// The demo's network at crowd size (the size that broke playback: seven
/// free viewers and nobody played): one creator, three relays, 25 free
/// viewers each knowing one relay, all real daemons on localnet.
@Suite(.serialized)
struct CrowdTests {
    @Test("nodectl bench crowd: 25 viewers play every segment of a paid VOD with the creator's bytes; the ledgers reconcile")
    func twentyFiveViewers() throws {
        let scratch = try Scratch("crowd")
        let viewers = 25, relays = 3
        let result = try NodectlProcess.run(["bench", "crowd", "--relays", "\(relays)", "--viewers", "\(viewers)",
                                             "--seconds", "12", "--json", "--work-dir", scratch.path + "/work",
                                             "--repo", Localnet.repositoryRoot.path], timeout: 600)
        #expect(result.status == 0, "nodectl bench crowd failed: \(result.stderr.suffix(4000))")
        let summary = try result.decode(as: DemoSummary.self)
        #expect(summary.passed)
        for check in summary.checks where !check.passed { Issue.record("check failed: \(check.line)") }

        // Every viewer played every segment (the player compares each with the creator's bytes and frames).
        #expect(summary.streams.count == 1)
        let vod = try #require(summary.streams.first)
        let segments = vod.segments
        #expect(segments >= 6)
        let played = vod.played
        #expect(played.count == viewers, "\(played.count) of \(viewers) viewers played")
        for (viewer, count) in played { #expect(count == segments, "\(viewer) played \(count) of \(segments)") }

        // Money: every channel's spent = accepted = claimed on chain; relays and the creator were paid.
        let channels = summary.channels
        #expect(!channels.isEmpty)
        for c in channels {
            #expect(c.spentPerPayer == c.acceptedPerPayee, "\(c)")
            #expect(c.acceptedPerPayee == c.claimedOnChain, "\(c)")
        }
        let nodes = summary.nodes
        #expect(nodes.count == 1 + relays + viewers)
        let creator = try #require(nodes.first { $0.role == "creator" })
        #expect(creator.earnedForSeconds > 0)
        // Free viewers never charge, so never earn; relays earn for chunks.
        for n in nodes where n.role == "viewer" { #expect(n.earned == 0, "\(n.name)") }
        #expect(nodes.contains { $0.role == "relay" && $0.earnedForChunks > 0 })

        // How it felt, printed for the log (bounds generous for a busy CI machine; the goals are in the README).
        let playback = summary.playback
        #expect(playback.players == viewers)
        let p50 = playback.firstSegmentP50
        let p95 = playback.firstSegmentP95
        print("crowd of \(viewers): first segment p50 \(p50) s, p95 \(p95) s, stalls \(playback.stalls), bytes served by viewers \(playback.bytesServedByViewers), relays \(playback.bytesServedByRelays), creator \(playback.bytesServedByCreator)")
        #expect(p95 >= 0 && p95 < 30)
    }
}
