import Identity

/// What a payee earned, from its earnings log: in total, per paying peer,
/// per stream (per-second and tip income) and per kind, with how much of it
/// was claimed on chain.
///
/// Claims pay a channel's cumulative amount, not single vouchers, so the
/// claimed part is attributed in voucher order: walking a channel's log by
/// sequence, an entry whose cumulative amount is within the claimed amount is
/// claimed in full, the one that straddles it in part, later ones not at all.
public struct EarningsReport: Codable, Sendable, Equatable {
    public struct Figures: Codable, Sendable, Equatable {
        public var earned: UInt64 = 0
        public var claimed: UInt64 = 0
        /// earned − claimed: settled off chain, not yet on chain.
        public var pending: UInt64 = 0

        public init(earned: UInt64 = 0, claimed: UInt64 = 0) {
            self.earned = earned
            self.claimed = claimed
            pending = earned - min(claimed, earned)
        }

        mutating func add(earned more: UInt64, claimed part: UInt64) {
            self = Figures(earned: earned &+ more, claimed: claimed &+ part)
        }
    }

    /// A channel we are paid on: its best voucher and what of it was claimed.
    public struct IncomingChannel: Codable, Sendable, Equatable {
        public var channel: Address
        public var payer: Address
        /// The best voucher's cumulative amount and sequence.
        public var amount: UInt64
        public var sequence: UInt64
        public var claimed: UInt64
        public var pending: UInt64
    }

    public var totals = Figures()
    /// Income for serving chunks.
    public var chunks = Figures()
    /// Per-second income, all streams.
    public var seconds = Figures()
    /// Tips, all streams.
    public var tips = Figures()
    /// Keyed by the payer's base58 address.
    public var byPeer: [String: Figures] = [:]
    /// Per-second and tip income per stream id (chunk income is in `chunks`).
    public var byStream: [String: Figures] = [:]
    /// Sorted by channel address.
    public var channels: [IncomingChannel] = []

    public init() {}

    /// Adds one channel: its best voucher, the claimed amount to attribute
    /// and its log in sequence order. Lamports the log does not explain
    /// (vouchers accepted before the log existed) count as chunk income from
    /// the channel's payer, before the logged ones.
    mutating func add(best: SignedVoucher, claimed: UInt64, log: [EarningsEntry]) {
        let amount = best.voucher.amount
        let claimed = min(claimed, amount)
        channels.append(IncomingChannel(channel: best.voucher.channel, payer: best.payer, amount: amount,
                                        sequence: best.voucher.sequence, claimed: claimed, pending: amount - claimed))
        var entries = log
        let logged = log.reduce(0) { $0 &+ $1.increment }
        if amount > logged {
            entries.insert(EarningsEntry(channel: best.voucher.channel, sequence: 0, increment: amount - logged,
                                         cumulative: amount - logged, payer: best.payer, purpose: .chunks), at: 0)
        }
        for entry in entries {
            let start = entry.cumulative - min(entry.increment, entry.cumulative)
            let part = claimed > start ? min(entry.increment, claimed - start) : 0
            add(entry, claimed: part)
        }
    }

    private mutating func add(_ entry: EarningsEntry, claimed part: UInt64) {
        totals.add(earned: entry.increment, claimed: part)
        byPeer[entry.payer.base58, default: Figures()].add(earned: entry.increment, claimed: part)
        switch entry.purpose {
        case .chunks: chunks.add(earned: entry.increment, claimed: part)
        case .seconds: seconds.add(earned: entry.increment, claimed: part)
        case .tip: tips.add(earned: entry.increment, claimed: part)
        }
        if let stream = entry.purpose.stream {
            byStream[stream, default: Figures()].add(earned: entry.increment, claimed: part)
        }
    }
}
