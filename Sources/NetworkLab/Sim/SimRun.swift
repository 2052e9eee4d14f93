import Foundation
import Identity
import PayChannel
import PeerNode
#if canImport(Glibc)
import Glibc
#endif

/// A scenario from start to report: the demo's chain and daemons (DemoChain,
/// DemoNetwork, DemoMedia) laid out as the plan says, players that watch in
/// real time while the faults happen, the final settlement and claims, then
/// every figure read back and checked (SimChecks).
final class SimRun {
    let name: String
    let plan: SimPlan
    let timeLimit: Double
    let work: String
    let repository: String
    let progress: DemoProgress
    let processes: ProcessGroup
    /// The demo's thresholds, deposits and bounds on waiting; prices and limits come from the scenario.
    let settings = DemoSettings()
    let nodes: SimNodes
    private var configs: [String: NodeConfig] = [:]

    init(name: String, plan: SimPlan, timeLimit: Double, work: String, repository: String,
         progress: DemoProgress, processes: ProcessGroup) {
        self.name = name
        self.plan = plan
        self.timeLimit = timeLimit
        self.work = work
        self.repository = repository
        self.progress = progress
        self.processes = processes
        nodes = SimNodes(order: plan.nodes.map(\.name))
    }

    var logs: String { work + "/logs" }
    func dataDirectory(_ name: String) -> String { work + "/nodes/" + name }

