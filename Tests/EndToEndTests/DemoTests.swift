import Foundation
import TestSupport
import Testing

/// The main job, `nodectl demo`, run as a user runs it: its JSON summary is
/// read like any script would read it. The demo checks its own figures
/// against each other; this test also asserts what the demo must show.
@Suite(.serialized)
struct DemoTests {
    static func number(_ value: Any?) -> UInt64 { (value as? NSNumber)?.uint64Value ?? 0 }

    @Test("nodectl demo --json: every cross-check passes, relays and creator are paid and claim exactly what the chain says, the tip is highlighted")
    func demo() throws {
        let scratch = try Scratch("demo")
        let work = scratch.path + "/work"
        let result = try NodectlProcess.run(["demo", "--json", "--work-dir", work,
                                             "--repo", Localnet.repositoryRoot.path], timeout: 400)
        #expect(result.status == 0, "nodectl demo failed: \(result.stderr.suffix(4000))")
        let summary = try result.json()
        #expect(summary["passed"] as? Bool == true)

        // The demo's own cross-checks: every one passed, and there are many.
        let checks = summary["checks"] as? [[String: Any]] ?? []
        #expect(checks.count >= 30, "only \(checks.count) checks")
        for check in checks where check["passed"] as? Bool != true {
            Issue.record("check failed: \(check)")
        }

        let nodes = Dictionary(uniqueKeysWithValues: (summary["nodes"] as? [[String: Any]] ?? []).map {
            ($0["name"] as? String ?? "", $0)
        })
        #expect(Set(nodes.keys) == ["creator", "relay-1", "relay-2", "viewer-1", "viewer-2"])
        for name in ["relay-1", "relay-2"] {
            let relay = nodes[name] ?? [:]
            #expect(Self.number(relay["earnedForChunks"]) > 0, "\(name) earned nothing for chunks")
            #expect(Self.number(relay["chunksServed"]) > 0)
            #expect(Self.number(relay["vouchersAccepted"]) > 0)
        }
        let creator = nodes["creator"] ?? [:]
        #expect(Self.number(creator["earnedForSeconds"]) > 0, "the creator earned nothing per second watched")
        #expect(Self.number(creator["earnedFromTips"]) == 35_000, "the two tips (25,000 and 10,000)")
        #expect(Self.number(creator["earnedForChunks"]) > 0, "the relays pay the creator for chunks")
        for name in ["creator", "relay-1", "relay-2"] {
            let payee = nodes[name] ?? [:]
            let claimed = Self.number(payee["claimed"])
            #expect(claimed > 0 && claimed == Self.number(payee["claimedOnChain"]),
                    "\(name): claimed \(claimed), on chain \(Self.number(payee["claimedOnChain"]))")
            #expect(claimed == Self.number(payee["earned"]), "\(name) claimed everything it earned")
        }
        for name in ["viewer-1", "viewer-2"] {
            let viewer = nodes[name] ?? [:]
            #expect(Self.number(viewer["spent"]) > 0 && Self.number(viewer["vouchersSent"]) > 0)
            #expect(Self.number(viewer["balanceAfter"]) < Self.number(viewer["balanceBefore"]))
        }

        // The viewers' limit (1,500 per chunk) keeps them off the creator (2,000): they pay it per second only.
        let channels = summary["channels"] as? [[String: Any]] ?? []
        for channel in channels where channel["payee"] as? String == "creator" && (channel["payer"] as? String ?? "").hasPrefix("viewer") {
            #expect(Self.number(channel["chunks"]) == 0 && Self.number(channel["seconds"]) > 0, "\(channel)")
        }
        #expect(channels.contains { $0["payee"] as? String == "relay-1" } && channels.contains { $0["payee"] as? String == "relay-2" })

        // Both streams: played by both viewers, paid per second to the creator.
        let streams = summary["streams"] as? [[String: Any]] ?? []
        #expect(Set(streams.compactMap { $0["kind"] as? String }) == ["vod", "live"])
        for stream in streams {
            #expect(Self.number(stream["secondsIncome"]) > 0, "\(stream)")
            let played = stream["played"] as? [String: Any] ?? [:]
            #expect(Self.number(played["viewer-1"]) > 0 && Self.number(played["viewer-2"]) > 0, "\(stream)")
        }

        let chat = summary["chat"] as? [String: Any] ?? [:]
        #expect(chat["tipHighlighted"] as? Bool == true)
        #expect(chat["tipPinned"] as? Bool == true)
        #expect((chat["lines"] as? [Any])?.count ?? 0 >= 3)

        // Progress was shown, and everything was stopped and removed.
        #expect(result.stderr.contains("deploying the payment-channel program"))
        #expect(!FileManager.default.fileExists(atPath: work), "the demo left \(work) behind")
    }
}
