import Foundation
import TestSupport
import Testing

/// The demo's network at crowd size (the size that broke playback: seven
/// free viewers and nobody played): one creator, three relays, 25 free
/// viewers each knowing one relay, all real daemons on localnet.
@Suite(.serialized)
struct CrowdTests {
    static func number(_ value: Any?) -> UInt64 { (value as? NSNumber)?.uint64Value ?? 0 }

    @Test("nodectl bench crowd: 25 viewers play every segment of a paid VOD with the creator's bytes; the ledgers reconcile")
    func twentyFiveViewers() throws {
        let scratch = try Scratch("crowd")
        let viewers = 25, relays = 3
        let result = try NodectlProcess.run(["bench", "crowd", "--relays", "\(relays)", "--viewers", "\(viewers)",
                                             "--seconds", "12", "--json", "--work-dir", scratch.path + "/work",
                                             "--repo", Localnet.repositoryRoot.path], timeout: 600)
        #expect(result.status == 0, "nodectl bench crowd failed: \(result.stderr.suffix(4000))")
        let summary = try result.json()
        #expect(summary["passed"] as? Bool == true)
        let checks = summary["checks"] as? [[String: Any]] ?? []
        for check in checks where check["passed"] as? Bool != true { Issue.record("check failed: \(check)") }

        // Every viewer played every segment (the player compares each with the creator's bytes and frames).
        let streams = summary["streams"] as? [[String: Any]] ?? []
        #expect(streams.count == 1)
        let vod = streams.first ?? [:]
        let segments = Int(Self.number(vod["segments"]))
        #expect(segments >= 6)
        let played = vod["played"] as? [String: Any] ?? [:]
        #expect(played.count == viewers, "\(played.count) of \(viewers) viewers played")
        for (viewer, count) in played { #expect(Int(Self.number(count)) == segments, "\(viewer) played \(count) of \(segments)") }

        // Money: every channel's spent = accepted = claimed on chain; relays and the creator were paid.
        let channels = summary["channels"] as? [[String: Any]] ?? []
        #expect(!channels.isEmpty)
        for c in channels {
            #expect(Self.number(c["spentPerPayer"]) == Self.number(c["acceptedPerPayee"]), "\(c)")
            #expect(Self.number(c["acceptedPerPayee"]) == Self.number(c["claimedOnChain"]), "\(c)")
        }
        let nodes = summary["nodes"] as? [[String: Any]] ?? []
        #expect(nodes.count == 1 + relays + viewers)
        let creator = nodes.first { $0["role"] as? String == "creator" } ?? [:]
        #expect(Self.number(creator["earnedForSeconds"]) > 0)
        // Free viewers never charge, so never earn; relays earn for chunks.
        for n in nodes where n["role"] as? String == "viewer" { #expect(Self.number(n["earned"]) == 0, "\(n["name"] ?? "")") }
        #expect(nodes.contains { $0["role"] as? String == "relay" && Self.number($0["earnedForChunks"]) > 0 })

        // How it felt, printed for the log (bounds generous for a busy CI machine; the goals are in the README).
        let playback = summary["playback"] as? [String: Any] ?? [:]
        #expect(Int(Self.number(playback["players"])) == viewers)
        let p50 = (playback["firstSegmentP50"] as? NSNumber)?.doubleValue ?? -1
        let p95 = (playback["firstSegmentP95"] as? NSNumber)?.doubleValue ?? -1
        print("crowd of \(viewers): first segment p50 \(p50) s, p95 \(p95) s, stalls \(playback["stalls"] ?? 0), bytes served by viewers \(playback["bytesServedByViewers"] ?? 0), relays \(playback["bytesServedByRelays"] ?? 0), creator \(playback["bytesServedByCreator"] ?? 0)")
        #expect(p95 >= 0 && p95 < 30)
    }
}
