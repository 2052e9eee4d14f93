import Identity
import Testing
@testable import PayChannel

@Suite struct VoucherBookTests {
    let books = TemporaryBooks()
    let payer = KeyPair.generate()
    let payee = KeyPair.generate()
    let channel = KeyPair.generate().address
    var terms: ChannelTerms { ChannelTerms(channel: channel, opening: 7, payer: payer.address, payee: payee.address, deposit: 10_000) }

    func book(_ name: String) throws -> VoucherBook { try books.book(name) }

    @Test func payerVouchersAreCumulativeAndSurviveReopening() throws {
        do {
            let book = try book("payer")
            let first = try book.pay(channel: channel, opening: 7, adding: 300, deposit: 10_000, payer: payer)
            let second = try book.pay(channel: channel, opening: 7, adding: 200, deposit: 10_000, payer: payer)
            #expect(first.voucher == Voucher(channel: channel, opening: 7, amount: 300, sequence: 1))
            #expect(second.voucher == Voucher(channel: channel, opening: 7, amount: 500, sequence: 2))
            #expect(second.isValid)
        }
        // A new process continues from the recorded state: never the same money twice.
        let reopened = try book("payer")
        #expect(try reopened.lastSent(channel: channel, payer: payer)?.voucher.amount == 500)
        #expect(try reopened.pay(channel: channel, opening: 7, adding: 1, deposit: 10_000, payer: payer).voucher
                == Voucher(channel: channel, opening: 7, amount: 501, sequence: 3))
        #expect(throws: VoucherError.insufficientDeposit(needed: 10_001, deposit: 10_000)) {
            try reopened.pay(channel: channel, opening: 7, adding: 9_500, deposit: 10_000, payer: payer)
        }
        #expect(throws: VoucherError.nothingToPay) { try reopened.pay(channel: channel, opening: 7, adding: 0, deposit: 10_000, payer: payer) }
    }

    @Test func payeeAcceptsOnlyGrowingValidVouchersDurably() throws {
        let payee = try book("payee")
        let v1 = Voucher(channel: channel, opening: 7, amount: 300, sequence: 1).signed(by: payer)
        let v2 = Voucher(channel: channel, opening: 7, amount: 700, sequence: 2).signed(by: payer)
        #expect(try payee.accept(v1, terms: terms) == 300)
        #expect(try payee.accept(v2, terms: terms) == 400)
        #expect(try payee.accept(v2, terms: terms) == 0)                        // a resend counts nothing
        #expect(throws: VoucherError.notIncreasing(amount: 300, last: 700)) { try payee.accept(v1, terms: terms) }
        let sameAmountHigherSeq = Voucher(channel: channel, opening: 7, amount: 700, sequence: 9).signed(by: payer)
        #expect(throws: VoucherError.notIncreasing(amount: 700, last: 700)) { try payee.accept(sameAmountHigherSeq, terms: terms) }
        let lowerSeq = Voucher(channel: channel, opening: 7, amount: 800, sequence: 2).signed(by: payer)
        #expect(throws: VoucherError.sequenceNotIncreasing(sequence: 2, last: 2)) { try payee.accept(lowerSeq, terms: terms) }
        #expect(throws: VoucherError.overDeposit(amount: 10_001, deposit: 10_000)) {
            try payee.accept(Voucher(channel: channel, opening: 7, amount: 10_001, sequence: 3).signed(by: payer), terms: terms)
        }
        let stranger = KeyPair.generate()
        let forged = Voucher(channel: channel, opening: 7, amount: 900, sequence: 3).signed(by: stranger)
        #expect(throws: VoucherError.wrongPayer(expected: payer.address, got: stranger.address)) { try payee.accept(forged, terms: terms) }
        var tampered = Voucher(channel: channel, opening: 7, amount: 900, sequence: 3).signed(by: payer)
        tampered.voucher.amount = 9_000
        #expect(throws: VoucherError.badSignature) { try payee.accept(tampered, terms: terms) }
        let other = KeyPair.generate().address
        #expect(throws: VoucherError.self) {
            try payee.accept(Voucher(channel: other, opening: 7, amount: 900, sequence: 3).signed(by: payer), terms: terms)
        }
        // Nothing the bad ones did changed the best voucher.
        #expect(try payee.best(channel: channel)?.voucher == v2)
        try payee.recordClaimed(channel: channel, amount: 700)
        #expect(try payee.best(channel: channel)?.claimed == 700)
        #expect(try payee.incomingChannels().count == 1)
        #expect(throws: VoucherError.unknownChannel(other)) { try payee.recordClaimed(channel: other, amount: 1) }
    }

    @Test func acceptedVouchersSurviveReopening() throws {
        let v = Voucher(channel: channel, opening: 7, amount: 1234, sequence: 4).signed(by: payer)
        do { _ = try book("payee2").accept(v, terms: terms) }
        #expect(try book("payee2").best(channel: channel)?.voucher == v)
    }

    /// Vouchers name the channel's opening: the payer's count starts again on
    /// another opening, and the payee refuses one the chain would not pay.
    @Test func vouchersOfAnotherOpeningAreRefused() throws {
        let payerBook = try book("payer-openings")
        _ = try payerBook.pay(channel: channel, opening: 7, adding: 300, deposit: 10_000, payer: payer)
        #expect(try payerBook.sentTotal(channel: channel, opening: 7) == 300)
        #expect(try payerBook.sentTotal(channel: channel, opening: 8) == 0)
        #expect(try payerBook.pay(channel: channel, opening: 8, adding: 50, deposit: 10_000, payer: payer).voucher
                == Voucher(channel: channel, opening: 8, amount: 50, sequence: 1))
        #expect(try payerBook.lastSent(channel: channel, payer: payer)?.voucher.opening == 8)

        let payeeBook = try book("payee-openings")
        let held = Voucher(channel: channel, opening: 7, amount: 300, sequence: 1).signed(by: payer)
        #expect(try payeeBook.accept(held, terms: terms) == 300)
        let later = Voucher(channel: channel, opening: 8, amount: 400, sequence: 2).signed(by: payer)
        #expect(throws: VoucherError.wrongOpening(channel: channel, expected: 7, got: 8)) {
            try payeeBook.accept(later, terms: terms)
        }
        var reopened = terms
        reopened.opening = 8
        #expect(throws: VoucherError.channelReopened(channel: channel, held: 7, got: 8)) {
            try payeeBook.accept(later, terms: reopened)
        }
        #expect(try payeeBook.best(channel: channel)?.voucher == held)
    }

    /// Rows written before openings existed read as opening 0 (channels of
    /// version 1 of the program, whose vouchers take the version-1 bytes).
    @Test func rowsFromBeforeOpeningsStillRead() throws {
        let v = Voucher(channel: channel, opening: 0, amount: 1234, sequence: 4).signed(by: payer)
        let row = IncomingRecord(voucher: v, claimed: 34).encoded
        #expect(row.count == IncomingRecord.size)
        #expect(IncomingRecord(Array(row.prefix(IncomingRecord.sizeV1))) == IncomingRecord(voucher: v, claimed: 34))
        #expect(IncomingRecord(Array(row.prefix(IncomingRecord.sizeV1 + 1))) == nil)
        let out = OutgoingRecord(amount: 9, sequence: 2, opening: 0).encoded
        #expect(OutgoingRecord(Array(out.prefix(16))) == OutgoingRecord(amount: 9, sequence: 2, opening: 0))
        #expect(OutgoingRecord(Array(out.prefix(20))) == nil)
        let record = ChannelRegistry.Record(channelId: 5, channel: channel, deposit: 10, expiry: 20, confirmed: true, opening: 77)
        #expect(ChannelRegistry.Record(record.encoded) == record)
        var legacy = record
        legacy.opening = nil
        #expect(ChannelRegistry.Record(Array(record.encoded.prefix(ChannelRegistry.Record.size))) == legacy)
    }
}
