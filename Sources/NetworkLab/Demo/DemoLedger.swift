import Foundation
import Identity
import PayChannel
import PeerNode
import Solana

/// Reads every figure back, from each node's API (stats, peers, earnings,
/// channels, spending, manifests) and from the chain (balances, channel
/// accounts), and checks each against every other source that states it:
///
/// - per channel: the payer's `spent` = the payee's best voucher, and is
///   what the payer owes by the other figures (chunks it received from the
///   payee × the payee's price, plus, to a creator, the seconds it played ×
///   the price per second and its tip), less at most the payment threshold
///   (chunks are paid in arrears); what either side says was claimed = the
///   channel's `claimed` on chain; the payer's deposit = the chain's;
/// - per node: claimed per /v1/earnings = claimed on chain on the channels
///   paying it (ChannelClient.channels(payee:)); earned = /metrics = chunks +
///   seconds + tips; spent = /metrics = what /v1/spending says was signed
///   (chunks + seconds + tips); claims made = /metrics; balance after −
///   before = claimed − paid into its channels (rent, deposits) − fees;
/// - per stream: the creator's income = segments played × duration × price
///   + tips; each viewer's /v1/spending covers at least its seconds;
/// - tips: what the creator earned from tips = what it acknowledged; the
///   tip line is highlighted (and pinned) with the acknowledged amount;
/// - chunks: every chunk served was received (verified, bad, or late).
struct DemoLedger {
    let settings: DemoSettings
    let nodes: [DemoNode]
    let chain: DemoChain
    let programId: Address

    /// What the demo did, for the figures to be checked against.
    struct Activity {
        var before: [String: UInt64]
        var played: DemoRun.Played
        var playback: [DemoMedia.Playback]
        var streams: [String]
        var tips: [String: NodePayments.TipResult]
        var chat: DemoRun.ChatOutcome?
        var claims: [String: [Claim]]
    }

    /// What one node's API says.
    struct Reading {
        let stats: APIServer.Stats
        let peers: APIServer.Peers
        let earnings: EarningsReport
        let channels: PeerNode.Channels
        let spending: PeerNode.Spending

        func counter(_ c: NodeMetrics.Counter) -> UInt64 { stats.counters[c.rawValue] ?? 0 }
    }

    func summarize(_ activity: Activity) throws -> DemoSummary {
        var readings: [String: Reading] = [:]
        for n in nodes {
            readings[n.name] = Reading(stats: try n.get("/v1/stats"), peers: try n.get("/v1/peers"),
                                       earnings: try n.get("/v1/earnings"), channels: try n.get("/v1/channels"),
                                       spending: try n.get("/v1/spending"))
        }
        guard let creator = nodes.first(where: { $0.role == .creator }) else { throw LabError("internal: no creator") }
        var manifests: [String: StreamManifest] = [:]
        for stream in activity.streams { manifests[stream] = try creator.get("/v1/streams/\(stream)/manifest") }
        let after = Dictionary(uniqueKeysWithValues: zip(nodes.map(\.name), try chain.balances(nodes.map(\.address))))
        let onChain = try chain.channels(program: programId)

        var checks = DemoChecks()
        let owed = secondsOwed(activity.played, manifests: manifests, checks: &checks)
        let channels = channelFigures(onChain, readings: readings, owed: owed, tips: activity.tips, checks: &checks)
        var figures: [DemoNodeFigures] = []
        for n in nodes {
            guard let r = readings[n.name], let b = activity.before[n.name], let a = after[n.name] else { continue }
            figures.append(try nodeFigures(n, r, before: b, after: a, onChain: onChain,
                                           claims: activity.claims[n.name] ?? [], checks: &checks))
        }
        let streams = streamFigures(activity, manifests: manifests, owed: owed, creator: readings[creator.name],
                                    readings: readings, checks: &checks)
        chunkChecks(readings, checks: &checks)
        let chat = activity.chat.map { chatFigures($0, tips: activity.tips, checks: &checks) }
        return DemoSummary(passed: checks.all.allSatisfy(\.passed), seconds: 0, rpcURL: chain.url,
                           programId: programId.base58, workDirectory: "", nodes: figures, channels: channels,
                           streams: streams, chat: chat, playback: playbackFigures(activity.playback, readings),
                           checks: checks.all, kept: nil)
    }

