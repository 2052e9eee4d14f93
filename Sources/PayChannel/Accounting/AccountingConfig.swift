/// The money path's parameters, in the manner of Swarm's accounting, with
/// their defaults in one place. Amounts are lamports.
public struct AccountingConfig: Sendable, Equatable, Codable {
    /// Debt a payee lets a peer run up before it expects a voucher. The payer
    /// pays early, at `earlyPaymentFraction` of it, so a voucher normally
    /// arrives long before the payee has to worry.
    public var paymentThreshold: UInt64 = 100_000
    /// Debt past which the payee stops serving the peer until it pays.
    public var disconnectThreshold: UInt64 = 200_000
    /// The payer sends a voucher once its debt reaches this share of the
    /// payment threshold (Swarm pays at half).
    public var earlyPaymentFraction: Double = 0.5

    public init() {}

    public init(paymentThreshold: UInt64, disconnectThreshold: UInt64, earlyPaymentFraction: Double = 0.5) {
        self.paymentThreshold = paymentThreshold
        self.disconnectThreshold = disconnectThreshold
        self.earlyPaymentFraction = earlyPaymentFraction
    }

    /// Missing fields take their defaults.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = AccountingConfig()
        self.init(paymentThreshold: try c.decodeIfPresent(UInt64.self, forKey: .paymentThreshold) ?? d.paymentThreshold,
                  disconnectThreshold: try c.decodeIfPresent(UInt64.self, forKey: .disconnectThreshold) ?? d.disconnectThreshold,
                  earlyPaymentFraction: try c.decodeIfPresent(Double.self, forKey: .earlyPaymentFraction) ?? d.earlyPaymentFraction)
    }

    private enum CodingKeys: String, CodingKey { case paymentThreshold, disconnectThreshold, earlyPaymentFraction }

    /// Debt at which the payer pays.
    public var earlyPaymentAt: UInt64 {
        UInt64((Double(paymentThreshold) * earlyPaymentFraction).rounded(.up))
    }

    /// A config that cannot work (thresholds out of order) named plainly.
    public func validated() throws(AccountingError) -> AccountingConfig {
        guard paymentThreshold > 0 else { throw .badConfig("paymentThreshold must be above 0") }
        guard disconnectThreshold >= paymentThreshold else {
            throw .badConfig("disconnectThreshold (\(disconnectThreshold)) must be at least paymentThreshold (\(paymentThreshold))")
        }
        guard earlyPaymentFraction > 0, earlyPaymentFraction <= 1 else {
            throw .badConfig("earlyPaymentFraction must be in (0, 1], got \(earlyPaymentFraction)")
        }
        return self
    }
}

public enum AccountingError: Error, Equatable, CustomStringConvertible {
    case badConfig(String)
    /// Serving would take the peer's debt past the disconnect threshold.
    case overDisconnectThreshold(peer: String, debt: UInt64, threshold: UInt64)

    public var description: String {
        switch self {
        case .badConfig(let why): return "accounting config: \(why)"
        case .overDisconnectThreshold(let peer, let debt, let threshold):
            return "peer \(peer) owes \(debt) lamports, past the disconnect threshold of \(threshold); it must pay before it is served again"
        }
    }
}
