import Foundation
import Identity
import NetworkLab
import PayChannel
import PeerNode
import Solana
import Testing
import TestSupport

/// Daemons that pay each other through real channels on localnet: a
/// creator charging per chunk and per second, relays charging per chunk, and
/// viewers with limits. Every figure is checked against the other side and
/// against the chain.
@Suite(.serialized)
struct PaidTests {
    /// Payment settings shared by every daemon in these tests: small
    /// thresholds so vouchers flow within a 10-second video.
    static func paid(_ deployed: Localnet.Deployed, _ extra: [String: Any] = [:]) -> [String: Any] {
        var c: [String: Any] = ["programId": deployed.programId.base58, "chainRPC": deployed.net.url,
                                "paymentThreshold": 20_000, "disconnectThreshold": 60_000,
                                "channelDeposit": 20_000_000, "claimInterval": 3600.0, "hlsSegmentSeconds": 1]
        for (k, v) in extra { c[k] = v }
        return c
    }

    static func fund(_ deployed: Localnet.Deployed, _ daemons: [DaemonProcess]) async throws {
        for d in daemons {
            let address = try Address(base58: d.address)
            try await deployed.net.rpc.confirm(try await deployed.net.rpc.requestAirdrop(address, lamports: 2 * WellKnown.lamportsPerSol))
        }
    }

    /// `nodectl earnings --json`: the daemon's own report.
    static func earnings(_ node: DaemonProcess) throws -> EarningsReport {
        try node.nodectl(["earnings", "--json"], as: EarningsReport.self)
    }

    /// `nodectl channels --json`: both ways.
    static func channels(_ node: DaemonProcess) throws -> PeerNode.Channels {
        try node.nodectl(["channels", "--json"], as: PeerNode.Channels.self)
    }

    /// What each payer channel on chain says was claimed, for one payee.
    static func claimedOnChain(_ deployed: Localnet.Deployed, payee: String) async throws -> UInt64 {
        try await deployed.client.channels(payee: try Address(base58: payee)).reduce(0) { $0 + $1.1.claimed }
    }

    func publish(_ creator: DaemonProcess, _ video: String, name: String) throws -> String {
        try creator.nodectl(["publish", video, "--title", "Paid \(name)", "--name", name, "--json"],
                            as: PeerNode.Published.self).stream
    }

    @Test("Paid VOD: the relay is paid per chunk, the creator per second and a tip; claims equal accepted vouchers")
    func paidVODThroughARelay() async throws {
        let deployed = try await Localnet.shared.deployProgram()
        let scratch = try Scratch("paid")
        let video = try makeTestVideo(in: scratch)
        let creator = try DaemonProcess(name: "creator", in: scratch, config: Self.paid(deployed, [
            "pricePerChunk": 2_000, "pricePerSecond": 1_000, "tipPinPrice": 50_000]))
        let relay = try DaemonProcess(name: "relay", in: scratch, bootstrap: [creator],
                                      config: Self.paid(deployed, ["pricePerChunk": 1_000]))
        // The creator's 2,000 per chunk is above the viewer's limit: it fetches through the relay only.
        let viewer = try DaemonProcess(name: "viewer", in: scratch, bootstrap: [relay],
                                       config: Self.paid(deployed, ["maxPricePerChunk": 1_500, "maxPricePerSecond": 2_000]))
        try await Self.fund(deployed, [creator, relay, viewer])
        let stream = try publish(creator, video, name: "vod")
        try waitFor("the viewer to hear of \(stream)") { viewer.knows(stream) }

        let watched = try copyAndFrameMD5(try viewer.nodectl(["watch", stream, "--wait", "30"]), in: scratch, name: "viewer")
        let original = try copyAndFrameMD5(try creator.nodectl(["watch", stream]), in: scratch, name: "creator")
        #expect(watched == original)

        // A tip with a message: the creator's receipt rides in the chat line, which other nodes highlight.
        let tip = try viewer.nodectl(["tip", stream, "100000", "--message", "great stream!", "--json"],
                                     as: NodePayments.TipResult.self)
        #expect(tip.accepted >= 100_000)
        _ = try viewer.nodectl(["chat", stream, "--say", "hello"])
        nonisolated(unsafe) var lastChat = ""
        defer { if !lastChat.contains("pinnedUntil") { print("relay's chat: \(lastChat)\nviewer's: \((try? viewer.nodectl(["chat", stream, "--json"])) ?? "")") } }
        try waitFor("the tip line to reach the relay, highlighted and pinned") {
            lastChat = try relay.nodectl(["chat", stream, "--json"])
            let lines = try NodeClient.decode(Data(lastChat.utf8), "chat", as: PeerNode.Chat.self).lines
            let tipped = lines.first { $0.text == "great stream!" }
            let plain = lines.first { $0.text == "hello" }
            return tipped?.tip == 100_000 && tipped?.pinnedUntil != nil && plain != nil && plain?.tip == nil
        }

        // Vouchers arrive: the relay for chunks, the creator for seconds (and for the relay's chunks).
        try waitFor("every voucher the viewer signed to have arrived", timeout: 30) {
            let out = try Self.channels(viewer).outgoing
            var ok = !out.isEmpty
            for channel in out {
                let node = channel.payee.base58 == relay.address ? relay : creator
                let incoming = try Self.channels(node).incoming
                let match = incoming.first { $0.channel == channel.address }
                ok = ok && match?.amount == channel.spent
            }
            return ok
        }
        let relayEarned = try Self.earnings(relay)
        let creatorEarned = try Self.earnings(creator)
        #expect(relayEarned.chunks.earned > 0)
        #expect(creatorEarned.byStream[stream]?.earned ?? 0 >= 100_000 + 9_000, "seconds watched and the tip")
        #expect(creatorEarned.byPeer[relay.address]?.earned ?? 0 > 0, "the relay pays the creator for chunks")

        // Claims: what each payee claimed on chain equals what it accepted, to the lamport.
        for payee in [relay, creator] {
            let before = try await deployed.net.rpc.balance(try Address(base58: payee.address))
            let accepted = try Self.earnings(payee).totals.earned
            let claims = try payee.nodectl(["claim", "--json"], as: [Claim].self)
            #expect(!claims.isEmpty && claims.allSatisfy { ($0.error ?? "").isEmpty }, "\(claims)")
            let after = try await deployed.net.rpc.balance(try Address(base58: payee.address))
            let onChain = try await Self.claimedOnChain(deployed, payee: payee.address)
            #expect(onChain == accepted, "\(payee.name): chain says \(onChain) claimed, it accepted \(accepted)")
            #expect(after == before + accepted - UInt64(claims.count) * SettlementPolicy.claimFee)
            let report = try Self.earnings(payee)
            #expect(report.totals.claimed == accepted && report.totals.pending == 0)
        }
        #expect(viewer.counter("peernode_vouchers_sent_total") > 0)
        #expect(relay.counter("peernode_vouchers_rejected_total") == 0)
        #expect(creator.counter("peernode_vouchers_rejected_total") == 0)
    }

