import Identity
import Testing
@testable import PayChannel

@Suite struct VoucherEarningsTests {
    let books = TemporaryBooks()
    let me = KeyPair.generate()
    let alice = KeyPair.generate(), bob = KeyPair.generate()
    let channelA = KeyPair.generate().address, channelB = KeyPair.generate().address

    func terms(_ channel: Address, _ payer: KeyPair) -> ChannelTerms {
        ChannelTerms(channel: channel, opening: 7, payer: payer.address, payee: me.address, deposit: 1_000_000)
    }

    @Test func payerSpendingIsKeptPerPurposeAndSurvivesReopening() throws {
        do {
            let book = try books.book("payer")
            _ = try book.pay(channel: channelA, opening: 7, adding: 100, deposit: 10_000, payer: alice)          // chunks by default
            _ = try book.pay(channel: channelA, opening: 7, adding: 50, deposit: 10_000, payer: alice, purpose: .seconds(stream: "s1"))
            _ = try book.pay(channel: channelB, opening: 7, adding: 25, deposit: 10_000, payer: alice, purpose: .tip(stream: "s1"))
            _ = try book.pay(channel: channelB, opening: 7, adding: 10, deposit: 10_000, payer: alice, purpose: .seconds(stream: "s2"))
            // A refused payment changes no total.
            #expect(throws: VoucherError.insufficientDeposit(needed: 20_035, deposit: 10_000)) {
                try book.pay(channel: channelB, opening: 7, adding: 20_000, deposit: 10_000, payer: alice, purpose: .tip(stream: "s2"))
            }
            #expect(throws: VoucherError.streamIdTooLong(bytes: 200, max: 128)) {
                try book.pay(channel: channelB, opening: 7, adding: 1, deposit: 10_000, payer: alice,
                             purpose: .tip(stream: String(repeating: "x", count: 200)))
            }
            #expect(try book.sentTotal(channel: channelB) == 35)
        }
        let book = try books.book("payer")
        #expect(try book.spent(.chunks) == 100)
        #expect(try book.spent(.seconds(stream: "s1")) == 50)
        #expect(try book.spent(.tip(stream: "s1")) == 25)
        #expect(try book.spent(.tip(stream: "s2")) == 0)
        #expect(try book.spentByStream() == ["s1": 75, "s2": 10])
    }

    @Test func earningsAttributeClaimsInVoucherOrderAndSurviveReopening() throws {
        typealias F = EarningsReport.Figures
        do {
            let book = try books.book("payee")
            let a = terms(channelA, alice), b = terms(channelB, bob)
            #expect(try book.accept(Voucher(channel: channelA, opening: 7, amount: 300, sequence: 1).signed(by: alice), terms: a) == 300)
            let v2 = Voucher(channel: channelA, opening: 7, amount: 700, sequence: 2).signed(by: alice)
            #expect(try book.accept(v2, terms: a, purpose: .seconds(stream: "s1")) == 400)
            #expect(try book.accept(v2, terms: a, purpose: .seconds(stream: "s1")) == 0)   // a resend logs nothing
            #expect(try book.accept(Voucher(channel: channelA, opening: 7, amount: 1000, sequence: 3).signed(by: alice), terms: a,
                                    purpose: .tip(stream: "s1")) == 300)
            #expect(try book.accept(Voucher(channel: channelB, opening: 7, amount: 500, sequence: 1).signed(by: bob), terms: b,
                                    purpose: .seconds(stream: "s2")) == 500)
            // The chain paid out 500 on A: the first voucher fully, 200 of the second.
            try book.recordClaimed(channel: channelA, amount: 500)
        }
        let book = try books.book("payee")
        let report = try book.earnings()
        #expect(report.totals == F(earned: 1500, claimed: 500))
        #expect(report.totals.pending == 1000)
        #expect(report.chunks == F(earned: 300, claimed: 300))
        #expect(report.seconds == F(earned: 900, claimed: 200))
        #expect(report.tips == F(earned: 300, claimed: 0))
        #expect(report.byStream == ["s1": F(earned: 700, claimed: 200), "s2": F(earned: 500, claimed: 0)])
        #expect(report.byPeer == [alice.address.base58: F(earned: 1000, claimed: 500), bob.address.base58: F(earned: 500, claimed: 0)])
        #expect(report.channels.count == 2)
        #expect(report.channels.first { $0.channel == channelA }
                == .init(channel: channelA, payer: alice.address, amount: 1000, sequence: 3, claimed: 500, pending: 500))

        // Figures read from the chain take the place of the recorded ones; the straddling voucher is split.
        let fresh = try book.earnings(claimedOnChain: [channelA: 850, channelB: 100])
        #expect(fresh.totals == F(earned: 1500, claimed: 950))
        #expect(fresh.byStream == ["s1": F(earned: 700, claimed: 550), "s2": F(earned: 500, claimed: 100)])
        #expect(fresh.tips == F(earned: 300, claimed: 150))
        #expect(try book.earnings().totals.claimed == 500)      // the book itself is unchanged
    }

    @Test func vouchersFromBeforeTheLogCountAsChunkIncome() throws {
        let book = try books.book("legacy")
        let v = Voucher(channel: channelA, opening: 7, amount: 800, sequence: 4).signed(by: alice)
        // As an older version wrote it: the best voucher, no log line.
        try book.writing { txn in
            try txn.put(book.incoming, key: channelA.bytes, value: IncomingRecord(voucher: v, claimed: 300).encoded)
        }
        #expect(try book.accept(Voucher(channel: channelA, opening: 7, amount: 1000, sequence: 5).signed(by: alice),
                                terms: terms(channelA, alice), purpose: .tip(stream: "s")) == 200)
        let report = try book.earnings()
        #expect(report.chunks == .init(earned: 800, claimed: 300))
        #expect(report.tips == .init(earned: 200, claimed: 0))
        #expect(report.totals == .init(earned: 1000, claimed: 300))
    }
}
