import Identity
import Synchronization

/// Who owes whom, per peer, in the manner of Swarm's SWAP accounting.
///
/// One signed balance per peer: positive means the peer owes us (we served
/// it on credit), negative means we owe it. A payee serves on credit up to
/// the disconnect threshold; a payer pays once its debt reaches the early
/// payment point. Balances are soft state: a crash forgets at most one
/// threshold of unpaid credit; the money itself (vouchers) is in the
/// durable `VoucherBook`.
public final class PeerAccounting: Sendable {
    public let config: AccountingConfig
    private let balances = Mutex<[Address: Int64]>([:])

    public init(config: AccountingConfig = AccountingConfig()) throws(AccountingError) {
        self.config = try config.validated()
    }

    /// The peer's balance: positive, it owes us; negative, we owe it.
    public func balance(_ peer: Address) -> Int64 {
        balances.withLock { $0[peer] ?? 0 }
    }

    // MARK: Payee side: we serve

    /// Books `price` against a peer before we serve it; throws, booking
    /// nothing, when that would take its debt past the disconnect threshold.
    public func debitForService(_ peer: Address, price: UInt64) throws(AccountingError) {
        let refusal: AccountingError? = balances.withLock { all in
            let current = all[peer] ?? 0
            let next = current.addingReportingOverflow(Int64(clamping: price))
            guard !next.overflow, next.partialValue <= Int64(clamping: config.disconnectThreshold) else {
                return .overDisconnectThreshold(peer: peer.base58, debt: UInt64(max(0, current)),
                                                threshold: config.disconnectThreshold)
            }
            all[peer] = next.partialValue
            return nil
        }
        if let refusal { throw refusal }
    }

    /// Gives back a booking when the service did not happen (the transfer failed).
    public func refundService(_ peer: Address, price: UInt64) {
        balances.withLock { $0[peer, default: 0] -= Int64(clamping: price) }
    }

    /// A voucher from the peer was accepted: `amount` new lamports paid.
    public func creditPayment(from peer: Address, amount: UInt64) {
        balances.withLock { $0[peer, default: 0] -= Int64(clamping: amount) }
    }

    /// Money counted as paying for chunks turned out to be for something else
    /// (a late voucher said so, VoucherBook.attributeLate): the peer owes it again.
    public func uncreditPayment(from peer: Address, amount: UInt64) {
        balances.withLock { $0[peer, default: 0] += Int64(clamping: amount) }
    }

    /// Whether the peer is past the payment threshold (worth a reminder).
    public func owesPayment(_ peer: Address) -> Bool {
        balance(peer) >= Int64(clamping: config.paymentThreshold)
    }

    // MARK: Payer side: we are served

    /// Books a chunk received from the peer at its price; returns the amount
    /// to pay now (our whole debt) once it reaches the early payment point.
    public func recordReceived(from peer: Address, price: UInt64) -> UInt64? {
        balances.withLock { all in
            let next = (all[peer] ?? 0) - Int64(clamping: price)
            all[peer] = next
            let debt = next < 0 ? UInt64(-next) : 0
            return debt >= config.earlyPaymentAt ? debt : nil
        }
    }

    /// We sent a voucher paying `amount` to the peer.
    public func recordPaid(to peer: Address, amount: UInt64) {
        balances.withLock { $0[peer, default: 0] += Int64(clamping: amount) }
    }

    /// What we owe the peer now (0 when it owes us).
    public func debt(to peer: Address) -> UInt64 {
        let b = balance(peer)
        return b < 0 ? UInt64(-b) : 0
    }
}