    /// Per viewer and stream: the seconds it played × the price, as the
    /// creator's manifest gives durations and price.
    private func secondsOwed(_ played: DemoRun.Played, manifests: [String: StreamManifest],
                             checks: inout DemoChecks) -> [String: [String: UInt64]] {
        var owed: [String: [String: UInt64]] = [:]
        for (viewer, byStream) in played.sorted(by: { $0.key < $1.key }) {
            for (stream, segments) in byStream.sorted(by: { $0.key < $1.key }) {
                guard let manifest = manifests[stream] else { continue }
                let durations = Dictionary(uniqueKeysWithValues: manifest.segments.map { ($0.sequence, $0.duration) })
                var total: UInt64 = 0
                for sequence in segments {
                    guard let d = durations[sequence] else {
                        checks.holds(stream, "played segments listed", false,
                                     "\(viewer) played segment \(sequence), which the creator's manifest does not list")
                        continue
                    }
                    total += manifest.secondsCost(d)
                }
                owed[viewer, default: [:]][stream] = total
            }
        }
        return owed
    }

    /// Every channel on chain, as the payer's and the payee's APIs describe it.
    private func channelFigures(_ onChain: [DemoChannelOnChain], readings: [String: Reading],
                                owed: [String: [String: UInt64]], tips: [String: NodePayments.TipResult],
                                checks: inout DemoChecks) -> [DemoChannelFigures] {
        let names = Dictionary(uniqueKeysWithValues: nodes.map { ($0.address, $0.name) })
        // Grouped by payee, in the order the nodes start.
        let order = Dictionary(uniqueKeysWithValues: nodes.enumerated().map { ($1.address, $0) })
        let sorted = onChain.sorted {
            (order[$0.state.payee] ?? -1, order[$0.state.payer] ?? -1) < (order[$1.state.payee] ?? -1, order[$1.state.payer] ?? -1)
        }
        var out: [DemoChannelFigures] = []
        for c in sorted {
            let id = c.address.base58
            guard let payer = names[c.state.payer], let payee = names[c.state.payee],
                  let pr = readings[payer], let er = readings[payee] else {
                checks.holds("channel " + id, "between demo nodes", false,
                             "on chain between \(c.state.payer) and \(c.state.payee), not two of the demo's nodes")
                continue
            }
            let subject = "channel \(id.prefix(8)) \(payer) → \(payee)"
            let outgoing = pr.channels.outgoing.first { $0.address == c.address }
            let incoming = er.channels.incoming.first { $0.channel == c.address }
            checks.holds(subject, "listed by the payer", outgoing != nil, "listed in \(payer)'s outgoing channels")
            checks.holds(subject, "listed by the payee", incoming != nil, "listed in \(payee)'s incoming channels")
            let spent = outgoing?.spent ?? 0, accepted = incoming?.amount ?? 0
            checks.equal(subject, "spent = accepted", "\(payer)'s spent on it", spent, "\(payee)'s best voucher", accepted)

            // What the payer owes the payee by everything else we know.
            let link = pr.peers.exchange.first { $0.address == c.state.payee.base58 }
            let chunks = UInt64(link?.chunksReceived ?? 0), price = link?.pricePerChunk ?? 0
            let seconds = nodes.contains { $0.name == payee && $0.role == .creator } ? (owed[payer] ?? [:]).values.reduce(0, +) : 0
            let tipped = nodes.contains { $0.name == payee && $0.role == .creator } ? tips[payer]?.amount ?? 0 : 0
            // Chunks are paid in arrears: at most the payment threshold may be owed still.
            let due = chunks * price + seconds + tipped
            let owedText = "\(chunks) chunks from \(payee) × \(price) + \(seconds) for seconds played + \(tipped) tipped"
            checks.atMost(subject, "spent ≤ received", "\(payer)'s spent on it", spent, owedText, due)
            checks.atMost(subject, "unpaid ≤ payment threshold", owedText, due,
                          "\(payer)'s spent on it + the payment threshold (\(settings.paymentThreshold))",
                          spent + settings.paymentThreshold)

            checks.equal(subject, "payee's claimed = chain", "claimed per \(payee)'s API", incoming?.claimed ?? 0,
                         "claimed on chain", c.state.claimed)
            checks.equal(subject, "payer's claimed = chain", "claimed per \(payer)'s API", outgoing?.claimed ?? 0,
                         "claimed on chain", c.state.claimed)
            checks.equal(subject, "deposit = chain", "\(payer)'s deposit", outgoing?.deposit ?? 0,
                         "deposit on chain", c.state.deposit)
            out.append(DemoChannelFigures(channel: id, payer: payer, payee: payee, depositOnChain: c.state.deposit,
                                          claimedOnChain: c.state.claimed, spentPerPayer: spent, acceptedPerPayee: accepted,
                                          chunks: chunks, pricePerChunk: price, seconds: seconds, tip: tipped))
        }
        // A channel an API lists must be on chain too.
        let known = Set(onChain.map(\.address))
        for (name, r) in readings.sorted(by: { $0.key < $1.key }) {
            for c in r.channels.outgoing where !known.contains(c.address) {
                checks.holds("\(name)'s outgoing channel \(c.address)", "on chain", false, "it is not on chain")
            }
            for c in r.channels.incoming where !known.contains(c.channel) {
                checks.holds("\(name)'s incoming channel \(c.channel)", "on chain", false, "it is not on chain")
            }
        }
        return out
    }

