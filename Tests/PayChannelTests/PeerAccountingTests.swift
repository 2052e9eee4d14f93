import Identity
import Testing
@testable import PayChannel

@Suite struct PeerAccountingTests {
    let peer = KeyPair.generate().address
    let config = AccountingConfig(paymentThreshold: 1000, disconnectThreshold: 1500)

    @Test func payeeServesOnCreditUntilTheDisconnectThreshold() throws {
        let accounting = try PeerAccounting(config: config)
        for _ in 0..<15 { try accounting.debitForService(peer, price: 100) }
        #expect(accounting.balance(peer) == 1500)
        #expect(accounting.owesPayment(peer))
        #expect(throws: AccountingError.overDisconnectThreshold(peer: peer.base58, debt: 1500, threshold: 1500)) {
            try accounting.debitForService(peer, price: 1)
        }
        #expect(accounting.balance(peer) == 1500)          // the refusal booked nothing
        accounting.creditPayment(from: peer, amount: 1000)
        try accounting.debitForService(peer, price: 100)    // paid: served again
        accounting.refundService(peer, price: 100)
        #expect(accounting.balance(peer) == 500)
    }

    @Test func payerPaysEarlyAtHalfTheThreshold() throws {
        let accounting = try PeerAccounting(config: config)
        var paid: [UInt64] = []
        for _ in 0..<12 {
            if let due = accounting.recordReceived(from: peer, price: 100) {
                paid.append(due)
                accounting.recordPaid(to: peer, amount: due)
            }
        }
        #expect(paid == [500, 500])
        #expect(accounting.debt(to: peer) == 200)
        // The payee's view of the same traffic never reaches its disconnect threshold.
        #expect(config.earlyPaymentAt == 500)
    }

    @Test func badConfigsAreRefusedWithAReason() {
        #expect(throws: AccountingError.self) { try PeerAccounting(config: AccountingConfig(paymentThreshold: 0, disconnectThreshold: 0)) }
        #expect(throws: AccountingError.self) { try PeerAccounting(config: AccountingConfig(paymentThreshold: 10, disconnectThreshold: 5)) }
        #expect(throws: AccountingError.self) {
            try PeerAccounting(config: AccountingConfig(paymentThreshold: 10, disconnectThreshold: 20, earlyPaymentFraction: 1.5))
        }
    }
}
