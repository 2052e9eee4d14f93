import PayChannel
import Testing

@Suite struct SettlementPolicyTests {
    let policy = SettlementPolicy()

    @Test func settlesWhenTheFeeIsAtMostOnePercent() {
        let now: Int64 = 1_000_000, expiry: Int64 = 2_000_000
        #expect(SettlementPolicy.claimFee == 10_000)
        #expect(policy.decide(voucherAmount: 999_999, claimed: 0, expiry: expiry, now: now) == .wait)
        #expect(policy.decide(voucherAmount: 1_000_000, claimed: 0, expiry: expiry, now: now) == .settle)
        #expect(policy.decide(voucherAmount: 1_500_000, claimed: 600_000, expiry: expiry, now: now) == .wait)
        #expect(policy.decide(voucherAmount: 1_600_000, claimed: 600_000, expiry: expiry, now: now) == .settle)
    }

    @Test func settlesAnythingBeforeExpiryAndNothingWhenNothingIsOwed() {
        let expiry: Int64 = 10_000
        #expect(policy.decide(voucherAmount: 1, claimed: 0, expiry: expiry, now: expiry - 3601) == .wait)
        #expect(policy.decide(voucherAmount: 1, claimed: 0, expiry: expiry, now: expiry - 3600) == .settleBeforeExpiry)
        #expect(policy.decide(voucherAmount: 5, claimed: 5, expiry: expiry, now: expiry) == .wait)
        #expect(policy.decide(voucherAmount: 4, claimed: 5, expiry: expiry, now: expiry) == .wait)
        #expect(policy.decide(voucherAmount: 1, claimed: 0, expiry: .min, now: 0) == .settleBeforeExpiry)
    }
}
