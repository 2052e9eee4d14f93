import Identity
import NetworkLab
@testable import PayChannel
import Solana
import TestSupport
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
        let theirs = Voucher(channel: other.address, opening: other.opening, amount: 1000, sequence: 1).signed(by: ch.payer)
        await #expect(throws: PaymentError.notOurChannel(channel: other.address, payee: other.payee.address)) {
            try await c.accept(theirs, from: payer, purpose: .chunks)
        }

        // A peer that is not the channel's payer: relaying the payer's voucher, or signing one itself.
        let stranger = KeyPair.generate()
        let relayed = ch.voucher(200_000, 2)
        await #expect(throws: PaymentError.wrongPayer(channel: ch.address, payer: payer, peer: stranger.address)) {
            try await c.accept(relayed, from: stranger.address, purpose: .chunks)
        }
        let own = Voucher(channel: ch.address, opening: ch.opening, amount: 200_000, sequence: 2).signed(by: stranger)
        await #expect(throws: PaymentError.wrongPayer(channel: ch.address, payer: payer, peer: stranger.address)) {
            try await c.accept(own, from: stranger.address, purpose: .chunks)
        }

        // Forged: the payer's name, someone else's signature; or a signed amount changed.
        let message = Voucher(channel: ch.address, opening: ch.opening, amount: 900_000, sequence: 2)
        let forged = SignedVoucher(voucher: message, payer: payer, signature: stranger.sign(message.signedBytes))
        await #expect(throws: PaymentError.voucher(.badSignature)) { try await c.accept(forged, from: payer, purpose: .chunks) }
        var tampered = relayed
        tampered.voucher.amount = 900_000
        await #expect(throws: PaymentError.voucher(.badSignature)) { try await c.accept(tampered, from: payer, purpose: .chunks) }

        // No channel at all.
        let nowhere = KeyPair.generate().address
        await #expect(throws: PaymentError.unknownChannel(nowhere)) {
            try await c.accept(Voucher(channel: nowhere, opening: ch.opening, amount: 1, sequence: 1).signed(by: ch.payer), from: payer, purpose: .chunks)
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
        // The loop is cancelled whatever happens; the claims are checked below.
        _ = await waitUntil(timeout: 10, poll: 0.05) { await !reported.claims.isEmpty }
        loop.cancel()
        await loop.value
        #expect(await reported.claims.map(\.amount) == [worthIt])
        #expect(try await s.f.client.state(ch.address)?.claimed == worthIt)
    }

    /// Anyone may claim, the payer too, and it may sign any (amount,
    /// sequence): whenever it claims, and whatever it claims, the payee ends
    /// with everything it accepted, to the lamport.
    @Test func aPayerClaimingForThePayeeAtAnyPointLeavesItWhole() async throws {
        let s = try await PaymentServices.make()
        let f = s.f
        let (ch, c) = try await s.collectorOnNewChannel("payer-claims", deposit: 1_000_000)
        let payer = ch.payer.address, fee = ChannelFixture.fee
        let payer0 = try await f.balance(payer), payee0 = try await f.balance(ch.payee.address)
        func payerClaims(_ v: SignedVoucher) async throws {
            try await f.client.claim(v, payee: ch.payee.address, feePayer: ch.payer)
        }
        #expect(try await c.accept(ch.voucher(100_000, 1), from: payer, purpose: .chunks) == 100_000)
        try await payerClaims(ch.voucher(100_000, 1))                // exactly the payee's best
        #expect(try await c.accept(ch.voucher(250_000, 2), from: payer, purpose: .chunks) == 150_000)
        try await payerClaims(ch.voucher(180_000, .max))             // below it, with the largest sequence
        #expect(try await c.accept(ch.voucher(400_000, 3), from: payer, purpose: .chunks) == 150_000)
        #expect(await c.settleAll().map(\.amount) == [220_000])    // 400,000 - 180,000, after the burn
        #expect(try await c.accept(ch.voucher(700_000, 4), from: payer, purpose: .chunks) == 300_000)
        try await payerClaims(ch.voucher(700_000, 4))                // beat the payee to its own voucher
        #expect(await c.settleAll().isEmpty)                          // nothing left: already paid
        #expect(try await c.accept(ch.voucher(900_000, 5), from: payer, purpose: .chunks) == 200_000)
        try await payerClaims(ch.voucher(800_000, 6))                // a part of it
        let last = await c.settleAll()
        #expect(last.map(\.amount) == [100_000] && last.allSatisfy(\.succeeded))

        // The payee received exactly what it accepted, paying two claim fees.
        #expect(try await f.balance(ch.payee.address) == payee0 + 900_000 - 2 * 2 * fee)
        #expect(try await f.balance(payer) == payer0 - 4 * 2 * fee)            // its four claims' fees
        #expect(try await f.balance(ch.address) == (try await f.channelRent()) + 1_000_000 - 900_000)
        #expect(await c.earnings(refreshFromChain: true).totals == .init(earned: 900_000, claimed: 900_000))
    }

    /// The payee's node refuses vouchers that could never be claimed: one of
    /// an earlier opening of the channel address, and, once a channel was
    /// closed and opened again with the same id, vouchers on the new opening
    /// (its book keeps the earlier opening's).
    @Test func refusesVouchersOfAnotherOpeningOfTheChannel() async throws {
        let s = try await PaymentServices.make()
        let f = s.f
        let payer = try await f.funded(), payee = try await f.funded(WellKnown.lamportsPerSol)
        // A collector that reads the chain for every voucher (as one does after
        // its 10 s reuse): the channel is closed and opened again in less.
        let c = PaymentCollector(identity: payee, client: f.client, book: try s.books.book("reopen"),
                                 config: PaymentConfig(), stateReuse: 0)
        let expiry = try await f.now() + 86_400
        let first = try await f.client.open(payer: payer, payee: payee.address, channelId: 7, deposit: 1_000_000, expiry: expiry)
        let old = Voucher(channel: first.channel, opening: first.opening, amount: 600_000, sequence: 1).signed(by: payer)
        #expect(try await c.accept(old, from: payer.address, purpose: .chunks) == 600_000)
        #expect(await c.settleAll().map(\.amount) == [600_000])
        try await f.client.close(authority: payee, channel: first.channel)
        let again = try await f.client.open(payer: payer, payee: payee.address, channelId: 7, deposit: 1_000_000, expiry: expiry)
        #expect(again.channel == first.channel)

        await #expect(throws: PaymentError.voucher(.wrongOpening(channel: first.channel, expected: again.opening,
                                                                 got: first.opening))) {
            try await c.accept(old, from: payer.address, purpose: .chunks)
        }
        let fresh = Voucher(channel: again.channel, opening: again.opening, amount: 700_000, sequence: 2).signed(by: payer)
        await #expect(throws: PaymentError.voucher(.channelReopened(channel: first.channel, held: first.opening,
                                                                    got: again.opening))) {
            try await c.accept(fresh, from: payer.address, purpose: .chunks)
        }
        #expect(await c.settleAll().isEmpty)
        #expect(try await f.client.state(again.channel)?.claimed == 0)
        #expect(await c.earnings().totals == .init(earned: 600_000, claimed: 600_000))
        // The new opening's figures are not ours: its claimed 0 does not undo what was claimed.
        #expect(await c.earnings(refreshFromChain: true).totals == .init(earned: 600_000, claimed: 600_000))
    }

    /// Whoever may upgrade the program could drain every channel: a payee
    /// takes vouchers only through a final program, or one whose upgrade
    /// authority it trusts.
    @Test func refusesVouchersThroughAProgramSomeoneCouldStillUpgrade() async throws {
        let s = try await PaymentServices.make()
        let f = s.f
        let authority = try await f.funded(50 * WellKnown.lamportsPerSol)
        let deployer = ProgramDeployer(rpc: f.rpc)
        let id = try await deployer.deploy(elf: try Localnet.programBytes(), payer: authority)
        let client = ChannelClient(rpc: f.rpc, programId: id)
        let payer = try await f.funded(), payee = try await f.funded(WellKnown.lamportsPerSol)
        let opened = try await client.open(payer: payer, payee: payee.address, channelId: 1, deposit: 1_000_000,
                                           expiry: try await f.now() + 86_400)
        func voucher(_ amount: UInt64, _ sequence: UInt64) -> SignedVoucher {
            Voucher(channel: opened.channel, opening: opened.opening, amount: amount, sequence: sequence).signed(by: payer)
        }
        let wary = PaymentCollector(identity: payee, client: client, book: try s.books.book("wary"), config: PaymentConfig())
        do {
            _ = try await wary.accept(voucher(1000, 1), from: payer.address, purpose: .chunks)
            Issue.record("accepted a voucher through an upgradeable program")
        } catch {
            guard case .untrustedProgram(let program, let reason) = error else { throw error }
            #expect(program == id && reason.contains(authority.address.base58))
        }
        #expect(await wary.earnings().totals.earned == 0)

        var trusting = PaymentConfig()
        trusting.programTrust.trustedUpgradeAuthorities = [authority.address]
        let trusted = PaymentCollector(identity: payee, client: client, book: try s.books.book("trusting"), config: trusting)
        #expect(try await trusted.accept(voucher(1000, 1), from: payer.address, purpose: .chunks) == 1000)

        try await deployer.makeFinal(program: id, authority: authority)
        #expect(try await wary.accept(voucher(2000, 2), from: payer.address, purpose: .chunks) == 2000)
    }
}