    private func nodeFigures(_ n: DemoNode, _ r: Reading, before: UInt64, after: UInt64, onChain: [DemoChannelOnChain],
                             claims: [Claim], checks: inout DemoChecks) throws -> DemoNodeFigures {
        let e = r.earnings
        let spent = r.channels.outgoing.reduce(0) { $0 + $1.spent }

        // As payee: what the chain says it was paid, through the client the nodes use.
        let claimedOnChain = try chain.channels(program: programId, payee: n.address).reduce(0) { $0 + $1.1.claimed }
        checks.equal(n.name, "claimed = chain", "claimed per /v1/earnings", e.totals.claimed,
                     "claimed on chain on the channels paying it", claimedOnChain)
        checks.equal(n.name, "earned = /metrics", "earned per /v1/earnings", e.totals.earned,
                     "lamports earned per /metrics", r.counter(.lamportsEarned))
        checks.equal(n.name, "earned = chunks + seconds + tips", "earned per /v1/earnings", e.totals.earned,
                     "chunks + seconds + tips", e.chunks.earned + e.seconds.earned + e.tips.earned)
        checks.equal(n.name, "spent = /metrics", "spent per /v1/channels", spent, "lamports paid per /metrics",
                     r.counter(.lamportsPaid))
        checks.equal(n.name, "signed = spent", "signed per /v1/spending (chunks + seconds + tips)", r.spending.signed.total,
                     "spent per /v1/channels", spent)

        // As payer: rent and deposits went into its channels (what a channel
        // holds plus what was claimed from it); one signature per open or
        // top-up (a top-up adds channelDeposit, as NodeConfig sets it).
        let mine = onChain.filter { $0.state.payer == n.address }
        let paidIn = mine.reduce(0) { $0 + $1.lamports + $1.state.claimed }
        let channelTransactions = mine.reduce(0) { total, c in
            total + 1 + (c.state.deposit > settings.channelDeposit ? (c.state.deposit - settings.channelDeposit) / settings.channelDeposit : 0)
        }
        let made = claims.filter(\.succeeded).count
        checks.equal(n.name, "claims = /metrics", "claims answered by POST /v1/claim", UInt64(made), "claims per /metrics",
                     r.counter(.claims))
        let fees = UInt64(made) * SettlementPolicy.claimFee + channelTransactions * WellKnown.lamportsPerSignature
        checks.equal(n.name, "balance change = claimed − into channels − fees", "balance after − before",
                     Int64(after) - Int64(before), "claimed − paid into channels − fees",
                     Int64(claimedOnChain) - Int64(paidIn) - Int64(fees))

        return DemoNodeFigures(
            name: n.name, role: n.role.rawValue, address: n.address.base58, pricePerChunk: n.config.pricePerChunk,
            chunksServed: r.counter(.chunksServed), bytesServed: r.counter(.bytesServed),
            chunksFetched: r.counter(.chunksFetched), bytesFetched: r.counter(.bytesFetched),
            vouchersSent: r.counter(.vouchersSent), vouchersAccepted: r.counter(.vouchersAccepted),
            lamportsPaidPerMetrics: r.counter(.lamportsPaid), lamportsEarnedPerMetrics: r.counter(.lamportsEarned),
            claimsPerMetrics: r.counter(.claims), earned: e.totals.earned, claimed: e.totals.claimed,
            pending: e.totals.pending, earnedForChunks: e.chunks.earned, earnedForSeconds: e.seconds.earned,
            earnedFromTips: e.tips.earned, spent: spent, spentByStream: r.spending.byStream, claims: made,
            balanceBefore: before, balanceAfter: after, claimedOnChain: claimedOnChain, paidIntoChannels: paidIn, fees: fees)
    }

