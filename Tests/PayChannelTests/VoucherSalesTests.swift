import Identity
import Testing
@testable import PayChannel

/// Goods sold against payments (segment keys): the payer records each
/// purchase with the voucher that pays for it, the payee sells an item only
/// while what that payer paid for the purpose covers every item sold to it.
@Suite struct VoucherSalesTests {
    let books = TemporaryBooks()
    let me = KeyPair.generate()
    let alice = KeyPair.generate(), bob = KeyPair.generate()
    let channelA = KeyPair.generate().address, channelB = KeyPair.generate().address
    let seconds = PaymentPurpose.seconds(stream: "s1")

    func terms(_ channel: Address, _ payer: KeyPair) -> ChannelTerms {
        ChannelTerms(channel: channel, opening: 7, payer: payer.address, payee: me.address, deposit: 1_000_000)
    }

    @Test func anItemIsSoldOnlyWhenPaidForAndOnceForGood() throws {
        do {
            let book = try books.book("payee")
            #expect(try book.sell(1, of: seconds, to: alice.address, price: 500) == .unpaid(paid: 0, sold: 0, price: 500))
            #expect(try book.accept(Voucher(channel: channelA, opening: 7, amount: 800, sequence: 1).signed(by: alice),
                                    terms: terms(channelA, alice), purpose: seconds) == 800)
            // Chunk income and another payer's money buy nothing here.
            _ = try book.accept(Voucher(channel: channelB, opening: 7, amount: 5_000, sequence: 1).signed(by: bob),
                                terms: terms(channelB, bob), purpose: seconds)
            #expect(try book.paid(by: alice.address, for: seconds) == 800)
            #expect(try book.paid(by: alice.address, for: .seconds(stream: "s2")) == 0)
            #expect(try book.sell(1, of: seconds, to: alice.address, price: 500) == .sold)
            #expect(try book.sell(1, of: seconds, to: alice.address, price: 500) == .alreadySold)
            #expect(try book.sell(2, of: seconds, to: alice.address, price: 500) == .unpaid(paid: 800, sold: 500, price: 500))
            #expect(try book.sell(2, of: .seconds(stream: "s2"), to: alice.address, price: 1) == .unpaid(paid: 0, sold: 0, price: 1))
            #expect(try book.sold(to: alice.address, for: seconds) == 500)
        }
        // Reopened (a restart): sales and what was paid are still there.
        let book = try books.book("payee")
        #expect(try book.sell(1, of: seconds, to: alice.address, price: 500) == .alreadySold)
        #expect(try book.accept(Voucher(channel: channelA, opening: 7, amount: 1_300, sequence: 2).signed(by: alice),
                                terms: terms(channelA, alice), purpose: seconds) == 500)
        #expect(try book.sell(2, of: seconds, to: alice.address, price: 500) == .sold)
        #expect(try book.sold(to: alice.address, for: seconds) == 1_000)
    }

    @Test func aPurchaseIsRecordedWithItsVoucherAndPaidForOnce() throws {
        do {
            let book = try books.book("payer")
            let voucher = try book.pay(channel: channelA, opening: 7, adding: 400, deposit: 10_000, payer: alice,
                                       purpose: seconds, item: 42)
            let recorded = try #require(try book.purchase(seconds, item: 42))
            #expect(recorded.voucher == voucher.voucher && recorded.price == 400 && recorded.goods == nil)
            // A second payment for the same item is refused and moves nothing.
            #expect(throws: VoucherError.alreadyBought(item: 42)) {
                try book.pay(channel: channelA, opening: 7, adding: 400, deposit: 10_000, payer: alice, purpose: seconds, item: 42)
            }
            #expect(try book.spent(seconds) == 400)
            #expect(try book.sentTotal(channel: channelA) == 400)
            try book.completePurchase(seconds, item: 42, goods: [1, 2, 3])
            try book.completePurchase(seconds, item: 42, goods: [9, 9, 9])   // the first goods stay
            #expect(try book.purchase(.seconds(stream: "s2"), item: 42) == nil)
        }
        let book = try books.book("payer")
        #expect(try book.purchase(seconds, item: 42)?.goods == [1, 2, 3])
    }

    @Test func aLateVoucherSaysWhatPartOfALaterOnesMoneyWasForAndAKeySellsAgainstIt() throws {
        let book = try books.book("late")
        let a = terms(channelA, alice)
        #expect(try book.accept(Voucher(channel: channelA, opening: 7, amount: 100, sequence: 1).signed(by: alice),
                                terms: a) == 100)
        // Signed 2 (a key's 300, seconds) then 3 (chunks, 200 more); 3 arrives first.
        let two = Voucher(channel: channelA, opening: 7, amount: 400, sequence: 2).signed(by: alice)
        let three = Voucher(channel: channelA, opening: 7, amount: 600, sequence: 3).signed(by: alice)
        #expect(try book.accept(three, terms: a, purpose: .chunks) == 500)
        #expect(try book.paid(by: alice.address, for: seconds) == 0)
        #expect(throws: VoucherError.notIncreasing(amount: 400, last: 600)) { try book.accept(two, terms: a, purpose: seconds) }
        #expect(try book.attributeLate(two, terms: a, purpose: seconds) == .init(amount: 300, from: .chunks))
        #expect(try book.attributeLate(two, terms: a, purpose: seconds) == nil, "booked once")
        #expect(try book.paid(by: alice.address, for: seconds) == 300)
        #expect(try book.paid(by: alice.address, for: .chunks) == 300)
        #expect(try book.sell(9, of: seconds, to: alice.address, price: 300) == .sold)
        let report = try book.earnings()
        #expect(report.seconds.earned == 300 && report.chunks.earned == 300 && report.totals.earned == 600)
        // A forged or foreign voucher moves nothing.
        let forged = Voucher(channel: channelA, opening: 7, amount: 500, sequence: 2).signed(by: bob)
        #expect(try book.attributeLate(forged, terms: a, purpose: .tip(stream: "s1")) == nil)
    }

    @Test func aKeyVoucherThatOvertookChunkVouchersPaysForTheKeyOnly() throws {
        let book = try books.book("overtaken")
        let a = terms(channelA, alice)
        _ = try book.accept(Voucher(channel: channelA, opening: 7, amount: 100, sequence: 1).signed(by: alice), terms: a)
        // 2 and 3 paid for chunks (700) and never arrived; 4 pays a key of 300.
        let four = Voucher(channel: channelA, opening: 7, amount: 1_100, sequence: 4).signed(by: alice)
        let taken = try book.accept(four, terms: a, purpose: seconds, expected: 300)
        #expect(taken.added == 1_000 && taken.asChunks == 700)
        #expect(try book.paid(by: alice.address, for: seconds) == 300)
        #expect(try book.paid(by: alice.address, for: .chunks) == 800)
        #expect(try book.sell(1, of: seconds, to: alice.address, price: 300) == .sold)
        #expect(try book.sell(2, of: seconds, to: alice.address, price: 300) == .unpaid(paid: 300, sold: 300, price: 300))
        // One of them arriving late moves nothing: its money is booked as chunks already.
        let three = Voucher(channel: channelA, opening: 7, amount: 800, sequence: 3).signed(by: alice)
        #expect(try book.attributeLate(three, terms: a, purpose: .chunks) == nil)
        #expect(try book.paid(by: alice.address, for: seconds) == 300)
        let report = try book.earnings()
        #expect(report.seconds.earned == 300 && report.chunks.earned == 800)
    }
}