extension PaymentCollectorTests {
    /// A look at a channel is read again after 10 s, but when the chain does
    /// not answer the payee goes on with the look it has (as before).
    @Test func vouchersAreStillTakenWhileTheChainIsDown() async throws {
        let net = Localnet()
        let deployed = try await net.deployProgram()
        let rpc = deployed.net.rpc
        let payer = KeyPair.generate(), payee = KeyPair.generate()
        try await rpc.confirm(try await rpc.requestAirdrop(payer.address, lamports: WellKnown.lamportsPerSol))
        let opened = try await deployed.client.open(payer: payer, payee: payee.address, channelId: 3, deposit: 1_000_000,
                                                    expiry: try await deployed.client.now() + 86_400)
        func voucher(_ amount: UInt64, _ sequence: UInt64) -> SignedVoucher {
            Voucher(channel: opened.channel, opening: opened.opening, amount: amount, sequence: sequence).signed(by: payer)
        }
        let books = TemporaryBooks()
        let c = PaymentCollector(identity: payee, client: deployed.client, book: try books.book("down"),
                                 config: PaymentConfig(), stateReuse: 0)
        #expect(try await c.accept(voucher(1000, 1), from: payer.address, purpose: .chunks) == 1000)
        try await net.stop()
        #expect(try await c.accept(voucher(3000, 2), from: payer.address, purpose: .chunks) == 2000)
        // What needs the chain afresh is refused, and says why.
        await #expect(throws: PaymentError.self) {
            try await c.accept(voucher(2_000_000, 3), from: payer.address, purpose: .chunks)
        }
    }
}

private actor Reported {
    var claims: [Claim] = []
    func add(_ more: [Claim]) { claims += more }
}
