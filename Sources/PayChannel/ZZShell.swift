// TEMPORARY compile shell for the helper's API; never committed.
import Identity
import ContentStore
public enum PaymentPurpose: Sendable, Hashable, Codable {
    case chunks; case seconds(stream: String); case tip(stream: String)
    public func encoded() -> [UInt8] { [] }
    public init(decoding bytes: ArraySlice<UInt8>) throws(VoucherError) { self = .chunks }
    public var stream: String? { nil }
}
public struct PaymentConfig: Sendable, Equatable, Codable {
    public var channelDeposit: UInt64 = 50_000_000
    public var channelLifetime: Int64 = 7 * 86400
    public var topUpAmount: UInt64 = 50_000_000
    public var renewMargin: Int64 = 86400
    public var claimInterval: Double = 5
    public var accounting = AccountingConfig()
    public init() {}
    public func validated() throws(PaymentError) -> PaymentConfig { self }
    enum CodingKeys: CodingKey { case a }
    public func encode(to encoder: any Encoder) throws {}
    public init(from decoder: any Decoder) throws {}
}
public enum PaymentError: Error, Equatable, CustomStringConvertible { case x(String); public var description: String { "" } }
public struct Figures: Codable, Sendable, Equatable { public var earned: UInt64; public var claimed: UInt64; public var pending: UInt64 }
public struct IncomingChannel: Codable, Sendable, Equatable {}
public struct EarningsReport: Codable, Sendable, Equatable {
    public var totals: Figures; public var byPeer: [String: Figures]; public var byStream: [String: Figures]; public var chunks: Figures; public var channels: [IncomingChannel]
}
public struct OutgoingChannel: Codable, Sendable {}
public struct Claim: Codable, Sendable {}
extension VoucherBook {
    public func spent(_ purpose: PaymentPurpose) throws(VoucherError) -> UInt64 { 0 }
    public func spentByStream() throws(VoucherError) -> [String: UInt64] { [:] }
}
public actor ChannelManager {
    public init(identity: KeyPair, client: ChannelClient, book: VoucherBook, environment: LMDBEnvironment, config: PaymentConfig) {}
    public func pay(_ payee: Address, amount: UInt64, purpose: PaymentPurpose) async throws(PaymentError) -> SignedVoucher { fatalError() }
    public func channels() async -> [OutgoingChannel] { [] }
    public func lastVoucher(to payee: Address) -> SignedVoucher? { nil }
}
public actor PaymentCollector {
    public init(identity: KeyPair, client: ChannelClient, book: VoucherBook, config: PaymentConfig) {}
    public func accept(_ voucher: SignedVoucher, from peer: Address, purpose: PaymentPurpose) async throws(PaymentError) -> UInt64 { 0 }
    public func settleDue() async -> [Claim] { [] }
    public func settleAll() async -> [Claim] { [] }
    public func earnings() async -> EarningsReport { fatalError() }
}