    /// Per stream: what the viewers played and spent, and the creator's income for it.
    private func streamFigures(_ activity: Activity, manifests: [String: StreamManifest], owed: [String: [String: UInt64]],
                               creator: Reading?, readings: [String: Reading], checks: inout DemoChecks) -> [DemoStreamFigures] {
        var out: [DemoStreamFigures] = []
        for stream in activity.streams {
            guard let manifest = manifests[stream] else { continue }
            var playedBy: [String: Int] = [:], spending: [String: UInt64] = [:]
            var expected: UInt64 = 0
            for (viewer, byStream) in activity.played.sorted(by: { $0.key < $1.key }) {
                playedBy[viewer] = byStream[stream]?.count ?? 0
                let seconds = owed[viewer]?[stream] ?? 0
                expected += seconds
                // What the viewer says watching cost: the seconds and the chunk fees while fetching it.
                let spent = readings[viewer]?.spending.byStream[stream] ?? 0
                spending[viewer] = spent
                checks.atMost(stream, "\(viewer)'s spending ≥ its seconds", "seconds \(viewer) played × price", seconds,
                              "\(viewer)'s /v1/spending for it", spent)
            }
            let tipped = activity.tips.values.filter { $0.stream == stream }.reduce(0) { $0 + $1.accepted }
            let income = creator?.earnings.byStream[stream]?.earned ?? 0
            checks.equal(stream, "income = played × price + tips", "the creator's income for it per /v1/earnings", income,
                         "segments played × duration × price per second + tips", expected + tipped)
            out.append(DemoStreamFigures(stream: stream, kind: manifest.kind.rawValue, segments: manifest.segments.count,
                                         duration: manifest.totalDuration, pricePerSecond: manifest.pricePerSecond,
                                         played: playedBy, spending: spending, secondsIncome: income - min(income, tipped),
                                         tips: tipped))
        }
        let tipped = activity.tips.values.reduce(0) { $0 + $1.accepted }
        checks.equal("tips", "earned = acknowledged", "the creator's tips per /v1/earnings", creator?.earnings.tips.earned ?? 0,
                     "acknowledged in the tippers' answers", tipped)
        return out
    }

    /// Every chunk a node sent arrives as a verified one, a bad one, or an
    /// answer that came after its request timed out (dropped as unasked for).
    private func chunkChecks(_ readings: [String: Reading], checks: inout DemoChecks) {
        let total = { (c: NodeMetrics.Counter) in readings.values.reduce(0) { $0 + $1.counter(c) } }
        let served = total(.chunksServed), received = total(.chunksFetched) + total(.badChunks)
        checks.atMost("chunks", "received ≤ served", "chunks fetched or refused as bad by all nodes", received,
                      "chunks served by all nodes", served)
        checks.atMost("chunks", "served ≤ received + late", "chunks served by all nodes", served,
                      "received + answers dropped as late or unasked for", received + total(.malformedFrames))
    }

    /// Time to first segment and stalls over every player; bytes served by role.
    private func playbackFigures(_ playback: [DemoMedia.Playback], _ readings: [String: Reading]) -> DemoPlaybackFigures {
        let firsts = playback.compactMap(\.firstSegmentSeconds).sorted()
        func quantile(_ q: Double) -> Double {
            firsts.isEmpty ? 0 : firsts[min(firsts.count - 1, Int((Double(firsts.count) * q).rounded(.up)) - 1)]
        }
        func served(_ role: DemoRole) -> UInt64 {
            nodes.filter { $0.role == role }.reduce(0) { $0 + (readings[$1.name]?.counter(.bytesServed) ?? 0) }
        }
        return DemoPlaybackFigures(players: playback.count, firstSegmentP50: quantile(0.5), firstSegmentP95: quantile(0.95),
                                   firstSegmentMax: firsts.last ?? 0, stalls: playback.reduce(0) { $0 + $1.stalls },
                                   stallSeconds: playback.reduce(0) { $0 + $1.stallSeconds },
                                   bytesServedByViewers: served(.viewer), bytesServedByRelays: served(.relay),
                                   bytesServedByCreator: served(.creator))
    }

    private func chatFigures(_ chat: DemoRun.ChatOutcome, tips: [String: NodePayments.TipResult],
                             checks: inout DemoChecks) -> DemoChatFigures {
        let authors = Dictionary(uniqueKeysWithValues: nodes.map { ($0.address.base58, $0.name) })
        let pinned = Set(chat.pinned.map { "\($0.author) \($0.time) \($0.text)" })
        let lines = chat.lines.map { l in
            DemoChatFigures.Line(author: authors[l.author] ?? l.author, text: l.text, tip: l.tip,
                                 pinned: pinned.contains("\(l.author) \(l.time) \(l.text)"))
        }
        let tipLine = lines.first { $0.text == chat.tipMessage }
        let acknowledged = tips.values.first { $0.reference != nil }?.accepted ?? 0
        checks.holds("chat", "tip highlighted", tipLine?.tip != nil,
                     "\(tipLine?.author ?? "the tipper")'s tip line is highlighted on \(chat.seenBy)")
        checks.equal("chat", "tip = acknowledged", "the tip on the highlighted line", tipLine?.tip ?? 0,
                     "the tip the creator acknowledged", acknowledged)
        let shouldPin = acknowledged >= settings.tipPinPrice
        checks.holds("chat", shouldPin ? "pinned" : "not pinned", tipLine?.pinned == shouldPin,
                     shouldPin ? "the tip line is pinned (a tip of at least the pin price, \(settings.tipPinPrice))" : "the tip line is not pinned")
        return DemoChatFigures(stream: chat.stream, seenBy: chat.seenBy, lines: lines, tipHighlighted: tipLine?.tip != nil,
                               tipPinned: tipLine?.pinned ?? false)
    }

}