    @Test("A viewer whose spending cap is reached stops paying and stops receiving")
    func spendingCapStopsPlayback() async throws {
        let deployed = try await Localnet.shared.deployProgram()
        let scratch = try Scratch("cap")
        let video = try makeTestVideo(in: scratch)
        let creator = try DaemonProcess(name: "creator", in: scratch, config: Self.paid(deployed, ["pricePerSecond": 1_000]))
        let viewer = try DaemonProcess(name: "viewer", in: scratch, bootstrap: [creator],
                                       config: Self.paid(deployed, ["spendingCapPerStream": 4_500, "fetchAheadSegments": 0]))
        try await Self.fund(deployed, [creator, viewer])
        let stream = try publish(creator, video, name: "cap")
        try waitFor("the viewer to hear of \(stream)") { viewer.knows(stream) }
        _ = try viewer.nodectl(["watch", stream, "--wait", "30"])
        var served = 0, refused: (Int, String)?
        for n in 0..<10 {
            let (status, body) = try viewer.get("/hls/\(stream)/\(n).ts")
            if status == 200 { served += 1; continue }
            refused = (status, String(decoding: body, as: UTF8.self))
            break
        }
        // 1-second segments at 1,000 a second: four fit in 4,500, the fifth does not.
        #expect(served == 4, "served \(served)")
        #expect(refused?.0 == 402 && refused?.1.contains("spending cap") == true, "\(String(describing: refused))")
        try waitFor("the creator to have the viewer's vouchers") {
            try Self.earnings(creator).byStream[stream]?.earned ?? 0 > 0
        }
        try await Task.sleep(for: .seconds(1))
        let earned = try Self.earnings(creator).byStream[stream]?.earned ?? 0
        #expect(earned <= 4_500, "the creator was paid \(earned), past the viewer's cap")
        let spending = try viewer.client.spending().byStream
        #expect((spending[stream] ?? 0) <= 4_500)
    }