    func run() throws -> SimReport {
        let started = Date()
        for dir in [logs, work + "/nodes"] { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        let programPath = repository + "/programs/out/paychannel.so"
        guard let elf = FileManager.default.contents(atPath: programPath) else {
            throw LabError("cannot read \(programPath); build it with programs/build (./bootstrap does)")
        }
        progress.step("scenario \(name), seed \(plan.seed): \(plan.nodes(.creator).count) creators, \(plan.nodes(.relay).count) relays, \(plan.nodes(.viewer).count) viewers, \(plan.faults.count) faults")

        var videos: [String: Background<String>] = [:]
        for c in plan.nodes(.creator) where c.group.kind == .vod {
            let media = try self.media(c)
            videos[c.name] = Background { try media.makeVOD() }
        }
        if !videos.isEmpty { progress.step("generating \(videos.count) test video(s) with ffmpeg (in the background)") }

        progress.step("starting localnet and deploying the payment-channel program")
        let chain = try DemoChain.start(repository: repository, ledger: work + "/ledger", exitWith: getpid(),
                                        log: logs + "/localnet-start.log")
        let programId = try chain.deploy(elf: Array(elf), deployerLamports: settings.deployerLamports) { _, _ in }

        progress.step("creating \(plan.nodes.count) identities and airdropping \(formatSol(settings.airdropLamports)) to each")
        var addresses: [String: Address] = [:]
        for n in plan.nodes { addresses[n.name] = try DemoNetwork.createIdentity(in: dataDirectory(n.name)).address }
        try chain.airdrop(plan.nodes.compactMap { addresses[$0.name] }, lamports: settings.airdropLamports)

        try startDaemons(programId: programId, rpcURL: chain.url)
        let streams = try publish(videos)
        try waitUntilViewersKnow(streams)

        let t0 = Date()
        progress.step("playing: \(plan.nodes(.viewer).count) viewers join over time; \(plan.faults.count) faults on the timeline")
        let counts = SimLiveCounts()
        let done = DoneFlag()
        let ticker = startTicker(counts: counts, done: done, t0: t0)
        let faults = SimFaults(plan: plan, nodes: nodes, processes: processes, progress: progress, configs: configs,
                               startTimeout: settings.daemonStartTimeout)
        let deadline = t0.addingTimeInterval(timeLimit)
        let faulting = Background { try faults.run(t0: t0, deadline: deadline) }
        let players: [SimPlayback], record: ([SimFaultRecord], [SimFigures.Durable])
        do {
            players = try play(streams: streams, t0: t0, counts: counts)
            record = try faulting.value()
        } catch {
            done.set()
            throw error
        }
        done.set()
        ticker.wait()
        let playSeconds = Date().timeIntervalSince(t0)

        progress.step("settling: waiting until every channel's payer and payee agree")
        // A channel that never agrees is what the channel checks report, with both figures; the run goes on to them.
        do { try settle() } catch { progress.note("\(error); the checks will show which channels disagree") }
        progress.step("the creators and relays claim on chain (POST /v1/claim)")
        for n in nodes.all where n.role != .viewer {
            let _: [Claim] = try n.post("/v1/claim", timeout: settings.apiTimeout)
        }
        progress.step("reading every figure back from the nodes and the chain; checking")
        let gather = SimGather(nodes: nodes, chain: chain, programId: programId, plan: plan,
                               airdrop: settings.airdropLamports, channelDeposit: settings.channelDeposit)
        return try gather.report(name: name, players: players, streams: streams, faults: record,
                                 playSeconds: playSeconds, seconds: Date().timeIntervalSince(started))
    }

    private func media(_ creator: SimPlan.Node) throws -> DemoMedia {
        var s = settings
        s.vodSeconds = creator.group.seconds
        s.liveSeconds = creator.group.seconds
        let folder = work + "/media/" + creator.name
        try FileManager.default.createDirectory(atPath: folder + "/logs", withIntermediateDirectories: true)
        return DemoMedia(work: folder, settings: s)
    }

    /// Group by group in plan order (creators, relays, viewers), each
    /// bootstrapping from the nodes the seed picked; a group's daemons start
    /// at once (a daemon spends most of its start waiting, not computing).
    private func startDaemons(programId: Address, rpcURL: String) throws {
        progress.step("starting \(plan.nodes.count) daemons, a group at a time")
        var groups: [[SimPlan.Node]] = []
        for n in plan.nodes {
            if let last = groups.last?.last, last.group.name == n.group.name { groups[groups.count - 1].append(n) } else { groups.append([n]) }
        }
        for group in groups {
            var jobs: [@Sendable () throws -> Void] = []
            for n in group {
                let c = try config(n, programId: programId, rpcURL: rpcURL)
                configs[n.name] = c
                let (nodes, processes, progress) = (self.nodes, self.processes, self.progress)
                let (directory, log, timeout) = (dataDirectory(n.name), logs + "/\(n.name).log", settings.daemonStartTimeout)
                jobs.append {
                    let node = try DemoNetwork.start(name: n.name, role: Self.demoRole(n.group.role), directory: directory, config: c,
                                                     log: log, processes: processes, timeout: timeout)
                    nodes.add(node)
                    progress.note("\(n.name) up" + (n.bootstrap.isEmpty ? "" : ", bootstrapping from \(n.bootstrap.joined(separator: ", "))"))
                }
            }
            try runConcurrently(jobs)
        }
    }

    static func demoRole(_ role: Scenario.Role) -> DemoRole {
        switch role {
        case .creator: return .creator
        case .relay: return .relay
        case .viewer: return .viewer
        }
    }

    /// config.json for a node: the demo's thresholds and deposits, the group's prices and limits.
    private func config(_ n: SimPlan.Node, programId: Address, rpcURL: String) throws -> NodeConfig {
        let bootstrap = try n.bootstrap.map { try nodes.node($0).gossipPeer }
        var c = settings.config(for: Self.demoRole(n.group.role), programId: programId, rpcURL: rpcURL, bootstrap: bootstrap)
        let g = n.group
        switch g.role {
        case .creator:
            c.pricePerChunk = g.pricePerChunk
            c.pricePerSecond = g.pricePerSecond
            c.quotaBytes = g.quotaBytes
        case .relay:
            c.pricePerChunk = g.pricePerChunk
            c.quotaBytes = g.quotaBytes
        case .viewer:
            c.maxPricePerChunk = g.maxPricePerChunk ?? c.maxPricePerChunk
            c.maxPricePerSecond = g.maxPricePerSecond ?? c.maxPricePerSecond
            c.spendingCapPerStream = g.spendingCap ?? c.spendingCapPerStream
        }
        c.simulatedLatency = g.latency
        c.simulatedUplink = g.uplink
        c.simulatedDownlink = g.downlink
        c.simulatedLoss = g.loss
        return c
    }

    /// Each creator's stream: a VOD published from the generated video, or a live encoder started and published.
    private func publish(_ videos: [String: Background<String>]) throws -> [String: String] {
        var streams: [String: String] = [:]
        for c in plan.nodes(.creator) {
            let creator = try nodes.node(c.name)
            if c.group.kind == .live {
                let folder = work + "/media/\(c.name)/live-hls"
                progress.step("\(c.name): ffmpeg encodes \(c.group.seconds) s live; published with POST /v1/live")
                try media(c).startLiveEncoder(folder: folder, processes: processes)
                let live: APIServer.LiveStarted = try creator.post(
                    "/v1/live", json: APIServer.LiveRequest(hlsDir: folder, title: "\(c.name) live", name: "live"))
                streams[c.name] = live.stream
            } else {
                guard let video = try videos[c.name]?.value() else { continue }
                progress.step("\(c.name): publishing a \(c.group.seconds)-second VOD (POST /v1/publish)")
                let published: PeerNode.Published = try creator.post(
                    "/v1/publish", json: APIServer.PublishRequest(video: video, title: "\(c.name) VOD", name: "vod"),
                    timeout: settings.ffmpegTimeout)
                streams[c.name] = published.stream
            }
        }
        return streams
    }

    private func waitUntilViewersKnow(_ streams: [String: String]) throws {
        progress.step("waiting until every viewer has heard of its stream")
        for v in plan.nodes(.viewer) {
            guard let stream = streams[v.group.stream] else { continue }
            let node = try nodes.node(v.name)
            _ = try waitForValue("\(v.name) to hear of \(stream)", timeout: settings.streamKnownTimeout) { () throws -> Bool? in
                let known: [PeerNode.StreamSummary] = try node.get("/v1/streams")
                return known.contains { $0.stream == stream } ? true : nil
            }
        }
    }

    /// A player per viewer, each on a thread of its own, started at its join time.
    private func play(streams: [String: String], t0: Date, counts: SimLiveCounts) throws -> [SimPlayback] {
        let box = PlaybackBox()
        let deadline = t0.addingTimeInterval(timeLimit)
        let nodes = self.nodes, progress = self.progress
        var copies: [String: DemoMedia.CreatorCopies] = [:]
        for c in plan.nodes(.creator) { copies[c.name] = DemoMedia.CreatorCopies(current: { try nodes.node(c.name) }) }
        var jobs: [@Sendable () throws -> Void] = []
        for v in plan.nodes(.viewer) {
            guard let stream = streams[v.group.stream], let creator = copies[v.group.stream] else { continue }
            jobs.append {
                let wait = t0.addingTimeInterval(v.joinAt).timeIntervalSinceNow
                if wait > 0 { Thread.sleep(forTimeInterval: wait) }
                let p = SimPlayer().play(viewer: v.name, stream: stream, joinAt: v.joinAt, watchSeconds: v.group.watchSeconds,
                                         deadline: deadline, node: { try nodes.node(v.name) }, creator: creator, counts: counts)
                progress.note(String(format: "%@ stopped watching: %d segments, first frame after %@, %d stalls (%.1f s)%@",
                                     v.name, p.segments.count, p.timeToFirstFrame.map { String(format: "%.2f s", $0) } ?? "never",
                                     p.stalls, p.stallSeconds, p.error.map { "; \($0)" } ?? ""))
                box.append(p)
            }
        }
        try runConcurrently(jobs)
        return box.all
    }

    /// A line every 5 s: nodes up, viewers playing, stalls, vouchers accepted.
    private func startTicker(counts: SimLiveCounts, done: DoneFlag, t0: Date) -> DispatchGroup {
        let group = DispatchGroup()
        let nodes = self.nodes, progress = self.progress
        let viewers = plan.nodes(.viewer).count
        group.enter()
        Thread {
            while !done.wait(seconds: 5) {
                var vouchers: UInt64 = 0
                for n in nodes.all {
                    guard let stats: APIServer.Stats = try? n.get("/v1/stats", timeout: 2) else { continue }
                    vouchers += nodes.counter(n.name, NodeMetrics.Counter.vouchersAccepted.rawValue, now: n.counter(.vouchersAccepted, in: stats))
                }
                let c = counts.snapshot
                progress.step(String(format: "t+%.0f s: nodes up %d/%d, viewers playing %d, done %d of %d, stalls %d, vouchers accepted %llu",
                                     Date().timeIntervalSince(t0), nodes.upCount, nodes.count, c.playing, c.done, viewers, c.stalls, vouchers))
            }
            group.leave()
        }.start()
        return group
    }

    /// Waits until every outgoing channel's spent equals its payee's best
    /// voucher and nothing has changed for a while (bounded); the checks then
    /// report any difference that remains.
    private func settle() throws {
        var last: [String: UInt64] = [:]
        var stableSince = Date()
        _ = try waitForValue("every channel's payer and payee to agree", timeout: settings.settleTimeout, interval: 0.5) { () throws -> Bool? in
            var spent: [String: UInt64] = [:], accepted: [String: UInt64] = [:]
            for n in nodes.all {
                let c: PeerNode.Channels = try n.get("/v1/channels", timeout: 10)
                for o in c.outgoing { spent[o.address.base58] = o.spent }
                for i in c.incoming { accepted[i.channel.base58] = i.amount }
            }
            let figures = spent.merging(accepted.map { ("in " + $0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
            if figures != last { last = figures; stableSince = Date() }
            let agree = spent.allSatisfy { accepted[$0.key] == $0.value }
            return agree && Date().timeIntervalSince(stableSince) >= settings.settleQuietSeconds ? true : nil
        }
    }
}

/// Set once when playing is over; the ticker waits on it between lines.
final class DoneFlag: @unchecked Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    func set() { semaphore.signal() }
    /// True once set (and stays set for later waits).
    func wait(seconds: Double) -> Bool {
        guard semaphore.wait(timeout: .now() + seconds) == .success else { return false }
        semaphore.signal()
        return true
    }
}

/// The players' results, appended from their threads; guarded by the lock.
private final class PlaybackBox: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [SimPlayback] = []
    func append(_ p: SimPlayback) { lock.withLock { list.append(p) } }
    var all: [SimPlayback] { lock.withLock { list.sorted { $0.viewer < $1.viewer } } }
}
