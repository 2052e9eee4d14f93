import Identity
import PayChannel

/// The money path as the chunk exchange sees it, in the manner of bee's
/// retrieval and accounting: the exchange asks whom it may use, reports what
/// it received and whom it served, and carries the vouchers it is given; it
/// never signs, counts or decides. `NodePayments` implements it and never
/// sees the exchange: the dependency runs one way.
public protocol ExchangeAccounting: Sendable {
    // Payer side: we fetch.

    /// Whether we may ask `peer` for chunks at `price` (within our limits).
    func mayUse(_ peer: Address, price: UInt64) -> Bool
    /// A verified chunk arrived from `peer`, which charges `price` for it,
    /// fetched for `account` (a stream whose spending counts it; nil: none).
    func received(from peer: Address, price: UInt64, for account: String?)
    /// `peer` refused to serve until we pay: it says we owe `owed`.
    func refused(by peer: Address, owed: UInt64)
    /// Why our last payment to `peer` failed (with what to do), nil when it did not.
    func paymentProblem(with peer: Address) -> String?
    /// Vouchers for chunks, as they are signed: the exchange carries each on
    /// its next request to that peer, or sends it on its own soon after
    /// (PaymentOutbox). One stream, read by one exchange.
    var vouchers: AsyncStream<DueVoucher> { get }

    // Payee side: we serve.

    /// A GET arrived from `peer` (nil when it could not be identified): book
    /// its price. nil: serve it; otherwise why not and what is owed. Cheap and
    /// synchronous: it runs for every request.
    func admit(_ peer: Address?) -> PaymentRefusal?
    /// A voucher that rode with a request: record it (durably, checked
    /// against the chain) and credit the peer.
    func credit(_ voucher: SignedVoucher, from peer: Address) async
    /// An admitted GET could not be served after all: give the booking back.
    func notServed(_ peer: Address)
    /// Whether we fetch chunks we lack on behalf of peers (paying for them
    /// ourselves): only when we charge for serving.
    var forwardsForOthers: Bool { get }
    /// A PAY frame from `peer`: record the voucher, answer what was accepted.
    func receive(_ voucher: SignedVoucher, purpose: [UInt8], note: [UInt8], from peer: Address) async -> PaymentAnswer
}

/// Sends a voucher now with a PAY frame (`note`: a tip's or a key request's)
/// and returns the payee's answer; nil when it did not answer, and the
/// voucher then waits to be delivered later. The exchange provides it; the
/// wallet and playback use it without knowing the exchange.
public typealias PaymentSender = @Sendable (_ due: DueVoucher, _ note: [UInt8]) async -> PaymentAnswer?

/// A signed voucher waiting to reach its payee.
public struct DueVoucher: Sendable, Equatable {
    public var peer: Address
    public var voucher: SignedVoucher
    public var purpose: PaymentPurpose
    /// Send it at once (the payee refuses to serve until it arrives).
    public var urgent: Bool

    public init(peer: Address, voucher: SignedVoucher, purpose: PaymentPurpose, urgent: Bool = false) {
        self.peer = peer
        self.voucher = voucher
        self.purpose = purpose
        self.urgent = urgent
    }
}

public struct PaymentRefusal: Sendable, Equatable {
    public var owed: UInt64
    public var reason: String
}

public struct PaymentAnswer: Sendable, Equatable {
    public var accepted: UInt64
    public var receipt: [UInt8]
    public var error: String

    public static func failed(_ why: String) -> PaymentAnswer { PaymentAnswer(accepted: 0, receipt: [], error: why) }
}
