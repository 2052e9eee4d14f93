import Identity
import PayChannel
import Testing

/// The payee's service against localnet: vouchers checked against their
/// channel on chain. (Expiry and settlement move the clock: ClockMovingTests.)
@Suite(.timeLimit(.minutes(5))) struct PaymentCollectorTests {
    @Test func acceptsRealVouchersAndReadsTheChainAgainAfterATopUp() async throws {
        let s = try await PaymentServices.make()
        let (ch, c) = try await s.collectorOnNewChannel("accept", deposit: 1_000_000)
        let payer = ch.payer.address
        let v1 = ch.voucher(300_000, 1)
        #expect(try await c.accept(v1, from: payer, purpose: .chunks) == 300_000)
        #expect(try await c.accept(v1, from: payer, purpose: .chunks) == 0)          // a resend
        // Topped up behind the collector's back: a voucher past the deposit it saw is checked on chain again.
        try await s.f.client.topUp(payer: ch.payer, channel: ch.address, amount: 500_000)
        let v2 = ch.voucher(1_200_000, 2)
        #expect(try await c.accept(v2, from: payer, purpose: .tip(stream: "s")) == 900_000)
        await #expect(throws: PaymentError.voucher(.overDeposit(amount: 1_600_000, deposit: 1_500_000))) {
            try await c.accept(ch.voucher(1_600_000, 3),
                               from: payer, purpose: .chunks)
        }
        let report = await c.earnings()
        #expect(report.totals == .init(earned: 1_200_000, claimed: 0))
        #expect(report.byStream == ["s": .init(earned: 900_000, claimed: 0)])
    }

    @Test func refusesOthersChannelsWrongPeersAndForgeries() async throws {
        let s = try await PaymentServices.make()
        let (ch, c) = try await s.collectorOnNewChannel("refuse", deposit: 1_000_000)
        let payer = ch.payer.address
        let good = ch.voucher(100_000, 1)
        #expect(try await c.accept(good, from: payer, purpose: .chunks) == 100_000)

        // A real channel of the same payer that pays someone else.
        let other = try await s.f.openChannel(deposit: 1_000_000, payer: ch.payer)
        let theirs = Voucher(channel: other.address, amount: 1000, sequence: 1).signed(by: ch.payer)
        await #expect(throws: PaymentError.notOurChannel(channel: other.address, payee: other.payee.address)) {
            try await c.accept(theirs, from: payer, purpose: .chunks)
        }

        // A peer that is not the channel's payer: relaying the payer's voucher, or signing one itself.
        let stranger = KeyPair.generate()
        let relayed = ch.voucher(200_000, 2)
        await #expect(throws: PaymentError.wrongPayer(channel: ch.address, payer: payer, peer: stranger.address)) {
            try await c.accept(relayed, from: stranger.address, purpose: .chunks)
        }
        let own = Voucher(channel: ch.address, amount: 200_000, sequence: 2).signed(by: stranger)
        await #expect(throws: PaymentError.wrongPayer(channel: ch.address, payer: payer, peer: stranger.address)) {
            try await c.accept(own, from: stranger.address, purpose: .chunks)
        }

        // Forged: the payer's name, someone else's signature; or a signed amount changed.
        let message = Voucher(channel: ch.address, amount: 900_000, sequence: 2)
        let forged = SignedVoucher(voucher: message, payer: payer, signature: stranger.sign(message.signedBytes))
        await #expect(throws: PaymentError.voucher(.badSignature)) { try await c.accept(forged, from: payer, purpose: .chunks) }
        var tampered = relayed
        tampered.voucher.amount = 900_000
        await #expect(throws: PaymentError.voucher(.badSignature)) { try await c.accept(tampered, from: payer, purpose: .chunks) }

        // No channel at all.
        let nowhere = KeyPair.generate().address
        await #expect(throws: PaymentError.unknownChannel(nowhere)) {
            try await c.accept(Voucher(channel: nowhere, amount: 1, sequence: 1).signed(by: ch.payer), from: payer, purpose: .chunks)
        }
        // A purpose that could not travel.
        await #expect(throws: PaymentError.voucher(.streamIdTooLong(bytes: 129, max: 128))) {
            try await c.accept(relayed, from: payer, purpose: .tip(stream: String(repeating: "x", count: 129)))
        }

        // Nothing of that changed what was accepted.
        #expect(await c.earnings().totals.earned == 100_000)
        #expect(await c.settleAll().map(\.amount) == [100_000])
    }

    @Test func aClaimThatFailsIsReportedAndMadeLater() async throws {
        let s = try await PaymentServices.make()
        let ch = try await s.f.openChannel(deposit: 1_000_000)
        let book = try s.books.book("retry")
        let live = PaymentCollector(identity: ch.payee, client: s.f.client, book: book, config: PaymentConfig())
        let voucher = ch.voucher(40_000, 1)
        #expect(try await live.accept(voucher, from: ch.payer.address, purpose: .chunks) == 40_000)

        // The same book, the chain down: the claim fails, is said, and the voucher stays.
        let down = ChannelClient(rpc: try ChannelFixture.unreachableRPC(), programId: s.f.program.id)
        let cut = PaymentCollector(identity: ch.payee, client: down, book: book, config: PaymentConfig())
        let failed = await cut.settleAll()
        #expect(failed.count == 1 && failed.first?.succeeded == false && failed.first?.amount == 40_000)
        #expect(failed.first?.error?.contains("cannot reach") == true)
        #expect(await cut.earnings().totals == .init(earned: 40_000, claimed: 0))
        #expect(await cut.settleDue().isEmpty)      // not worth the fee, expiry unknown: nothing to report

        // The chain back: the next round makes it.
        let made = await live.settleAll()
        #expect(made.count == 1 && made.first?.succeeded == true && made.first?.amount == 40_000)
        #expect(try await s.f.client.state(ch.address)?.claimed == 40_000)
        #expect(try book.best(channel: ch.address)?.claimed == 40_000)
    }

    @Test func theSettlementLoopClaimsUntilCancelled() async throws {
        let s = try await PaymentServices.make()
        let (ch, c) = try await s.collectorOnNewChannel("loop", deposit: 2_000_000, config: PaymentConfig(claimInterval: 0.05))
        let reported = Reported()
        let loop = Task { await c.runSettlementLoop { await reported.add($0) } }
        let worthIt = 100 * SettlementPolicy.claimFee
        let voucher = ch.voucher(worthIt, 1)
        #expect(try await c.accept(voucher, from: ch.payer.address, purpose: .chunks) == worthIt)
        var polls = 0
        while await reported.claims.isEmpty, polls < 200 {   // at most 10 s
            try await Task.sleep(nanoseconds: 50_000_000)
            polls += 1
        }
        loop.cancel()
        await loop.value
        #expect(await reported.claims.map(\.amount) == [worthIt])
        #expect(try await s.f.client.state(ch.address)?.claimed == worthIt)
    }
}

private actor Reported {
    var claims: [Claim] = []
    func add(_ more: [Claim]) { claims += more }
}
