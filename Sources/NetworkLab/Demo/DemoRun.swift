import Foundation
import Identity
import PayChannel
import PeerNode

/// The demo from start to summary: a local chain with the program, five
/// daemons, a VOD and a live stream, two viewers watching through the
/// relays and chatting and tipping, claims on chain, and every figure read
/// back and cross-checked (DemoLedger).
final class DemoRun {
    let settings: DemoSettings
    let work: String
    let repository: String
    let keep: Bool
    let progress: DemoProgress
    let processes: ProcessGroup

    /// The daemons, once they listen.
    private(set) var nodes: [DemoNode] = []

    init(settings: DemoSettings, work: String, repository: String, keep: Bool, progress: DemoProgress,
         processes: ProcessGroup) {
        self.settings = settings
        self.work = work
        self.repository = repository
        self.keep = keep
        self.progress = progress
        self.processes = processes
    }

    var logs: String { work + "/logs" }
    var ledger: String { work + "/ledger" }
    func dataDirectory(_ name: String) -> String { work + "/nodes/" + name }
    func node(_ name: String) throws -> DemoNode {
        guard let n = nodes.first(where: { $0.name == name }) else { throw LabError("internal: no node \(name)") }
        return n
    }

    func run() throws -> DemoSummary {
        let s = settings
        for dir in [logs, work + "/nodes"] { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        let programPath = repository + "/programs/out/paychannel.so"
        guard let elf = FileManager.default.contents(atPath: programPath) else {
            throw LabError("cannot read \(programPath); build it with programs/build (./bootstrap does)")
        }

        progress.step("generating a \(s.vodSeconds)-second 720p test video with ffmpeg (in the background)")
        let media = DemoMedia(work: work, settings: s)
        let vod = Background { try media.makeVOD() }

        progress.step("starting localnet (ledger in \(ledger))")
        let chain = try DemoChain.start(repository: repository, ledger: ledger, exitWith: keep ? nil : getpid(),
                                        log: logs + "/localnet-start.log")
        progress.note("Solana JSON-RPC at \(chain.url)")

        progress.step("deploying the payment-channel program (\(elf.count) bytes) through the upgradeable loader")
        let progressRef = progress
        let programId = try chain.deploy(elf: Array(elf), deployerLamports: s.deployerLamports) { done, total in
            if done == total || done % 25 == 0 { progressRef.note("wrote \(done)/\(total) pieces") }
        }
        progress.note("program id \(programId)")

        let plan: [(String, DemoRole)] = [(DemoSettings.creator, .creator)] + s.relays.map { ($0, .relay) }
            + s.viewers.map { ($0, .viewer) }
        let named = plan.count <= 8 ? plan.map(\.0).joined(separator: ", ") : "\(plan.count) nodes (the creator, \(s.relays.count) relays, \(s.viewers.count) viewers)"
        progress.step("creating identities for \(named) and airdropping \(formatSol(s.airdropLamports)) to each")
        var addresses: [String: Address] = [:]
        for (name, _) in plan {
            addresses[name] = try DemoNetwork.createIdentity(in: dataDirectory(name)).address
        }
        let ordered = plan.compactMap { addresses[$0.0] }
        try chain.airdrop(ordered, lamports: s.airdropLamports)
        let before = Dictionary(uniqueKeysWithValues: zip(plan.map(\.0), try chain.balances(ordered)))

        try startDaemons(plan, programId: programId, chain: chain)

        let creator = try node(DemoSettings.creator)
        var liveStream: String?
        if s.withLive {
            let liveFolder = work + "/live-hls"
            progress.step("live: ffmpeg encodes \(s.liveSeconds) s in real time into \(liveFolder); the creator publishes it (POST /v1/live)")
            try media.startLiveEncoder(folder: liveFolder, processes: processes)
            let live: APIServer.LiveStarted = try creator.post(
                "/v1/live", json: APIServer.LiveRequest(hlsDir: liveFolder, title: "Live test pattern", name: DemoSettings.liveName))
            liveStream = live.stream
        }

        let video = try vod.value()
        progress.step("VOD: the creator cuts \(URL(fileURLWithPath: video).lastPathComponent) into HLS, stores and announces it (POST /v1/publish)")
        let published: PeerNode.Published = try creator.post(
            "/v1/publish", json: APIServer.PublishRequest(video: video, title: "Test pattern", name: DemoSettings.vodName),
            timeout: s.ffmpegTimeout)
        progress.note("\(DemoReport.shortStream(published.stream)): \(published.segments) segments, \(published.duration) s, manifest \(published.manifest)")

        let viewers = try s.viewers.map(node)
        let streams = [published.stream] + (liveStream.map { [$0] } ?? [])
        progress.step("waiting until every viewer has heard of \(streams.count == 1 ? "the stream" : "both streams") (they know only a relay)")
        for viewer in viewers {
            for stream in streams {
                _ = try waitForValue("\(viewer.name) to hear of \(stream)", timeout: s.streamKnownTimeout) { () throws -> Bool? in
                    let known: [PeerNode.StreamSummary] = try viewer.get("/v1/streams")
                    return known.contains { $0.stream == stream } ? true : nil
                }
            }
        }

        progress.step("the viewers watch \(streams.count == 1 ? "the stream" : "both streams") through their own daemons" + (liveStream == nil ? "" : ", and chat"))
        let watching = watch(viewers: viewers, creator: creator, streams: streams, media: media)
        let chatters = Array(viewers.prefix(2))
        let said = try liveStream.map { try chat(viewers: chatters, creator: creator, stream: $0) }
        let (played, playback) = try watching.value()

        progress.step("waiting until every voucher signed for chunks and seconds has been accepted")
        try settle()

        var tipped: ChatOutcome?
        if let liveStream, let said, chatters.count == 2 {
            progress.step("the viewers tip the creator (POST /v1/tip); viewer-1's chat line carries the creator's receipt")
            tipped = try tip(viewers: chatters, stream: liveStream, said: said)
            try settle()
        }

        progress.step("the relays and the creator claim on chain (POST /v1/claim)")
        var claims: [String: [Claim]] = [:]
        for payee in [DemoSettings.creator] + s.relays {
            claims[payee] = try node(payee).post("/v1/claim", timeout: s.apiTimeout)
        }

        progress.step("reading every figure back from the nodes' APIs and the chain; cross-checking")
        let figures = DemoLedger(settings: s, nodes: nodes, chain: chain, programId: programId)
        return try figures.summarize(DemoLedger.Activity(before: before, played: played, playback: playback, streams: streams,
                                                        tips: tipped?.tips ?? [:], chat: tipped, claims: claims))
    }

    /// Creator first, then the relays (bootstrapping to the creator), then
    /// the viewers (each bootstrapping to one relay only).
    private func startDaemons(_ plan: [(String, DemoRole)], programId: Address, chain: DemoChain) throws {
        for role in [DemoRole.creator, .relay, .viewer] {
            let names = plan.filter { $0.1 == role }.map(\.0)
            let many = names.count > 4
            let known = role == .creator ? "" : role == .relay ? " (knowing only the creator)" : " (each knowing only one relay)"
            progress.step("starting " + (many ? "\(names.count) \(role.rawValue)s" : names.joined(separator: ", ")) + known)
            for (index, name) in names.enumerated() {
                let bootstrap = role == .creator ? [] : [try node(role == .relay ? DemoSettings.creator : settings.relay(forViewer: index)).gossipPeer]
                let config = settings.config(for: role, programId: programId, rpcURL: chain.url, bootstrap: bootstrap)
                let node = try DemoNetwork.start(name: name, role: role, directory: dataDirectory(name), config: config,
                                                 log: logs + "/\(name).log", processes: processes,
                                                 timeout: settings.daemonStartTimeout)
                nodes.append(node)
                if !many { progress.note("\(name): API \(node.apiURL), gossip \(node.gossipPeer)") }
            }
        }
    }

    /// Segment numbers each viewer played, per stream.
    typealias Played = [String: [String: [UInt64]]]

    /// Starts a player per viewer and stream, each on a thread of its own;
    /// the creator's copy of each segment is fetched once for all of them.
    private func watch(viewers: [DemoNode], creator: DemoNode, streams: [String],
                       media: DemoMedia) -> Background<(Played, [DemoMedia.Playback])> {
        let box = PlayedBox()
        let progress = self.progress
        let reference = DemoMedia.CreatorCopies(creator: creator)
        let quiet = viewers.count > 4
        var jobs: [@Sendable () throws -> Void] = []
        for viewer in viewers {
            for stream in streams {
                let name = stream.hasSuffix("/" + DemoSettings.liveName) ? DemoSettings.liveName : DemoSettings.vodName
                jobs.append {
                    let playback = try media.play(viewer: viewer, reference: reference, stream: stream, name: name)
                    box.set(viewer.name, stream, playback)
                    let packets = try media.compareFrames(playback, viewer: viewer.name, stream: stream)
                    if !quiet {
                        progress.note("\(viewer.name) played \(DemoReport.shortStream(stream)) to its end: segments \(playback.segments.first ?? 0)...\(playback.segments.last ?? 0), \(packets) packets, the same as the creator's")
                    }
                }
            }
        }
        let total = jobs.count
        return Background { [jobs] in
            try runConcurrently(jobs)
            if quiet { progress.note("\(total) players played to the end, every segment the creator's bytes and frames") }
            return (box.value, box.playbacks)
        }
    }

    struct ChatOutcome: Sendable {
        var stream: String
        /// What each tip answered (viewer name → result).
        var tips: [String: NodePayments.TipResult]
        /// The chat as the other viewer sees it.
        var seenBy: String
        var lines: [PeerNode.ChatLine]
        var pinned: [PeerNode.ChatLine]
        var tipMessage: String
    }

    /// Each viewer says something in the live stream's chat while watching.
    private func chat(viewers: [DemoNode], creator: DemoNode, stream: String) throws -> [String: String] {
        for n in viewers + [creator] { let _: PeerNode.Chat = try n.get("/v1/chat/\(stream)") }  // join the chat topic
        var said: [String: String] = [:]
        for (i, v) in viewers.enumerated() {
            said[v.name] = i == 0 ? "hello from \(v.name)!" : "\(v.name) here, nice pattern"
            let _: APIServer.ChatPosted = try v.post("/v1/chat/\(stream)", json: APIServer.ChatRequest(text: said[v.name] ?? ""))
        }
        progress.note("\(viewers.map(\.name).joined(separator: " and ")) said something in the chat")
        return said
    }

    /// viewer-1 tips with a chat line, viewer-2 without; the tip line must
    /// reach viewer-2 highlighted (and pinned), next to what both said.
    /// The tips go once the seconds watched are paid, so that each tip is a
    /// voucher of its own that the creator acknowledges for the tip alone.
    private func tip(viewers: [DemoNode], stream: String, said: [String: String]) throws -> ChatOutcome {
        let (first, second) = (viewers[0], viewers[1])
        let message = "great stream, have a tip! (\(first.name))"
        let s = settings
        let tip1: NodePayments.TipResult = try first.post(
            "/v1/tip", json: APIServer.TipRequest(stream: stream, amount: s.tipWithMessage, message: message), timeout: s.apiTimeout)
        progress.note("\(first.name) tipped \(tip1.amount) with a chat line; the creator acknowledged \(tip1.accepted)")
        let tip2: NodePayments.TipResult = try second.post(
            "/v1/tip", json: APIServer.TipRequest(stream: stream, amount: s.tipWithoutMessage), timeout: s.apiTimeout)
        progress.note("\(second.name) tipped \(tip2.amount) without a message; the creator acknowledged \(tip2.accepted)")

        let chat = try waitForValue("\(first.name)'s tip line to reach \(second.name) highlighted", timeout: s.chatTimeout) { () throws -> PeerNode.Chat? in
            let chat: PeerNode.Chat = try second.get("/v1/chat/\(stream)")
            let tipped = chat.lines.contains { $0.author == first.address.base58 && $0.text == message && $0.tip != nil }
            let both = viewers.allSatisfy { v in chat.lines.contains { $0.author == v.address.base58 && $0.text == said[v.name] } }
            return tipped && both ? chat : nil
        }
        progress.note("\(second.name) sees \(chat.lines.count) chat lines, the tip highlighted" + (chat.pinned.isEmpty ? "" : " and pinned"))
        return ChatOutcome(stream: stream, tips: [first.name: tip1, second.name: tip2], seenBy: second.name, lines: chat.lines,
                           pinned: chat.pinned, tipMessage: message)
    }

    /// Waits until the money has stopped moving: every lamport promised in a
    /// signed voucher accepted by its payee, and no counter changing for a while.
    private func settle() throws {
        var last: [UInt64] = []
        var stableSince = Date()
        var paid: UInt64 = 0, earned: UInt64 = 0
        do {
            _ = try waitForValue("every voucher to be accepted", timeout: settings.settleTimeout, interval: 0.25) { () throws -> Bool? in
                var figures: [UInt64] = []
                (paid, earned) = (0, 0)
                for n in nodes {
                    let stats: APIServer.Stats = try n.get("/v1/stats")
                    let row = [NodeMetrics.Counter.vouchersSent, .vouchersAccepted, .lamportsPaid, .lamportsEarned, .chunksServed]
                        .map { n.counter($0, in: stats) }
                    figures += row
                    paid += row[2]
                    earned += row[3]
                }
                if figures != last { last = figures; stableSince = Date() }
                return paid == earned && Date().timeIntervalSince(stableSince) >= settings.settleQuietSeconds ? true : nil
            }
        } catch {
            throw LabFailure("\(error): the nodes signed vouchers for \(paid) lamports in all (peernode_lamports_paid_total) but accepted \(earned) (peernode_lamports_earned_total)")
        }
    }
}

/// The players' results, set from their threads; guarded by the lock.
private final class PlayedBox: @unchecked Sendable {
    private let lock = NSLock()
    private var played: DemoRun.Played = [:]
    private var all: [DemoMedia.Playback] = []
    func set(_ viewer: String, _ stream: String, _ playback: DemoMedia.Playback) {
        lock.withLock {
            played[viewer, default: [:]][stream] = playback.segments
            all.append(playback)
        }
    }
    var value: DemoRun.Played { lock.withLock { played } }
    var playbacks: [DemoMedia.Playback] { lock.withLock { all } }
}
