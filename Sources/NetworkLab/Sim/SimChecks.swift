/// The figures a run ends with, gathered from the players, the nodes' APIs
/// and the chain, and the checks over them (beekeeper style: each check
/// lists both figures, and the run fails when one does not hold). Pure
/// functions of the figures, so each can be tested with figures that do not
/// balance.
struct SimFigures: Codable, Sendable {
    /// What the creator's node lists for a stream, to compare a viewer's playback with.
    struct StreamSegments: Codable, Sendable {
        var stream: String
        var sequences: [UInt64]
    }

    /// One channel as its payer, its payee and the chain describe it.
    struct Channel: Codable, Sendable {
        var channel: String
        var payer: String
        var payee: String
        var spentPerPayer: UInt64
        var acceptedPerPayee: UInt64
        var claimedPerPayee: UInt64
        var claimedOnChain: UInt64
        /// The account's lamports (rent and the deposit not yet claimed).
        var lamportsOnChain: UInt64
        var depositOnChain: UInt64
    }

    /// Where every lamport given to the nodes went.
    struct Lamports: Codable, Sendable {
        var airdropped: UInt64
        /// Each node's balance at the end.
        var balances: [String: UInt64]
        /// What the program's channel accounts hold.
        var inChannels: UInt64
        /// Each node's transaction fees: its claims × the claim fee and its channel opens and top-ups × the signature fee.
        var fees: [String: UInt64]
    }

    /// A channel figure read from a node just before it was killed, and the same figure at the end.
    struct Durable: Codable, Sendable {
        var node: String
        var channel: String
        /// "accepted" (the node is the payee) or "spent" (the payer).
        var side: String
        var beforeKill: UInt64
        var atEnd: UInt64
    }
}

enum SimChecks {
    /// Every viewer that watched to the end played every segment the
    /// creator lists, in order, each with the creator's bytes.
    static func playback(_ players: [SimPlayback], streams: [SimFigures.StreamSegments]) -> [DemoCheck] {
        var checks = DemoChecks()
        let listed = Dictionary(streams.map { ($0.stream, $0.sequences) }, uniquingKeysWith: { a, _ in a })
        for p in players.sorted(by: { $0.viewer < $1.viewer }) {
            let subject = "\(p.viewer) watching \(shortStream(p.stream))"
            if p.wantedEnd {
                checks.holds(subject, "reached the end", p.reachedEnd,
                             p.reachedEnd ? "played to #EXT-X-ENDLIST" : "did not reach the end: \(p.error ?? "no error seen")")
                let expected = listed[p.stream] ?? []
                checks.equal(subject, "played every segment", "segments played", UInt64(p.segments.count),
                             "segments the creator lists", UInt64(expected.count))
                checks.holds(subject, "segments in order", p.segments == expected,
                             p.segments == expected ? "segments \(expected.first ?? 0)...\(expected.last ?? 0) in order"
                                                    : "played \(p.segments), the creator lists \(expected)")
            }
            checks.equal(subject, "the creator's bytes", "bytes played", p.bytes, "the creator's bytes of the same segments",
                         p.creatorBytes)
            checks.holds(subject, "no segment differs", p.mismatched.isEmpty,
                         p.mismatched.isEmpty ? "every segment byte for byte the creator's" : "segments \(p.mismatched) differ from the creator's")
        }
        return checks.all
    }

    /// Per channel, after the final settlement: the payer's spent = the
    /// payee's best voucher, and what the payee says it claimed = the chain.
    static func channels(_ channels: [SimFigures.Channel]) -> [DemoCheck] {
        var checks = DemoChecks()
        for c in channels {
            let subject = "channel \(c.channel.prefix(8)) \(c.payer) → \(c.payee)"
            checks.equal(subject, "spent = accepted", "\(c.payer)'s spent on it", c.spentPerPayer,
                         "\(c.payee)'s best voucher", c.acceptedPerPayee)
            checks.equal(subject, "claimed = chain", "claimed per \(c.payee)", c.claimedPerPayee, "claimed on chain", c.claimedOnChain)
        }
        return checks.all
    }

    /// Lamports are conserved: what was airdropped to the nodes is in their
    /// balances, in the channel accounts, or was paid in fees, to the lamport.
    static func lamports(_ l: SimFigures.Lamports) -> [DemoCheck] {
        var checks = DemoChecks()
        let balances = l.balances.values.reduce(0, +), fees = l.fees.values.reduce(0, +)
        checks.equal("lamports", "conserved", "airdropped to the nodes", l.airdropped,
                     "final balances (\(balances)) + channel accounts (\(l.inChannels)) + fees (\(fees))",
                     balances + l.inChannels + fees)
        return checks.all
    }

    /// No voucher accepted (or signed) before a kill is lost: each figure at the end is at least what it was before.
    static func durability(_ samples: [SimFigures.Durable]) -> [DemoCheck] {
        var checks = DemoChecks()
        for s in samples {
            checks.atMost("\(s.node) channel \(s.channel.prefix(8))", "\(s.side) kept across the kill",
                          "\(s.side) before the kill", s.beforeKill, "\(s.side) at the end", s.atEnd)
        }
        return checks.all
    }

    static func shortStream(_ stream: String) -> String {
        let parts = stream.split(separator: "/")
        guard parts.count == 2 else { return stream }
        return "\(parts[0].prefix(6))…/\(parts[1])"
    }
}
