import Solana
/// When a payee should settle its best voucher on chain (DESIGN.md: when the
/// fee is at most 1% of what the claim brings in, and always before the
/// channel expires, since after expiry the payer may take the rest back).
/// With the default 1%: claim when the amount owed is at least 100 times the
/// claim fee, so 1,000,000 lamports at today's 10,000-lamport claim fee.
public struct SettlementPolicy: Sendable, Equatable, Codable {
    /// Largest fee, as a fraction of the amount a claim brings in. Default 1%.
    public var maxFeeFraction: Double = 0.01
    /// Settle anything unclaimed once expiry is this close, seconds. Default one hour.
    public var expiryMargin: Int64 = 3600

    public init(maxFeeFraction: Double = 0.01, expiryMargin: Int64 = 3600) {
        self.maxFeeFraction = maxFeeFraction
        self.expiryMargin = expiryMargin
    }

    public func validated() throws(PaymentError) -> SettlementPolicy {
        guard maxFeeFraction > 0, maxFeeFraction <= 1 else {
            throw .badConfig("settlement maxFeeFraction must be in (0, 1], got \(maxFeeFraction)")
        }
        guard expiryMargin >= 0 else { throw .badConfig("settlement expiryMargin must be at least 0 seconds") }
        return self
    }

    /// Missing fields take their defaults.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = SettlementPolicy()
        self.init(maxFeeFraction: try c.decodeIfPresent(Double.self, forKey: .maxFeeFraction) ?? d.maxFeeFraction,
                  expiryMargin: try c.decodeIfPresent(Int64.self, forKey: .expiryMargin) ?? d.expiryMargin)
    }

    private enum CodingKeys: String, CodingKey { case maxFeeFraction, expiryMargin }

    /// The fee of one claim transaction: the fee payer's signature and the
    /// voucher signature the Ed25519 precompile verifies.
    public static let claimFee = 2 * WellKnown.lamportsPerSignature

    public enum Decision: Sendable, Equatable {
        case wait
        /// Worth it: the fee is small against the amount.
        case settle
        /// Expiry is near: settle whatever the fee.
        case settleBeforeExpiry
    }

    /// `voucherAmount`: the best voucher's cumulative amount; `claimed`: what
    /// the channel has already paid out (on chain); `now` and `expiry`: unix seconds.
    public func decide(voucherAmount: UInt64, claimed: UInt64, expiry: Int64, now: Int64,
                       fee: UInt64 = SettlementPolicy.claimFee) -> Decision {
        guard voucherAmount > claimed else { return .wait }
        let gain = voucherAmount - claimed
        let (deadline, overflow) = expiry.subtractingReportingOverflow(expiryMargin)
        if overflow || now >= deadline { return .settleBeforeExpiry }
        return Double(fee) <= Double(gain) * maxFeeFraction ? .settle : .wait
    }
}
