import Identity
import PayChannel

/// The money path as the chunk exchange sees it; `NodePayments` implements
/// it. The exchange stays a retrieval protocol: it asks whom it may use and
/// at what price, hands over vouchers that ride with its requests, and asks
/// before serving a peer whether that peer's debt allows it.
public protocol ExchangePayments: Sendable {
    // Payer side: we fetch.

    /// Whether we may ask `peer` for chunks at `price` (within our limits, and
    /// we can pay it at all).
    func mayUse(_ peer: Address, price: UInt64) -> Bool
    /// A voucher due to `peer`, taken to ride with the next request to it.
    func takeVoucher(for peer: Address) -> SignedVoucher?
    /// A verified chunk arrived from `peer`, which charges `price` for it.
    func received(from peer: Address, price: UInt64)
    /// `peer` refused to serve until we pay: it says we owe `owed`.
    func refused(by peer: Address, owed: UInt64)
    /// Why our last payment to `peer` failed (with what to do), nil when it did not.
    func paymentProblem(with peer: Address) -> String?

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
