import Foundation
import NetworkLab
import TestSupport
import Testing

/// The main job, `nodectl demo`, run as a user runs it: its JSON summary is
/// read like any script would read it. The demo checks its own figures
/// against each other; this test also asserts what the demo must show.
@Suite(.serialized)
struct DemoTests {
    @Test("nodectl demo --json: every cross-check passes, relays and creator are paid and claim exactly what the chain says, the tip is highlighted")
    func demo() throws {
        let scratch = try Scratch("demo")
        let work = scratch.path + "/work"
        let result = try NodectlProcess.run(["demo", "--json", "--work-dir", work,
                                             "--repo", Localnet.repositoryRoot.path], timeout: 400)
        #expect(result.status == 0, "nodectl demo failed: \(result.stderr.suffix(4000))")
        let summary = try result.decode(as: DemoSummary.self)
        #expect(summary.passed)

        // The demo's own cross-checks: every one passed, and there are many.
        let checks = summary.checks
        #expect(checks.count >= 30, "only \(checks.count) checks")
        for check in checks where !check.passed {
            Issue.record("check failed: \(check.line)")
        }

        let nodes = Dictionary(summary.nodes.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        #expect(summary.nodes.count == nodes.count, "node names repeat")
        #expect(Set(nodes.keys) == ["creator", "relay-1", "relay-2", "viewer-1", "viewer-2"])
        for name in ["relay-1", "relay-2"] {
            let relay = try #require(nodes[name])
            #expect(relay.earnedForChunks > 0, "\(name) earned nothing for chunks")
            #expect(relay.chunksServed > 0)
            #expect(relay.vouchersAccepted > 0)
        }
        let creator = try #require(nodes["creator"])
        #expect(creator.earnedForSeconds > 0, "the creator earned nothing per second watched")
        #expect(creator.earnedFromTips == 35_000, "the two tips (25,000 and 10,000)")
        #expect(creator.earnedForChunks > 0, "the relays pay the creator for chunks")
        for name in ["creator", "relay-1", "relay-2"] {
            let payee = try #require(nodes[name])
            let claimed = payee.claimed
            #expect(claimed > 0 && claimed == payee.claimedOnChain,
                    "\(name): claimed \(claimed), on chain \(payee.claimedOnChain)")
            #expect(claimed == payee.earned, "\(name) claimed everything it earned")
        }
        for name in ["viewer-1", "viewer-2"] {
            let viewer = try #require(nodes[name])
            #expect(viewer.spent > 0 && viewer.vouchersSent > 0)
            #expect(viewer.balanceAfter < viewer.balanceBefore)
        }

        // The viewers' limit (1,500 per chunk) keeps them off the creator (2,000): they pay it per second only.
        let channels = summary.channels
        for channel in channels where channel.payee == "creator" && channel.payer.hasPrefix("viewer") {
            #expect(channel.chunks == 0 && channel.seconds > 0, "\(channel)")
        }
        #expect(channels.contains { $0.payee == "relay-1" } && channels.contains { $0.payee == "relay-2" })

        // Both streams: played by both viewers, paid per second to the creator.
        let streams = summary.streams
        #expect(Set(streams.map(\.kind)) == ["vod", "live"])
        for stream in streams {
            #expect(stream.secondsIncome > 0, "\(stream)")
            #expect(stream.played["viewer-1"] ?? 0 > 0 && stream.played["viewer-2"] ?? 0 > 0, "\(stream)")
        }

        let chat = try #require(summary.chat)
        #expect(chat.tipHighlighted)
        #expect(chat.tipPinned)
        #expect(chat.lines.count >= 3)

        // Progress was shown, and everything was stopped and removed.
        #expect(result.stderr.contains("deploying the payment-channel program"))
        #expect(!FileManager.default.fileExists(atPath: work), "the demo left \(work) behind")
    }
}
