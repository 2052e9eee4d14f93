/// The payment services' parameters (ChannelManager, PaymentCollector), with
/// their defaults documented once, here. Amounts are lamports, times seconds.
///
/// Decoding (a config file) takes the default for every field left out.
public struct PaymentConfig: Sendable, Equatable, Codable {
    /// Deposit of a newly opened channel (or the first payment, if larger).
    /// Default 50,000,000 (0.05 SOL).
    public var channelDeposit: UInt64 = 50_000_000
    /// A new channel expires this long after it opens; a renewal moves the
    /// expiry this far again. Default 7 days.
    public var channelLifetime: Int64 = 7 * 86_400
    /// A top-up adds at least this much (more when a payment needs more).
    /// Default: `channelDeposit`.
    public var topUpAmount: UInt64 = 50_000_000
    /// The payer extends its channel's expiry by `channelLifetime` once fewer
    /// than this many seconds remain. Default 1 day.
    public var renewMargin: Int64 = 86_400
    /// How often a payee's settlement loop checks its channels, seconds. Default 5.
    public var claimInterval: Double = 5
    /// When a payee claims (the 1% rule: when the amount owed is at least 100
    /// times the claim fee, and anything within an hour of expiry).
    public var settlement = SettlementPolicy()
    /// Credit per peer: payment and disconnect thresholds.
    public var accounting = AccountingConfig()
    /// Which program a payee takes vouchers through: this source tree's
    /// build, final or upgradeable only by a trusted key (ProgramTrust). Not
    /// part of the coded fields: the node's config sets the trusted keys.
    public var programTrust = ProgramTrust()

    public init() {}

    /// `topUpAmount` nil means the same as `channelDeposit`.
    public init(channelDeposit: UInt64 = 50_000_000, channelLifetime: Int64 = 7 * 86_400,
                topUpAmount: UInt64? = nil, renewMargin: Int64 = 86_400, claimInterval: Double = 5,
                settlement: SettlementPolicy = SettlementPolicy(), accounting: AccountingConfig = AccountingConfig()) {
        self.channelDeposit = channelDeposit
        self.channelLifetime = channelLifetime
        self.topUpAmount = topUpAmount ?? channelDeposit
        self.renewMargin = renewMargin
        self.claimInterval = claimInterval
        self.settlement = settlement
        self.accounting = accounting
    }

    /// A config that cannot work, named plainly.
    public func validated() throws(PaymentError) -> PaymentConfig {
        guard channelDeposit > 0 else { throw .badConfig("channelDeposit must be above 0") }
        guard topUpAmount > 0 else { throw .badConfig("topUpAmount must be above 0") }
        guard channelLifetime > 0 else { throw .badConfig("channelLifetime must be above 0 seconds") }
        guard renewMargin >= 0, renewMargin < channelLifetime else {
            throw .badConfig("renewMargin (\(renewMargin) s) must be at least 0 and below channelLifetime (\(channelLifetime) s), or every payment would extend the channel")
        }
        guard claimInterval.isFinite, claimInterval > 0 else {
            throw .badConfig("claimInterval must be a positive number of seconds, got \(claimInterval)")
        }
        _ = try settlement.validated()
        do { _ = try accounting.validated() } catch { throw .badConfig(error.description) }
        return self
    }

    private enum CodingKeys: String, CodingKey {
        case channelDeposit, channelLifetime, topUpAmount, renewMargin, claimInterval, settlement, accounting
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = PaymentConfig()
        let deposit = try c.decodeIfPresent(UInt64.self, forKey: .channelDeposit) ?? d.channelDeposit
        self.init(channelDeposit: deposit,
                  channelLifetime: try c.decodeIfPresent(Int64.self, forKey: .channelLifetime) ?? d.channelLifetime,
                  topUpAmount: try c.decodeIfPresent(UInt64.self, forKey: .topUpAmount),
                  renewMargin: try c.decodeIfPresent(Int64.self, forKey: .renewMargin) ?? d.renewMargin,
                  claimInterval: try c.decodeIfPresent(Double.self, forKey: .claimInterval) ?? d.claimInterval,
                  settlement: try c.decodeIfPresent(SettlementPolicy.self, forKey: .settlement) ?? d.settlement,
                  accounting: try c.decodeIfPresent(AccountingConfig.self, forKey: .accounting) ?? d.accounting)
    }
}