    @Test("SIGKILL of the payer, then of the payee: nobody pays twice, no accepted voucher is lost")
    func killedPayerAndPayee() async throws {
        let deployed = try await Localnet.shared.deployProgram()
        let scratch = try Scratch("paykill")
        let video = try makeTestVideo(in: scratch, seconds: 20)
        let creator = try DaemonProcess(name: "creator", in: scratch, config: Self.paid(deployed, ["pricePerChunk": 1_000]))
        let viewer = try DaemonProcess(name: "viewer", in: scratch, bootstrap: [creator],
                                       config: Self.paid(deployed, ["fetchAheadSegments": 0, "paymentThreshold": 4_000,
                                                                    "disconnectThreshold": 12_000]))
        try await Self.fund(deployed, [creator, viewer])
        let stream = try publish(creator, video, name: "kill")
        try waitFor("the viewer to hear of \(stream)") { viewer.knows(stream) }
        _ = try viewer.nodectl(["watch", stream, "--wait", "30"])
        func fetch(_ range: Range<Int>) throws {
            for n in range {
                let (status, body) = try viewer.get("/hls/\(stream)/\(n).ts")
                guard status == 200 else { throw TestFailure("segment \(n): \(status) \(String(decoding: body, as: UTF8.self))") }
            }
        }
        func accepted() throws -> UInt64 {
            try Self.earnings(creator).totals.earned
        }
        func spent() throws -> UInt64 {
            try Self.channels(viewer).outgoing.reduce(0) { $0 + $1.spent }
        }
        try fetch(0..<6)
        try waitFor("a first voucher accepted") { try accepted() > 0 }
        let beforeKill = try spent()
        viewer.kill()
        try viewer.restart()
        try waitFor("the viewer to hear of \(stream) again") { viewer.knows(stream) }
        #expect(try spent() == beforeKill, "the restarted payer continues from what it recorded")
        try fetch(6..<20)
        try waitFor("the creator to accept everything the viewer signed", timeout: 30) { try accepted() == (try spent()) }
        #expect(creator.counter("peernode_vouchers_rejected_total") == 0, "no voucher was ever signed twice for the same sequence")
        let acceptedBeforeKill = try accepted()

        creator.kill()
        try creator.restart()
        #expect(try accepted() == acceptedBeforeKill, "the payee keeps every voucher it accepted")
        let claims = try creator.nodectl(["claim", "--json"], as: [Claim].self)
        #expect(!claims.isEmpty)
        #expect(try await Self.claimedOnChain(deployed, payee: creator.address) == acceptedBeforeKill)
    }

    /// What `viewer` signed to `payee` so far (its outgoing channel's cumulative amount).
    static func spent(by viewer: DaemonProcess, to payee: DaemonProcess) throws -> UInt64 {
        try channels(viewer).outgoing.filter { $0.payee.base58 == payee.address }.reduce(0) { $0 + $1.spent }
    }

    @Test("A relay that stops serving stops being paid; the relay that takes over is paid instead")
    func relayThatStopsServingStopsBeingPaid() async throws {
        let deployed = try await Localnet.shared.deployProgram()
        let scratch = try Scratch("paidrelays")
        let video = try makeTestVideo(in: scratch, seconds: 20)
        let creator = try DaemonProcess(name: "creator", in: scratch, config: Self.paid(deployed, ["pricePerChunk": 5_000]))
        let relay1 = try DaemonProcess(name: "relay1", in: scratch, bootstrap: [creator], config: Self.paid(deployed, ["pricePerChunk": 1_000]))
        let relay2 = try DaemonProcess(name: "relay2", in: scratch, bootstrap: [creator], config: Self.paid(deployed, ["pricePerChunk": 1_000]))
        try await Self.fund(deployed, [creator, relay1, relay2])
        let stream = try publish(creator, video, name: "relays")
        // Both relays hold the whole stream before the viewer comes.
        for relay in [relay1, relay2] {
            try waitFor("\(relay.name) to hear of the stream") { relay.knows(stream) }
            _ = try copyAndFrameMD5(try relay.nodectl(["watch", stream, "--wait", "30"]), in: scratch, name: relay.name)
        }
        let viewer = try DaemonProcess(name: "viewer", in: scratch, bootstrap: [relay1, relay2],
                                       config: Self.paid(deployed, ["fetchAheadSegments": 0, "maxPricePerChunk": 2_000,
                                                                    "paymentThreshold": 4_000, "disconnectThreshold": 12_000]))
        try await Self.fund(deployed, [viewer])
        try waitFor("the viewer to hear of the stream") { viewer.knows(stream) }
        try waitFor("the viewer to link to both relays") {
            let peers = try viewer.client.peers().exchange
            return Set(peers.map(\.address)).isSuperset(of: [relay1.address, relay2.address])
        }
        _ = try viewer.nodectl(["watch", stream, "--wait", "30"])
        for n in 0..<8 {
            let (status, _) = try viewer.get("/hls/\(stream)/\(n).ts")
            #expect(status == 200)
        }
        // Segments are one chunk each here, so one relay serves them all until it is gone.
        try waitFor("a relay paid for the first segments") {
            try Self.spent(by: viewer, to: relay1) + (try Self.spent(by: viewer, to: relay2)) > 0
        }
        let (serving, other) = try Self.spent(by: viewer, to: relay1) > 0 ? (relay1, relay2) : (relay2, relay1)
        func accepted(_ relay: DaemonProcess) throws -> UInt64 {
            try Self.earnings(relay).byPeer[viewer.address]?.earned ?? 0
        }
        try waitFor("\(serving.name) to hold every voucher the viewer signed it") {
            try accepted(serving) == (try Self.spent(by: viewer, to: serving))
        }
        serving.kill()
        let paidToServing = try Self.spent(by: viewer, to: serving), paidToOther = try Self.spent(by: viewer, to: other)
        for n in 8..<20 {
            let (status, _) = try viewer.get("/hls/\(stream)/\(n).ts")
            #expect(status == 200)
        }
        try waitFor("\(other.name) paid for the rest") { try Self.spent(by: viewer, to: other) > paidToOther }
        #expect(try Self.spent(by: viewer, to: serving) == paidToServing, "\(serving.name) is not paid for what it did not serve")
        #expect(try Self.spent(by: viewer, to: creator) == 0, "the creator's price is above the viewer's limit")
        // The killed relay's own book agrees with what the viewer signed it, after a restart.
        try serving.restart()
        #expect(try accepted(serving) == paidToServing, "\(serving.name) keeps every voucher it accepted")
    }

