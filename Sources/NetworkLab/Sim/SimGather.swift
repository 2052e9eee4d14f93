import Foundation
import Identity
import PayChannel
import PeerNode
import Solana

/// Reads the figures a run ends with from every node's API and from the
/// chain, and runs the checks over them.
struct SimGather {
    let nodes: SimNodes
    let chain: DemoChain
    let programId: Address
    let plan: SimPlan
    let airdrop: UInt64
    /// What a channel is opened with (a top-up adds as much again), to count each payer's channel transactions.
    let channelDeposit: UInt64

    func report(name: String, players: [SimPlayback], streams: [String: String],
                faults: ([SimFaultRecord], [SimFigures.Durable]), playSeconds: Double, seconds: Double) throws -> SimReport {
        let all = nodes.all
        var stats: [String: APIServer.Stats] = [:], channels: [String: PeerNode.Channels] = [:], earnings: [String: EarningsReport] = [:]
        for n in all {
            stats[n.name] = try n.get("/v1/stats")
            channels[n.name] = try n.get("/v1/channels")
            earnings[n.name] = try n.get("/v1/earnings")
        }
        var segments: [SimFigures.StreamSegments] = []
        for (creator, stream) in streams.sorted(by: { $0.key < $1.key }) {
            let manifest: StreamManifest = try nodes.node(creator).get("/v1/streams/\(stream)/manifest")
            segments.append(SimFigures.StreamSegments(stream: stream, sequences: manifest.segments.map(\.sequence)))
        }
        let balances = Dictionary(uniqueKeysWithValues: zip(all.map(\.name), try chain.balances(all.map(\.address))))
        let onChain = try chain.channels(program: programId)
        let names = Dictionary(uniqueKeysWithValues: all.map { ($0.address, $0.name) })

        var channelFigures: [SimFigures.Channel] = []
        for c in onChain {
            let payer = names[c.state.payer] ?? c.state.payer.base58, payee = names[c.state.payee] ?? c.state.payee.base58
            let out = channels[payer]?.outgoing.first { $0.address == c.address }
            let inc = channels[payee]?.incoming.first { $0.channel == c.address }
            channelFigures.append(SimFigures.Channel(channel: c.address.base58, payer: payer, payee: payee,
                                                     spentPerPayer: out?.spent ?? 0, acceptedPerPayee: inc?.amount ?? 0,
                                                     claimedPerPayee: inc?.claimed ?? 0, claimedOnChain: c.state.claimed,
                                                     lamportsOnChain: c.lamports, depositOnChain: c.state.deposit))
        }

        var fees: [String: UInt64] = [:]
        var figures: [SimNodeFigures] = []
        for n in all {
            let s = stats[n.name]
            func counter(_ c: NodeMetrics.Counter) -> UInt64 { nodes.counter(n.name, c.rawValue, now: s.map { n.counter(c, in: $0) } ?? 0) }
            // One signature per channel open or top-up; a claim carries two (SettlementPolicy.claimFee).
            let mine = onChain.filter { $0.state.payer == n.address }
            let channelTransactions = mine.reduce(UInt64(0)) { total, c in
                total + 1 + (c.state.deposit > channelDeposit ? (c.state.deposit - channelDeposit) / channelDeposit : 0)
            }
            let fee = counter(.claims) * SettlementPolicy.claimFee + channelTransactions * WellKnown.lamportsPerSignature
            fees[n.name] = fee
            let e = earnings[n.name]?.totals
            figures.append(SimNodeFigures(
                name: n.name, role: n.role.rawValue, address: n.address.base58,
                restarts: faults.0.filter { $0.node == n.name && $0.action == "kill" }.count,
                chunksServed: counter(.chunksServed), bytesServed: counter(.bytesServed), bytesFetched: counter(.bytesFetched),
                vouchersSent: counter(.vouchersSent), vouchersAccepted: counter(.vouchersAccepted), claims: counter(.claims),
                earned: e?.earned ?? 0, claimed: e?.claimed ?? 0,
                spent: channels[n.name]?.outgoing.reduce(0) { $0 + $1.spent } ?? 0,
                airdropped: airdrop, balanceAfter: balances[n.name] ?? 0, fees: fee,
                usage: ProcessUsage.read(pid: n.pid)))
        }
        let lamports = SimFigures.Lamports(airdropped: airdrop * UInt64(all.count), balances: balances,
                                           inChannels: onChain.reduce(0) { $0 + $1.lamports }, fees: fees)
        let durable = faults.1.map { d -> SimFigures.Durable in
            var d = d
            let c = channels[d.node]
            d.atEnd = d.side == "accepted" ? c?.incoming.first { $0.channel.base58 == d.channel }?.amount ?? 0
                                           : c?.outgoing.first { $0.address.base58 == d.channel }?.spent ?? 0
            return d
        }
        let checks = SimChecks.playback(players, streams: segments) + SimChecks.channels(channelFigures)
            + SimChecks.lamports(lamports) + SimChecks.durability(durable)
        return SimReport(scenario: name, seed: plan.seed, passed: checks.allSatisfy(\.passed), seconds: seconds,
                         playSeconds: playSeconds, nodes: figures, players: players, channels: channelFigures,
                         lamports: lamports, durable: durable, faults: faults.0, checks: checks)
    }
}
