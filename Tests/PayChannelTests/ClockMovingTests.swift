import Identity
import PayChannel
import Solana
import Testing

/// The tests that move localnet's clock (localnet_advanceClock), one at a
/// time: the clock is shared by the whole test process, and one test moving
/// it must not land inside another's "not expired yet" window. Each moves it
/// by seconds, well inside the day other tests' channels live.
@Suite(.serialized, .timeLimit(.minutes(5))) struct ClockMovingTests {
    @Test func payerTakesTheRestBackAfterExpiry() async throws {
        let f = try await ChannelFixture.make()
        let ch = try await f.openChannel(deposit: 800_000, expiresIn: 20)
        let payer0 = try await f.balance(ch.payer.address), payee0 = try await f.balance(ch.payee.address)
        let rent = try await f.channelRent()
        try await f.client.claim(ch.voucher(300_000, 1),
                                 payee: ch.payee.address, feePayer: ch.payee)

        // Before expiry the payer may not close.
        let before = try await f.snapshot(ch.address, [ch.payee.address])
        let early = try await f.rejected([f.program.close(authority: ch.payer.address, channel: ch.address,
                                                          payer: ch.payer.address)], feePayer: ch.payer)
        #expect(early?.channelError == .notExpired)
        #expect(try await f.snapshot(ch.address, [ch.payee.address]) == before)

        try await f.advanceClock(30)
        try await f.client.close(authority: ch.payer, channel: ch.address)
        #expect(try await f.rpc.accountInfo(ch.address) == nil)
        #expect(try await f.balance(ch.payer.address) == payer0 + rent + 500_000 - 2 * ChannelFixture.fee)
        #expect(try await f.balance(ch.payee.address) == payee0 + 300_000 - 2 * ChannelFixture.fee)
    }

    /// Issue 17: while the payee holds its best voucher unclaimed, the payer
    /// signs (claimed + 1, 2^64 - 1) and claims it itself, then waits for
    /// expiry to take the rest back. The payee's node keeps taking vouchers
    /// that are still claimable and claims them in full before the payer closes.
    @Test func aPayerBurningTheSequenceTakesBackOnlyWhatItDidNotSpend() async throws {
        let s = try await PaymentServices.make()
        let f = s.f, fee = ChannelFixture.fee
        let ch = try await f.openChannel(deposit: 1_000_000, expiresIn: 20)
        let c = try s.collector(ch.payee, "burn")
        let payer0 = try await f.balance(ch.payer.address), payee0 = try await f.balance(ch.payee.address)
        let rent = try await f.channelRent()
        #expect(try await c.accept(ch.voucher(300_000, 3), from: ch.payer.address, purpose: .chunks) == 300_000)

        try await f.client.claim(ch.voucher(1, .max), payee: ch.payee.address, feePayer: ch.payer)
        #expect(try #require(try await f.client.state(ch.address)).sequence == .max)
        // Still claimable, so still accepted: a newer voucher after the burn.
        #expect(try await c.accept(ch.voucher(450_000, 4), from: ch.payer.address, purpose: .chunks) == 150_000)
        let claims = await c.settleAll()
        #expect(claims.map(\.amount) == [449_999] && claims.allSatisfy(\.succeeded))

        try await f.advanceClock(30)
        try await f.client.close(authority: ch.payer, channel: ch.address)
        #expect(try await f.balance(ch.payee.address) == payee0 + 450_000 - 2 * fee)
        #expect(try await f.balance(ch.payer.address) == payer0 + rent + 550_000 - 2 * fee - fee)
    }

    /// Time, from the checklist (docs/paychannel-program.md): expiry is read
    /// from the Clock sysvar and moves only later. Before expiry the payer
    /// cannot take the deposit back nor move expiry earlier; after it, no one
    /// but the payer (or the payee) can close, expiry cannot be set back into
    /// the past, and the payee is still paid until the payer closes.
    @Test func timeRulesAroundExpiry() async throws {
        let f = try await ChannelFixture.make(), p = f.program
        let ch = try await f.openChannel(deposit: 600_000, expiresIn: 10)
        let third = try await f.funded(WellKnown.lamportsPerSol)
        let t = ChannelChecklistTests.Scene(f: f, ch: ch, third: third)
        func program(_ code: ChannelProgramError, at index: Int = 0) -> TransactionFailure {
            ChannelChecklistTests.program(code, at: index)
        }
        try await t.refused(by: ch.payer, program(.notExpired),
                            [p.close(authority: ch.payer.address, channel: ch.address, payer: ch.payer.address)])
        try await t.refused(by: ch.payer, program(.expiryNotLater),
                            [p.extend(payer: ch.payer.address, channel: ch.address, expiry: ch.expiry - 5)])

        try await f.advanceClock(15)
        // Not back into the past, even if later than the old expiry.
        try await t.refused(by: ch.payer, program(.expiryInPast),
                            [p.extend(payer: ch.payer.address, channel: ch.address, expiry: ch.expiry + 1)])
        try await t.refused(by: third, program(.unauthorized),
                            [p.close(authority: third.address, channel: ch.address, payer: ch.payer.address)])
        var unsigned = p.close(authority: ch.payer.address, channel: ch.address, payer: ch.payer.address)
        unsigned.accounts[0].isSigner = false
        try await t.refused(by: third, program(.missingSignature), [unsigned])
        let payer0 = try await f.balance(ch.payer.address), payee0 = try await f.balance(ch.payee.address)
        let rent = try await f.channelRent()
        try await f.client.claim(ch.voucher(250_000, 1), payee: ch.payee.address, feePayer: ch.payee)
        try await f.client.close(authority: ch.payer, channel: ch.address)
        #expect(try await f.balance(ch.payee.address) == payee0 + 250_000 - 2 * ChannelFixture.fee)
        #expect(try await f.balance(ch.payer.address) == payer0 + rent + 350_000 - ChannelFixture.fee)
        // A voucher the payee kept past the close is worth nothing now: the address is no channel.
        try await ChannelChecklistTests.refused(f, by: ch.payee, program(.wrongOwner, at: 1), watching: t.watched,
                                                p.claimInstructions(ch.voucher(300_000, 2), payee: ch.payee.address))
    }

    @Test func theChainClockIsTheClockSysvar() async throws {
        let f = try await ChannelFixture.make()
        try await f.advanceClock(1)                  // also brings the sysvar up to date
        let sysvar = try await f.client.now(), localnet = try await f.now()
        #expect(abs(sysvar - localnet) <= 1)
        let ch = try await f.openChannel(deposit: 1000, expiresIn: 600)
        let view = try await f.client.stateAndClock(ch.address)
        let later = try await f.now()
        #expect(view.state?.expiry == ch.expiry && abs(view.now - later) <= 1)
        #expect(try await f.client.stateAndClock(KeyPair.generate().address).state == nil)
    }

    @Test func theManagerExtendsAChannelNearExpiry() async throws {
        let s = try await PaymentServices.make()
        let payer = try await s.f.funded(), payee = KeyPair.generate().address
        // Extend once fewer than 590 of the 600 seconds remain.
        let m = try s.manager(payer, "renew", config: PaymentConfig(channelLifetime: 600, renewMargin: 590))
        let channel = try await m.pay(payee, amount: 1000, purpose: .chunks).voucher.channel
        let opened = try #require(try await s.f.client.state(channel)).expiry
        try await s.f.advanceClock(15)
        let paid = try await m.pay(payee, amount: 1000, purpose: .chunks)
        #expect(paid.voucher == Voucher(channel: channel, opening: try await s.f.opening(channel), amount: 2000, sequence: 2))
        let extended = try #require(try await s.f.client.state(channel)).expiry
        #expect(extended >= opened + 600)
        #expect(await m.channels().first?.expiry == extended)
    }

    @Test func theCollectorRefusesVouchersOnAnExpiredChannel() async throws {
        let s = try await PaymentServices.make()
        let ch = try await s.f.openChannel(deposit: 100_000, expiresIn: 10)
        let c = try s.collector(ch.payee, "expired")
        let v1 = ch.voucher(1000, 1)
        #expect(try await c.accept(v1, from: ch.payer.address, purpose: .chunks) == 1000)
        try await s.f.advanceClock(12)
        let v2 = ch.voucher(2000, 2)
        let error = await #expect(throws: PaymentError.self) { try await c.accept(v2, from: ch.payer.address, purpose: .chunks) }
        guard case .channelExpired(ch.address, ch.expiry, let now)? = error else {
            Issue.record("expected channelExpired, got \(String(describing: error))")
            return
        }
        #expect(now >= ch.expiry)
        // The voucher accepted before expiry is still there, and still claimable (until the payer closes).
        let claims = await c.settleAll()
        #expect(claims.count == 1 && claims.first?.succeeded == true && claims.first?.amount == 1000)
    }

    /// settleDue claims when the gain is at least 100 times the claim fee, and
    /// anything once expiry is near; settleAll claims the rest. Afterwards the
    /// payee's balance grew by exactly the accepted vouchers minus the fees.
    @Test func theCollectorSettlesWhenWorthItOrBeforeExpiryToTheLamport() async throws {
        let s = try await PaymentServices.make()
        let payee = try await s.f.funded(WellKnown.lamportsPerSol)
        let c = try s.collector(payee, "settle")
        let worthIt = 100 * SettlementPolicy.claimFee
        let margin = c.config.settlement.expiryMargin
        // Alice pays for chunks on a long channel; Bob tips on one that expires 12 s past the policy's margin.
        let aliceKey = try await s.f.funded(), bobKey = try await s.f.funded()
        let alice = try s.manager(aliceKey, "alice")
        let bob = try s.manager(bobKey, "bob", config: PaymentConfig(channelDeposit: 1_000_000, channelLifetime: margin + 12,
                                                                       renewMargin: 1))
        let before = try await s.f.balance(payee.address)
        var accepted: UInt64 = 0
        func pay(_ m: ChannelManager, _ key: KeyPair, _ amount: UInt64, _ purpose: PaymentPurpose) async throws -> Address {
            let voucher = try await m.pay(payee.address, amount: amount, purpose: purpose)
            accepted += try await c.accept(voucher, from: key.address, purpose: purpose)
            return voucher.voucher.channel
        }

        let aliceChannel = try await pay(alice, aliceKey, worthIt - 1, .chunks)
        let bobChannel = try await pay(bob, bobKey, 50_000, .tip(stream: "show"))
        #expect(await c.settleDue().isEmpty)                     // 1 lamport short of worth it; Bob's expiry not near
        _ = try await pay(alice, aliceKey, 1, .chunks)
        let worth = await c.settleDue()
        #expect(worth.map(\.channel) == [aliceChannel])
        #expect(worth.first?.amount == worthIt && worth.first?.reason == .worthTheFee && worth.first?.succeeded == true)

        try await s.f.advanceClock(15)                           // Bob's channel is now within the margin
        let expiring = await c.settleDue()
        #expect(expiring.map(\.channel) == [bobChannel])
        #expect(expiring.first?.amount == 50_000 && expiring.first?.reason == .expiresSoon && expiring.first?.succeeded == true)

        _ = try await pay(alice, aliceKey, 300_000, .seconds(stream: "show"))
        #expect(await c.settleDue().isEmpty)
        let requested = await c.settleAll()
        #expect(requested.map(\.amount) == [300_000] && requested.first?.reason == .requested)
        #expect(await c.settleAll().isEmpty)

        let claims = worth + expiring + requested
        #expect(claims.allSatisfy { $0.succeeded })
        #expect(accepted == worthIt + 50_000 + 300_000)
        let after = try await s.f.balance(payee.address)
        #expect(after + UInt64(claims.count) * SettlementPolicy.claimFee == before + accepted)
        #expect(try await s.f.client.state(aliceChannel)?.claimed == worthIt + 300_000)
        #expect(await alice.channels().first?.claimed == worthIt + 300_000)

        let report = await c.earnings(refreshFromChain: true)
        #expect(report.totals == .init(earned: accepted, claimed: accepted))
        #expect(report.chunks == .init(earned: worthIt, claimed: worthIt))
        #expect(report.byStream == ["show": .init(earned: 350_000, claimed: 350_000)])
        #expect(report.byPeer[bobKey.address.base58] == .init(earned: 50_000, claimed: 50_000))
        #expect(await c.earnings() == report)
    }
}