    @Test("A payer that stops paying is cut off at the disconnect threshold")
    func nonPayerIsCutOff() async throws {
        let deployed = try await Localnet.shared.deployProgram()
        let scratch = try Scratch("nonpayer")
        let video = try makeTestVideo(in: scratch, seconds: 20)
        let creator = try DaemonProcess(name: "creator", in: scratch, config: Self.paid(deployed, [
            "pricePerChunk": 1_000, "paymentThreshold": 5_000, "disconnectThreshold": 10_000]))
        let cheat = try DaemonProcess(name: "cheat", in: scratch, bootstrap: [creator],
                                      config: Self.paid(deployed, ["faultNeverPay": true, "fetchAheadSegments": 0,
                                                                   "requestTimeout": 2.0]))
        try await Self.fund(deployed, [creator, cheat])
        let stream = try publish(creator, video, name: "cheat")
        try waitFor("the cheat to hear of the stream") { cheat.knows(stream) }
        _ = try cheat.nodectl(["watch", stream, "--wait", "30"])
        var served = 0
        for n in 0..<20 {
            let (status, _) = try cheat.get("/hls/\(stream)/\(n).ts")
            if status != 200 { break }
            served += 1
        }
        #expect(served < 20, "a payer that never pays must not get the whole stream")
        #expect(creator.counter("peernode_payment_refusals_total") >= 1)
        // Served on credit up to the threshold: 10,000 at 1,000 a chunk (the manifest is one more chunk).
        let chunks = creator.counter("peernode_chunks_served_total")
        #expect(chunks >= 10 && chunks <= 11, "served \(chunks) chunks on credit")
        #expect(cheat.counter("peernode_vouchers_sent_total") == 0)
    }

    @Test("A viewer with no lamports is warned by watch, and its player gets 402 with the reason and the fix")
    func aViewerThatCannotPayIsToldSo() async throws {
        let deployed = try await Localnet.shared.deployProgram()
        let scratch = try Scratch("broke")
        let video = try makeTestVideo(in: scratch)
        let creator = try DaemonProcess(name: "creator", in: scratch, config: Self.paid(deployed, [
            "pricePerChunk": 2_000, "pricePerSecond": 1_000, "paymentThreshold": 2_000, "disconnectThreshold": 4_000]))
        let viewer = try DaemonProcess(name: "viewer", in: scratch, bootstrap: [creator], config: Self.paid(deployed))
        try await Self.fund(deployed, [creator])
        let stream = try publish(creator, video, name: "vod")
        try waitFor("the viewer to hear of \(stream)", timeout: 30) { viewer.knows(stream) }

        let watch = try runProgram(nodectlBinary, ["watch", stream, "--data-dir", viewer.dataDir], timeout: 60)
        #expect(watch.0 == 0, "\(watch.2)")
        #expect(watch.1.contains("/hls/\(stream)/index.m3u8"))
        #expect(watch.2.contains("warning:") && watch.2.contains("nodectl chain airdrop"), "watch says what to do: \(watch.2)")

        // The stream is encrypted: no key without a voucher, so the first
        // segment is refused with why and what to do (402, not 503).
        var refusal: (Int, String)?
        for sequence in 0..<10 where refusal == nil {
            let (status, body) = try viewer.get("/hls/\(stream)/\(sequence).ts")
            if status != 200 { refusal = (status, String(decoding: body, as: UTF8.self)) }
        }
        let (status, text) = try #require(refusal, "a node with no lamports played a whole paid VOD")
        #expect(status == 402, "\(status) \(text)")
        #expect(text.contains("cannot pay") && text.contains("key") && (text.contains("airdrop") || text.contains("fund")), "\(text)")
    }
}
