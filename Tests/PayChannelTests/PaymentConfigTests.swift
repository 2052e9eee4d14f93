import Foundation
import PayChannel
import Testing

@Suite struct PaymentConfigTests {
    @Test func defaultsAreTheDocumentedOnes() throws {
        let c = try PaymentConfig().validated()
        #expect(c.channelDeposit == 50_000_000 && c.topUpAmount == 50_000_000)
        #expect(c.channelLifetime == 7 * 86_400 && c.renewMargin == 86_400 && c.claimInterval == 5)
        #expect(c.settlement == SettlementPolicy() && c.accounting == AccountingConfig())
        // The top-up follows the deposit unless set.
        #expect(PaymentConfig(channelDeposit: 7_000).topUpAmount == 7_000)
        #expect(PaymentConfig(channelDeposit: 7_000, topUpAmount: 9).topUpAmount == 9)
    }

    @Test func decodingTakesDefaultsForWhatIsLeftOut() throws {
        let json = #"{"channelDeposit": 2000000, "renewMargin": 60, "settlement": {"expiryMargin": 120}, "accounting": {"paymentThreshold": 1000, "disconnectThreshold": 5000}}"#
        let c = try JSONDecoder().decode(PaymentConfig.self, from: Data(json.utf8))
        #expect(c.channelDeposit == 2_000_000 && c.topUpAmount == 2_000_000 && c.renewMargin == 60)
        #expect(c.channelLifetime == 7 * 86_400 && c.claimInterval == 5)
        #expect(c.settlement == SettlementPolicy(maxFeeFraction: 0.01, expiryMargin: 120))
        #expect(c.accounting == AccountingConfig(paymentThreshold: 1000, disconnectThreshold: 5000))
        let again = try JSONDecoder().decode(PaymentConfig.self, from: JSONEncoder().encode(c))
        #expect(again == c)
        #expect(try JSONDecoder().decode(PaymentConfig.self, from: Data("{}".utf8)) == PaymentConfig())
    }

    @Test func badConfigsAreRefusedWithAReason() {
        func refused(_ change: (inout PaymentConfig) -> Void) -> String? {
            var c = PaymentConfig()
            change(&c)
            do { _ = try c.validated(); return nil } catch { return error.description }
        }
        #expect(refused { $0.channelDeposit = 0 }?.contains("channelDeposit") == true)
        #expect(refused { $0.topUpAmount = 0 }?.contains("topUpAmount") == true)
        #expect(refused { $0.renewMargin = $0.channelLifetime }?.contains("renewMargin") == true)
        #expect(refused { $0.claimInterval = 0 }?.contains("claimInterval") == true)
        #expect(refused { $0.claimInterval = .nan }?.contains("claimInterval") == true)
        #expect(refused { $0.settlement.maxFeeFraction = 0 }?.contains("maxFeeFraction") == true)
        #expect(refused { $0.accounting.disconnectThreshold = 1 }?.contains("disconnectThreshold") == true)
        #expect(refused { _ in } == nil)
    }
}
