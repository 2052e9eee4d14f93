import Foundation
import Identity
import NetworkLab
import PeerNode
import Testing
import TestSupport

/// Paid streams are encrypted per segment and the creator sells each key
/// against the per-second voucher that pays for it: real daemons on
/// localnet, real ffmpeg, bytes served by a relay and by a fellow viewer.
@Suite(.serialized)
struct EncryptedStreamTests {
    /// The creator charges so much per chunk that viewers (maxPricePerChunk
    /// 1,000) never take chunks from it: their bytes come from the relay or
    /// from each other, their keys from the creator.
    static var creatorConfig: [String: Any] { ["pricePerSecond": 1_000, "pricePerChunk": 5_000] }
    static var viewerConfig: [String: Any] { ["maxPricePerChunk": 1_000] }

    @Test("A paid stream: a freeloader fed by a free fellow viewer gets no playable frame; paying viewers play every frame from a relay and from a fellow viewer")
    func freeloaderGetsNoFramePayersGetEveryFrame() async throws {
        let deployed = try await Localnet.shared.deployProgram()
        let scratch = try Scratch("encrypted")
        let video = try makeTestVideo(in: scratch, seconds: 6)
        let creator = try DaemonProcess(name: "creator", in: scratch, config: PaidTests.paid(deployed, Self.creatorConfig))
        // A relay charges (so it forwards what it lacks), within the viewers' limit.
        let relay = try DaemonProcess(name: "relay", in: scratch, bootstrap: [creator],
                                      config: PaidTests.paid(deployed, ["pricePerChunk": 500]))
        let first = try DaemonProcess(name: "first", in: scratch, bootstrap: [relay],
                                      config: PaidTests.paid(deployed, Self.viewerConfig))
        try await PaidTests.fund(deployed, [creator, relay, first])
        let stream = try creator.nodectl(["publish", video, "--title", "Paid", "--name", "paid", "--json"],
                                         as: PeerNode.Published.self).stream
        let manifest = try creator.client.manifest(stream)
        let segments = manifest.segments
        #expect(manifest.encryption?.method == "AES-128")
        #expect(segments.count >= 4 && segments.allSatisfy { $0.iv?.count == 32 })

        // The creator's own player gets the plaintext (its frames are the reference).
        let original = try copyAndFrameMD5(try creator.nodectl(["watch", stream]), in: scratch, name: "creator")
        #expect(!original.isEmpty)

        // A paying viewer through the relay.
        try waitFor("the first viewer to hear of \(stream)") { first.knows(stream) }
        let firstURL = try first.nodectl(["watch", stream, "--wait", "30"])
        #expect(try copyAndFrameMD5(firstURL, in: scratch, name: "first") == original, "the first viewer's frames differ")
        #expect(relay.counter("peernode_chunks_served_total") > 0)
        #expect(first.counter("peernode_segment_keys_bought_total") >= Double(segments.count))
        #expect(creator.counter("peernode_segment_keys_sold_total") >= Double(segments.count))

        // The relay leaves: a second paying viewer and a freeloader (no
        // lamports) can get bytes only from the first viewer, who serves free.
        relay.stop()
        let second = try DaemonProcess(name: "second", in: scratch, bootstrap: [first],
                                       config: PaidTests.paid(deployed, Self.viewerConfig))
        let freeloader = try DaemonProcess(name: "freeloader", in: scratch, bootstrap: [first],
                                           config: PaidTests.paid(deployed, Self.viewerConfig))
        try await PaidTests.fund(deployed, [second])
        try waitFor("the second viewer to hear of \(stream)") { second.knows(stream) }
        let secondURL = try second.nodectl(["watch", stream, "--wait", "30"])
        #expect(try copyAndFrameMD5(secondURL, in: scratch, name: "second") == original, "the second viewer's frames differ")
        #expect(first.counter("peernode_chunks_served_total") > 0, "the second viewer's bytes came from the first")

        try waitFor("the freeloader to hear of \(stream)") { freeloader.knows(stream) }
        let (status, body) = try freeloader.get("/hls/\(stream)/0.ts")
        #expect(status == 402, "\(status) \(String(decoding: body, as: UTF8.self))")
        // It fetched the ciphertext (free from the first viewer), and it is
        // no video: ffmpeg finds no frame in it.
        freeloader.stop()
        let chunks = segments.first?.chunks.map(\.description) ?? []
        var cipher = Data()
        for (i, cid) in chunks.enumerated() {
            let file = scratch.path + "/cipher-\(i)"
            _ = try nodectl(["block", cid, "--data-dir", freeloader.dataDir, "-o", file])
            cipher.append(try Data(contentsOf: URL(fileURLWithPath: file)))
        }
        #expect(!chunks.isEmpty && !cipher.isEmpty, "the freeloader holds the first segment's ciphertext")
        let cipherPath = scratch.path + "/cipher.ts"
        try cipher.write(to: URL(fileURLWithPath: cipherPath))
        func decodedFrames(_ path: String) throws -> (Int32, Int) {
            let probe = try runProgram("/usr/bin/ffmpeg", ["-hide_banner", "-loglevel", "error", "-i", path,
                                                           "-f", "framemd5", "-"], timeout: 60)
            return (probe.0, probe.1.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }.count)
        }
        let fromCipher = try decodedFrames(cipherPath)
        #expect(fromCipher.0 != 0 || fromCipher.1 == 0, "ffmpeg decoded \(fromCipher.1) frames from the ciphertext")
        #expect(try decodedFrames(scratch.path + "/first.ts").1 > 100, "the same check finds the paying viewer's frames")
        let earnings = try PaidTests.earnings(creator)
        #expect(earnings.byPeer[freeloader.address]?.earned ?? 0 == 0)
    }

    @Test("SIGKILL of the key buyer, then of the key seller: every key is paid once, replays cost nothing, nothing accepted is lost")
    func killedKeyBuyerAndSeller() async throws {
        let deployed = try await Localnet.shared.deployProgram()
        let scratch = try Scratch("keykill")
        let video = try makeTestVideo(in: scratch, seconds: 12)
        let creator = try DaemonProcess(name: "creator", in: scratch, config: PaidTests.paid(deployed, ["pricePerSecond": 1_000]))
        let viewer = try DaemonProcess(name: "viewer", in: scratch, bootstrap: [creator],
                                       config: PaidTests.paid(deployed, ["fetchAheadSegments": 0]))
        try await PaidTests.fund(deployed, [creator, viewer])
        let stream = try creator.nodectl(["publish", video, "--title", "Paid", "--name", "keys", "--json"],
                                         as: PeerNode.Published.self).stream
        let segments = try creator.client.manifest(stream).segments
        let prices = segments.map { max(1, UInt64(($0.duration * 1_000).rounded(.up))) }
        try waitFor("the viewer to hear of \(stream)") { viewer.knows(stream) }
        _ = try viewer.nodectl(["watch", stream, "--wait", "30"])
        func play(_ range: Range<Int>) throws {
            for n in range {
                let (status, body) = try viewer.get("/hls/\(stream)/\(n).ts")
                guard status == 200 else { throw TestFailure("segment \(n): \(status) \(String(decoding: body, as: UTF8.self))") }
            }
        }
        func signedSeconds() throws -> UInt64 {
            try viewer.client.spending().signed.seconds
        }
        func earnedSeconds() throws -> UInt64 {
            try PaidTests.earnings(creator).seconds.earned
        }
        let half = segments.count / 2
        try play(0..<half)
        // The next segment's key is bought while the last one plays.
        let paidAhead = prices[0...half].reduce(0, +)
        try waitFor("the key bought ahead") { try signedSeconds() == paidAhead }
        viewer.kill()
        try viewer.restart()
        try waitFor("the viewer to hear of \(stream) again") { viewer.knows(stream) }
        #expect(try signedSeconds() == paidAhead, "the restarted buyer continues from what it signed")
        try play(0..<half)   // played again: the keys are in its book
        try play(half..<half + 1)
        #expect(try signedSeconds() <= paidAhead + prices[half + 1], "replaying bought segments cost nothing")

        creator.kill()
        try creator.restart()
        try play(half..<segments.count)
        let due = prices.reduce(0, +)
        try waitFor("the creator to accept every key's voucher", timeout: 30) { try earnedSeconds() == due }
        let signed = try signedSeconds()
        #expect(signed == due, "the viewer signed \(signed) for keys worth \(due)")
        #expect(creator.counter("peernode_vouchers_rejected_total") == 0)
    }

    @Test("A paid live stream: a viewer gets every segment's plaintext across a creator restart; the resumed ingest takes no segment twice")
    func paidLiveAcrossACreatorRestart() async throws {
        let deployed = try await Localnet.shared.deployProgram()
        let scratch = try Scratch("paidlive")
        let hls = scratch.path + "/hls"
        try FileManager.default.createDirectory(atPath: hls, withIntermediateDirectories: true)
        let creator = try DaemonProcess(name: "creator", in: scratch, config: PaidTests.paid(deployed, [
            "pricePerSecond": 1_000, "liveWindowSegments": 3, "liveHistorySegments": 30]))
        let viewer = try DaemonProcess(name: "viewer", in: scratch, bootstrap: [creator], config: PaidTests.paid(deployed))
        try await PaidTests.fund(deployed, [creator, viewer])
        let stream = try creator.nodectl(["live", "--title", "Paid live", "--hls-dir", hls, "--name", "show"])
        let encoder = try LiveEncoder(into: hls, seconds: 40)
        defer { encoder.killHard() }
        func newest() -> Int { (try? creator.liveSegment(stream)) ?? -1 }
        try waitFor("5 live segments", timeout: 60) { newest() >= 4 }
        try waitFor("the viewer to hear of \(stream)") { viewer.knows(stream) }
        _ = try viewer.nodectl(["watch", stream, "--wait", "30"])
        var compared = Set<Int>()
        /// Every segment the creator's manifest lists: the viewer's bytes are
        /// the creator's plaintext (the creator's own player decrypts too).
        func compare() throws {
            let segments = try creator.client.manifest(stream).segments
            for sequence in segments.map({ Int($0.sequence) }) where !compared.contains(sequence) {
                let (mine, plain) = try creator.get("/hls/\(stream)/\(sequence).ts")
                var seen: (Int, [UInt8]) = (0, [])
                try waitFor("the viewer's segment \(sequence)", timeout: 30) {
                    seen = try viewer.get("/hls/\(stream)/\(sequence).ts")
                    return seen.0 == 200
                }
                #expect(mine == 200 && seen.1 == plain, "segment \(sequence): the viewer's bytes differ from the creator's plaintext")
                compared.insert(sequence)
            }
        }
        try compare()
        creator.stop()
        try creator.restart()
        let resumed = newest()
        try waitFor("the resumed ingest to take 4 more segments", timeout: 60) { newest() >= resumed + 4 }
        try compare()
        #expect(compared.count >= 8)
        // No plaintext came under two sequence numbers after the restart.
        var digests: [String: Int] = [:]
        let segments = try creator.client.manifest(stream).segments
        for sequence in segments.map({ Int($0.sequence) }) {
            let (_, plain) = try creator.get("/hls/\(stream)/\(sequence).ts")
            let key = plain.prefix(4096).map { String($0) }.joined(separator: ",") + "#\(plain.count)"
            #expect(digests[key] == nil, "segment \(sequence) repeats segment \(digests[key] ?? -1)")
            digests[key] = sequence
        }
        let bought = viewer.counter("peernode_segment_keys_bought_total")
        #expect(bought >= Double(compared.count), "keys bought \(bought) for \(compared.count) segments played")
    }
}
