import Identity
import PayChannel
import Solana
import TestSupport
import Testing

/// Each attack is sent without preflight, so the program rejects it on chain;
/// afterwards the channel, its state and the parties' balances are exactly as
/// before, the fee payer having paid only the fee.
@Suite(.timeLimit(.minutes(5))) struct ChannelAttackTests {
    let fee = ChannelFixture.fee

    /// Runs `attack`, expects `expected`, and checks that nothing but the
    /// attacker's fee moved.
    func expectRejected(_ f: ChannelFixture, _ ch: ChannelFixture.Channel, attacker: KeyPair,
                        _ expected: TransactionFailure, signers: [KeyPair] = [],
                        sourceLocation: SourceLocation = #_sourceLocation,
                        _ instructions: [Instruction]) async throws {
        let watched = [ch.payer.address, ch.payee.address].filter { $0 != attacker.address }
        let before = try await f.snapshot(ch.address, watched)
        let attacker0 = try await f.balance(attacker.address)
        let failure = try await f.rejected(instructions, feePayer: attacker, signers: signers,
                                           sourceLocation: sourceLocation)
        #expect(failure == expected, sourceLocation: sourceLocation)
        #expect(try await f.snapshot(ch.address, watched) == before, "something moved", sourceLocation: sourceLocation)
        let paid = UInt64(instructions.filter { $0.programId == WellKnown.ed25519Program }.count + 1 + signers.count) * fee
        #expect(try await f.balance(attacker.address) == attacker0 - paid, sourceLocation: sourceLocation)
    }

    func program(_ code: ChannelProgramError, at index: Int = 0) -> TransactionFailure {
        .instruction(index: index, .custom(code.rawValue))
    }

    @Test func voucherSignedBySomeoneElse() async throws {
        let f = try await ChannelFixture.make()
        let ch = try await f.openChannel()
        let mallory = KeyPair.generate()
        let forged = Voucher(channel: ch.address, opening: ch.opening, amount: 500, sequence: 1).signed(by: mallory)
        try await expectRejected(f, ch, attacker: ch.payee, program(.badEd25519, at: 1),
                                 f.program.claimInstructions(forged, payee: ch.payee.address))
    }

    @Test func replayedAndLowerVouchers() async throws {
        let f = try await ChannelFixture.make()
        let ch = try await f.openChannel()
        let v = Voucher(channel: ch.address, opening: ch.opening, amount: 1000, sequence: 5).signed(by: ch.payer)
        try await f.client.claim(v, payee: ch.payee.address, feePayer: ch.payee)
        // the same voucher again (a new transaction: a fresh blockhash)
        try await expectRejected(f, ch, attacker: ch.payee, program(.voucherNotNewer, at: 1),
                                 f.program.claimInstructions(v, payee: ch.payee.address))
        // lower amount, higher sequence
        let lower = Voucher(channel: ch.address, opening: ch.opening, amount: 900, sequence: 6).signed(by: ch.payer)
        try await expectRejected(f, ch, attacker: ch.payee, program(.voucherNotNewer, at: 1),
                                 f.program.claimInstructions(lower, payee: ch.payee.address))
        // same amount, higher sequence: nothing to pay, refused
        let same = Voucher(channel: ch.address, opening: ch.opening, amount: 1000, sequence: 7).signed(by: ch.payer)
        try await expectRejected(f, ch, attacker: ch.payee, program(.voucherNotNewer, at: 1),
                                 f.program.claimInstructions(same, payee: ch.payee.address))
        // A higher amount with an old (even lower) sequence is paid: vouchers
        // are ordered by their cumulative amount alone, so a payer cannot make
        // the payee's vouchers unclaimable by claiming a huge sequence itself.
        let payee0 = try await f.balance(ch.payee.address)
        let oldSequence = Voucher(channel: ch.address, opening: ch.opening, amount: 2000, sequence: 2).signed(by: ch.payer)
        try await f.client.claim(oldSequence, payee: ch.payee.address, feePayer: ch.payee)
        #expect(try await f.balance(ch.payee.address) == payee0 + 1000 - 2 * fee)
        #expect(try #require(try await f.client.state(ch.address)).claimed == 2000)
    }

    /// The payer signs (claimed + 1, 2^64 - 1) and claims it itself while the
    /// payee holds a better voucher: the payee's voucher is still paid in full.
    @Test func aPayerBurningTheSequenceDoesNotStopThePayeesClaim() async throws {
        let f = try await ChannelFixture.make()
        let ch = try await f.openChannel(deposit: 1_000_000)
        let payer0 = try await f.balance(ch.payer.address), payee0 = try await f.balance(ch.payee.address)
        let held = ch.voucher(300_000, 3)                       // the payee's best, unclaimed
        try await f.client.claim(ch.voucher(1, .max), payee: ch.payee.address, feePayer: ch.payer)
        var state = try #require(try await f.client.state(ch.address))
        #expect(state.claimed == 1 && state.sequence == .max)
        try await f.client.claim(held, payee: ch.payee.address, feePayer: ch.payee)
        state = try #require(try await f.client.state(ch.address))
        #expect(state.claimed == 300_000)
        #expect(try await f.balance(ch.payee.address) == payee0 + 300_000 - 2 * fee)
        #expect(try await f.balance(ch.payer.address) == payer0 - 2 * fee)
        #expect(try await f.balance(ch.address) == (try await f.channelRent()) + 700_000)
    }

    /// A payer opens with a fixed id, pays 600,000, the payee claims and
    /// closes; the payer opens the same id again: same address, claimed 0,
    /// but a new opening, so the old voucher is worth nothing there.
    @Test func aReopenedChannelDoesNotPayOldVouchersAgain() async throws {
        let f = try await ChannelFixture.make()
        let payer = try await f.funded(), payee = try await f.funded(WellKnown.lamportsPerSol)
        let payer0 = try await f.balance(payer.address), payee0 = try await f.balance(payee.address)
        let rent = try await f.channelRent()
        let expiry = try await f.now() + 86_400
        let first = try await f.client.open(payer: payer, payee: payee.address, channelId: 7, deposit: 1_000_000, expiry: expiry)
        let old = Voucher(channel: first.channel, opening: first.opening, amount: 600_000, sequence: 1).signed(by: payer)
        try await f.rpc.sendAndConfirm(f.program.claimInstructions(old, payee: payee.address)
                                       + [f.program.close(authority: payee.address, channel: first.channel, payer: payer.address)],
                                       feePayer: payee)
        #expect(try await f.rpc.accountInfo(first.channel) == nil)

        let again = try await f.client.open(payer: payer, payee: payee.address, channelId: 7, deposit: 1_000_000, expiry: expiry)
        #expect(again.channel == first.channel && again.opening > first.opening)
        let state = try #require(try await f.client.state(again.channel))
        #expect(state.claimed == 0 && state.version == 2)
        let ch = ChannelFixture.Channel(payer: payer, payee: payee, id: 7, address: again.channel, opening: again.opening,
                                        deposit: 1_000_000, expiry: expiry)
        // The old voucher, by anyone: the program rebuilds this opening's bytes.
        try await expectRejected(f, ch, attacker: payee, program(.badEd25519, at: 1),
                                 f.program.claimInstructions(old, payee: payee.address))
        // Its signature relabelled with the new opening: the precompile fails.
        var relabelled = old
        relabelled.voucher.opening = again.opening
        try await expectRejected(f, ch, attacker: payee, .instruction(index: 0, .custom(2)),
                                 f.program.claimInstructions(relabelled, payee: payee.address))
        // 600,000 paid once; the payer's second deposit is all still there.
        #expect(try await f.balance(payee.address) == payee0 + 600_000 - 2 * fee - 2 * fee - 2 * fee)
        #expect(try await f.balance(payer.address) == payer0 - 600_000 - 1_000_000 - rent - 2 * fee)
        #expect(try await f.balance(again.channel) == rent + 1_000_000)
    }

    /// The slot names the opening only because a channel cannot be closed in
    /// the slot it was opened in (a later opening then has a later slot).
    @Test func aChannelCannotBeClosedInTheSlotItWasOpenedIn() async throws {
        let f = try await ChannelFixture.make()
        let payer = try await f.funded(), payee = try await f.funded(WellKnown.lamportsPerSol)
        let payer0 = try await f.balance(payer.address)
        let address = f.client.channelAddress(payer: payer.address, payee: payee.address, channelId: 9)
        let failure = try await f.rejected([
            f.program.open(payer: payer.address, payee: payee.address, channelId: 9, deposit: 5_000,
                           expiry: try await f.now() + 86_400),
            f.program.close(authority: payee.address, channel: address, payer: payer.address),
        ], feePayer: payer, signers: [payee])
        #expect(failure == program(.sameSlot, at: 1))
        #expect(try await f.rpc.accountInfo(address) == nil)
        #expect(try await f.balance(payer.address) == payer0 - 2 * fee)
    }

    @Test func voucherForAnotherChannel() async throws {
        let f = try await ChannelFixture.make()
        let a = try await f.openChannel()
        let b = try await f.openChannel(payer: a.payer, payee: a.payee)
        let forA = Voucher(channel: a.address, opening: a.opening, amount: 700, sequence: 1).signed(by: a.payer)
        // A's voucher presented in a claim on B: the program rebuilds B's bytes.
        var ixs = f.program.claimInstructions(forA, payee: a.payee.address)
        ixs[1] = f.program.claim(channel: b.address, payee: b.payee.address, amount: 700, sequence: 1)
        try await expectRejected(f, b, attacker: b.payee, program(.badEd25519, at: 1), ixs)
        // A's signature relabelled as B's voucher: the precompile itself fails.
        let relabelled = SignedVoucher(voucher: Voucher(channel: b.address, opening: b.opening, amount: 700, sequence: 1),
                                       payer: a.payer.address, signature: forA.signature)
        try await expectRejected(f, b, attacker: b.payee, .instruction(index: 0, .custom(2)),
                                 f.program.claimInstructions(relabelled, payee: b.payee.address))
    }

    @Test func amountOverTheDeposit() async throws {
        let f = try await ChannelFixture.make()
        let ch = try await f.openChannel(deposit: 50_000)
        let v = Voucher(channel: ch.address, opening: ch.opening, amount: 50_001, sequence: 1).signed(by: ch.payer)
        try await expectRejected(f, ch, attacker: ch.payee, program(.amountOverDeposit, at: 1),
                                 f.program.claimInstructions(v, payee: ch.payee.address))
        let huge = Voucher(channel: ch.address, opening: ch.opening, amount: .max, sequence: .max).signed(by: ch.payer)
        try await expectRejected(f, ch, attacker: ch.payee, program(.amountOverDeposit, at: 1),
                                 f.program.claimInstructions(huge, payee: ch.payee.address))
    }

    @Test func claimWithoutPrecompileOrForOtherBytes() async throws {
        let f = try await ChannelFixture.make()
        let ch = try await f.openChannel()
        try await expectRejected(f, ch, attacker: ch.payee, program(.missingEd25519),
                                 [f.program.claim(channel: ch.address, payee: ch.payee.address, amount: 10, sequence: 1)])
        // a valid payer signature over other bytes (a voucher for 10) used to claim 10_000
        let small = Voucher(channel: ch.address, opening: ch.opening, amount: 10, sequence: 1).signed(by: ch.payer)
        try await expectRejected(f, ch, attacker: ch.payee, program(.badEd25519, at: 1), [
            small.precompileInstruction,
            f.program.claim(channel: ch.address, payee: ch.payee.address, amount: 10_000, sequence: 1),
        ])
        // the payer's signature over arbitrary bytes
        let other = Ed25519Program.sign(Array("pay 10000".utf8), with: ch.payer)
        try await expectRejected(f, ch, attacker: ch.payee, program(.badEd25519, at: 1), [
            other, f.program.claim(channel: ch.address, payee: ch.payee.address, amount: 10_000, sequence: 1),
        ])
        // the precompile instruction not immediately before the claim
        let v = Voucher(channel: ch.address, opening: ch.opening, amount: 10, sequence: 1).signed(by: ch.payer)
        try await expectRejected(f, ch, attacker: ch.payee, program(.missingEd25519, at: 2), [
            v.precompileInstruction,
            SystemProgram.transfer(from: ch.payee.address, to: ch.payee.address, lamports: 0),
            f.program.claim(channel: ch.address, payee: ch.payee.address, amount: 10, sequence: 1),
        ])
    }

    @Test func payerClosingBeforeExpiryAndStrangersClosing() async throws {
        let f = try await ChannelFixture.make()
        let ch = try await f.openChannel()
        try await expectRejected(f, ch, attacker: ch.payer, program(.notExpired),
                                 [f.program.close(authority: ch.payer.address, channel: ch.address, payer: ch.payer.address)])
        let stranger = try await f.funded(WellKnown.lamportsPerSol)
        try await expectRejected(f, ch, attacker: stranger, program(.unauthorized),
                                 [f.program.close(authority: stranger.address, channel: ch.address, payer: ch.payer.address)])
        // the payee closing but sending the rest somewhere else
        try await expectRejected(f, ch, attacker: ch.payee, program(.wrongPayer),
                                 [f.program.close(authority: ch.payee.address, channel: ch.address, payer: stranger.address)])
    }

    @Test func wrongOrReadOnlyAccounts() async throws {
        let f = try await ChannelFixture.make()
        let ch = try await f.openChannel()
        let mallory = try await f.funded(WellKnown.lamportsPerSol)
        let v = Voucher(channel: ch.address, opening: ch.opening, amount: 100, sequence: 1).signed(by: ch.payer)
        // paying someone else than the payee
        try await expectRejected(f, ch, attacker: mallory, program(.wrongPayee, at: 1), [
            v.precompileInstruction, f.program.claim(channel: ch.address, payee: mallory.address, amount: 100, sequence: 1),
        ])
        // payee passed read-only
        var readOnlyPayee = f.program.claim(channel: ch.address, payee: ch.payee.address, amount: 100, sequence: 1)
        readOnlyPayee.accounts[1].isWritable = false
        try await expectRejected(f, ch, attacker: mallory, program(.notWritable, at: 1), [v.precompileInstruction, readOnlyPayee])
        // channel passed read-only
        var readOnlyChannel = f.program.claim(channel: ch.address, payee: ch.payee.address, amount: 100, sequence: 1)
        readOnlyChannel.accounts[0].isWritable = false
        try await expectRejected(f, ch, attacker: mallory, program(.notWritable, at: 1), [v.precompileInstruction, readOnlyChannel])
        // a "channel" the program does not own
        var notOwned = f.program.claim(channel: mallory.address, payee: ch.payee.address, amount: 100, sequence: 1)
        notOwned.accounts[0].isWritable = true
        try await expectRejected(f, ch, attacker: mallory, program(.wrongOwner, at: 1), [v.precompileInstruction, notOwned])
        // a fake Instructions sysvar
        var fakeSysvar = f.program.claim(channel: ch.address, payee: ch.payee.address, amount: 100, sequence: 1)
        fakeSysvar.accounts[2] = .readonly(mallory.address)
        try await expectRejected(f, ch, attacker: mallory, program(.wrongSysvar, at: 1), [v.precompileInstruction, fakeSysvar])
        // top-up and extend by someone who is not the payer
        try await expectRejected(f, ch, attacker: mallory, program(.wrongPayer),
                                 [f.program.topUp(payer: mallory.address, channel: ch.address, amount: 1)])
        try await expectRejected(f, ch, attacker: mallory, program(.wrongPayer),
                                 [f.program.extend(payer: mallory.address, channel: ch.address, expiry: ch.expiry + 1)])
        // a payer signature missing on top-up (the payer named but not signing)
        var unsigned = f.program.topUp(payer: ch.payer.address, channel: ch.address, amount: 1)
        unsigned.accounts[0].isSigner = false
        try await expectRejected(f, ch, attacker: mallory, program(.missingSignature), [unsigned])
    }

    @Test func overflowingAmountsAndBadOpens() async throws {
        let f = try await ChannelFixture.make()
        let ch = try await f.openChannel()
        try await expectRejected(f, ch, attacker: ch.payer, program(.overflow),
                                 [f.program.topUp(payer: ch.payer.address, channel: ch.address, amount: .max)])
        try await expectRejected(f, ch, attacker: ch.payer, program(.expiryNotLater),
                                 [f.program.extend(payer: ch.payer.address, channel: ch.address, expiry: ch.expiry - 1)])
        try await expectRejected(f, ch, attacker: ch.payer, program(.zeroAmount),
                                 [f.program.topUp(payer: ch.payer.address, channel: ch.address, amount: 0)])
        // the same channel id again
        try await expectRejected(f, ch, attacker: ch.payer, program(.accountInUse),
                                 [f.program.open(payer: ch.payer.address, payee: ch.payee.address, channelId: ch.id,
                                                 deposit: 1, expiry: ch.expiry)])
        let now = try await f.now()
        let payee = KeyPair.generate().address
        try await expectRejected(f, ch, attacker: ch.payer, program(.overflow),
                                 [f.program.open(payer: ch.payer.address, payee: payee, channelId: 1, deposit: .max, expiry: now + 100)])
        try await expectRejected(f, ch, attacker: ch.payer, program(.expiryInPast),
                                 [f.program.open(payer: ch.payer.address, payee: payee, channelId: 2, deposit: 1, expiry: now - 1)])
        // an address that is not the program address of (payer, payee, id)
        var wrongAddress = f.program.open(payer: ch.payer.address, payee: payee, channelId: 3, deposit: 1, expiry: now + 100)
        wrongAddress.accounts[2] = .writable(f.program.channelAddress(payer: ch.payer.address, payee: payee, channelId: 4))
        try await expectRejected(f, ch, attacker: ch.payer, program(.wrongChannelAddress), [wrongAddress])
        // junk instruction data
        try await expectRejected(f, ch, attacker: ch.payer, program(.invalidInstruction),
                                 [Instruction(programId: f.program.id, accounts: [.writable(ch.address)], data: [9])])
        try await expectRejected(f, ch, attacker: ch.payer, program(.invalidInstruction),
                                 [Instruction(programId: f.program.id, accounts: [.writable(ch.address)], data: [3, 1, 2])])
    }
}
