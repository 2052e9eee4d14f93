import Identity
import PayChannel
import Solana
import TestSupport
import Testing

/// The program against the public checklists of Solana program attacks
/// (docs/paychannel-program.md, "Audit against the public checklists"): each
/// attack is sent without preflight so the program (or the runtime) refuses it
/// on chain, and afterwards every account it touched holds exactly the
/// lamports, owner and data it held before; the submitter paid only the fee.
@Suite(.timeLimit(.minutes(5))) struct ChannelChecklistTests {
    static let fee = ChannelFixture.fee

    enum Party: String, CaseIterable, CustomTestStringConvertible {
        case payer, payee, thirdParty
        var testDescription: String { rawValue }
    }

    /// Fees a transaction costs: one per signing key and one per signature an
    /// Ed25519 precompile instruction verifies (its first data byte).
    static func fees(_ instructions: [Instruction], feePayer: KeyPair, signers: [KeyPair]) -> UInt64 {
        let keys = Set([feePayer.address] + signers.map(\.address))
        let precompiled = instructions.filter { $0.programId == WellKnown.ed25519Program }
            .reduce(0) { $0 + UInt64($1.data.first ?? 0) }
        return (UInt64(keys.count) + precompiled) * fee
    }

    /// Lamports, owner and data of each account (nil: no account there).
    static func accounts(_ f: ChannelFixture, _ addresses: [Address]) async throws -> [AccountInfo?] {
        try await f.rpc.multipleAccounts(addresses)
    }

    /// Sends `instructions` paid by `submitter`, expects `expected`, and checks
    /// that every account in `watching` is unchanged and that the submitter
    /// lost exactly the fee.
    static func refused(_ f: ChannelFixture, by submitter: KeyPair, _ expected: TransactionFailure,
                        watching: [Address], signers: [KeyPair] = [],
                        sourceLocation: SourceLocation = #_sourceLocation,
                        _ instructions: [Instruction]) async throws {
        let watched = watching.filter { $0 != submitter.address }
        let before = try await accounts(f, watched)
        let submitter0 = try await f.balance(submitter.address)
        let failure = try await f.rejected(instructions, feePayer: submitter, signers: signers,
                                           sourceLocation: sourceLocation)
        #expect(failure == expected, sourceLocation: sourceLocation)
        #expect(try await accounts(f, watched) == before, "an account changed", sourceLocation: sourceLocation)
        #expect(try await f.balance(submitter.address)
                == submitter0 - fees(instructions, feePayer: submitter, signers: signers),
                "the submitter paid more than the fee", sourceLocation: sourceLocation)
    }

    static func program(_ code: ChannelProgramError, at index: Int = 0) -> TransactionFailure {
        .instruction(index: index, .custom(code.rawValue))
    }

    /// A channel with a funded third party next to it, and every address an attack could move lamports from or to.
    struct Scene {
        let f: ChannelFixture
        let ch: ChannelFixture.Channel
        let third: KeyPair
        var watched: [Address] { [ch.address, ch.payer.address, ch.payee.address, third.address] }

        static func make(deposit: UInt64 = 1_000_000) async throws -> Scene {
            let f = try await ChannelFixture.make()
            return Scene(f: f, ch: try await f.openChannel(deposit: deposit), third: try await f.funded(WellKnown.lamportsPerSol))
        }

        func key(_ party: Party) -> KeyPair {
            switch party {
            case .payer: return ch.payer
            case .payee: return ch.payee
            case .thirdParty: return third
            }
        }

        func refused(by submitter: KeyPair, _ expected: TransactionFailure, signers: [KeyPair] = [],
                     also: [Address] = [], sourceLocation: SourceLocation = #_sourceLocation,
                     _ instructions: [Instruction]) async throws {
            try await ChannelChecklistTests.refused(f, by: submitter, expected, watching: watched + also, signers: signers,
                                                    sourceLocation: sourceLocation, instructions)
        }
    }

    // MARK: - The payer, the payee and a third party each submitting every instruction

    /// Every instruction from every party, in the ways that party could
    /// profit: signer checks (a named payer or closing party that did not
    /// sign) and account data matching (a payer or payee account that is not
    /// the one the channel stores).
    @Test(arguments: Party.allCases) func everyPartySubmittingEveryInstruction(_ party: Party) async throws {
        let s = try await Scene.make()
        let f = s.f, ch = s.ch, me = s.key(party)
        let p = f.program
        func unsigned(_ ix: Instruction, _ account: Int) -> Instruction {
            var ix = ix
            ix.accounts[account].isSigner = false
            return ix
        }

        // open
        if party == .payer {
            // Re-initialising its own live channel (claimed back to 0): the address is taken.
            try await s.refused(by: me, Self.program(.accountInUse), [
                p.open(payer: ch.payer.address, payee: ch.payee.address, channelId: ch.id, deposit: 1, expiry: ch.expiry),
            ])
        } else {
            // Opening (or re-opening) the payer's channel without the payer's signature.
            try await s.refused(by: me, Self.program(.missingSignature), [
                unsigned(p.open(payer: ch.payer.address, payee: ch.payee.address, channelId: ch.id, deposit: 1,
                                expiry: ch.expiry), 0),
            ])
            // Naming itself as payer at the payer's channel address: the address is derived from the payer.
            var mine = p.open(payer: me.address, payee: ch.payee.address, channelId: ch.id, deposit: 1, expiry: ch.expiry)
            mine.accounts[2] = .writable(ch.address)
            try await s.refused(by: me, Self.program(.wrongChannelAddress), [mine])
        }

        // top_up and extend
        if party == .payer {
            try await s.refused(by: me, Self.program(.overflow),
                                [p.topUp(payer: me.address, channel: ch.address, amount: .max - ch.deposit + 1)])
            try await s.refused(by: me, Self.program(.expiryNotLater),
                                [p.extend(payer: me.address, channel: ch.address, expiry: ch.expiry)])
        } else {
            try await s.refused(by: me, Self.program(.missingSignature),
                                [unsigned(p.topUp(payer: ch.payer.address, channel: ch.address, amount: 1), 0)])
            try await s.refused(by: me, Self.program(.wrongPayer),
                                [p.topUp(payer: me.address, channel: ch.address, amount: 1)])
            // Extending would keep the payer's deposit locked: only the payer may.
            try await s.refused(by: me, Self.program(.missingSignature),
                                [unsigned(p.extend(payer: ch.payer.address, channel: ch.address, expiry: ch.expiry + 1), 0)])
            try await s.refused(by: me, Self.program(.wrongPayer),
                                [p.extend(payer: me.address, channel: ch.address, expiry: ch.expiry + 1)])
        }

        // claim: anyone may submit one, but it only ever pays the stored payee what the payer signed.
        let paid = ch.voucher(100_000, 1)
        if party != .payee {
            try await s.refused(by: me, Self.program(.wrongPayee, at: 1), [
                paid.precompileInstruction, p.claim(channel: ch.address, payee: me.address, amount: 100_000, sequence: 1),
            ])
        }
        if party != .payer {
            let own = Voucher(channel: ch.address, opening: ch.opening, amount: 100_000, sequence: 1).signed(by: me)
            try await s.refused(by: me, Self.program(.badEd25519, at: 1), p.claimInstructions(own, payee: ch.payee.address))
        }
        try await s.refused(by: me, Self.program(.amountOverDeposit, at: 1),
                            p.claimInstructions(ch.voucher(ch.deposit + 1, 2), payee: ch.payee.address))

        // close
        switch party {
        case .payer:
            try await s.refused(by: me, Self.program(.notExpired),
                                [p.close(authority: me.address, channel: ch.address, payer: me.address)])
            try await s.refused(by: me, Self.program(.wrongPayer),
                                [p.close(authority: me.address, channel: ch.address, payer: s.third.address)])
        case .payee:
            // Closing early is the payee's right, but the rest goes to the payer, never to the payee.
            try await s.refused(by: me, Self.program(.wrongPayer),
                                [p.close(authority: me.address, channel: ch.address, payer: me.address)])
        case .thirdParty:
            try await s.refused(by: me, Self.program(.unauthorized),
                                [p.close(authority: me.address, channel: ch.address, payer: ch.payer.address)])
            try await s.refused(by: me, Self.program(.missingSignature),
                                [unsigned(p.close(authority: ch.payee.address, channel: ch.address, payer: ch.payer.address), 0)])
            try await s.refused(by: me, Self.program(.missingSignature),
                                [unsigned(p.close(authority: ch.payer.address, channel: ch.address, payer: ch.payer.address), 0)])
        }
        // Nothing of it left a trace on the channel.
        let state = try #require(try await f.client.state(ch.address))
        #expect(state.claimed == 0 && state.deposit == ch.deposit && state.expiry == ch.expiry)
    }

    // MARK: - Owner checks and account type confusion

    /// Accounts the program does not own, presented as the channel: a
    /// wallet, and a 112-byte account the attacker created (System-owned).
    @Test func accountsTheProgramDoesNotOwnAreNoChannel() async throws {
        let s = try await Scene.make()
        let f = s.f, p = f.program, me = s.third
        let fake = KeyPair.generate()
        let rent = try await f.channelRent()
        try await f.rpc.sendAndConfirm([SystemProgram.createAccount(from: me.address, to: fake.address, lamports: rent,
                                                                    space: UInt64(ChannelState.size),
                                                                    owner: WellKnown.systemProgram)],
                                       feePayer: me, signers: [fake])
        for channel in [me.address, fake.address] {
            try await s.refused(by: me, Self.program(.wrongOwner), also: [fake.address],
                                [p.topUp(payer: me.address, channel: channel, amount: 1)])
            try await s.refused(by: me, Self.program(.wrongOwner), also: [fake.address],
                                [p.extend(payer: me.address, channel: channel, expiry: s.ch.expiry + 1)])
            let v = Voucher(channel: channel, opening: s.ch.opening, amount: 10, sequence: 1).signed(by: me)
            try await s.refused(by: me, Self.program(.wrongOwner, at: 1), also: [fake.address],
                                p.claimInstructions(v, payee: me.address))
            try await s.refused(by: me, Self.program(.wrongOwner), also: [fake.address],
                                [p.close(authority: me.address, channel: channel, payer: me.address)])
        }
    }

    /// Type cosplay: accounts with the right shape but not a channel of this
    /// program. A channel of another deployment of the very same program,
    /// whose bytes name the attacker as payer and payee; accounts the
    /// attacker made the program's; the program's own ProgramData (loader-owned).
    @Test func aChannelOfAnotherDeploymentOrTheProgramDataIsNoChannel() async throws {
        let s = try await Scene.make()
        let f = s.f, p = f.program, me = s.third
        let deployer = try await f.funded(50 * WellKnown.lamportsPerSol)
        let copy = ChannelClient(rpc: f.rpc, programId: try await ProgramDeployer(rpc: f.rpc).deploy(
            elf: try Localnet.programBytes(), payer: deployer))
        let theirs = try await copy.open(payer: me, payee: me.address, channelId: 1, deposit: 500_000,
                                         expiry: try await f.now() + 86_400)
        #expect(try await f.rpc.accountInfo(theirs.channel)?.data.count == ChannelState.size)
        let v = Voucher(channel: theirs.channel, opening: theirs.opening, amount: 500_000, sequence: 1).signed(by: me)
        try await s.refused(by: me, Self.program(.wrongOwner, at: 1), also: [theirs.channel],
                            p.claimInstructions(v, payee: me.address))
        try await s.refused(by: me, Self.program(.wrongOwner), also: [theirs.channel],
                            [p.close(authority: me.address, channel: theirs.channel, payer: me.address)])
        try await s.refused(by: me, Self.program(.wrongOwner), also: [theirs.channel],
                            [p.topUp(payer: me.address, channel: theirs.channel, amount: 1)])

        // Accounts of the program it did not create: anyone can create an
        // account owned by the program (CreateAccount signed by the new
        // account's own key), but only with zero data, which is no channel.
        for size in [ChannelState.size, 200] {
            let made = KeyPair.generate()
            try await f.rpc.sendAndConfirm([SystemProgram.createAccount(
                from: me.address, to: made.address, lamports: try await f.rpc.minimumBalanceForRentExemption(size),
                space: UInt64(size), owner: p.id)], feePayer: me, signers: [made])
            let code: ChannelProgramError = size == ChannelState.size ? .notInitialized : .wrongAccountSize
            let u = Voucher(channel: made.address, opening: s.ch.opening, amount: 10, sequence: 1).signed(by: me)
            try await s.refused(by: me, Self.program(code, at: 1), also: [made.address], p.claimInstructions(u, payee: me.address))
            try await s.refused(by: me, Self.program(code), also: [made.address],
                                [p.close(authority: me.address, channel: made.address, payer: me.address)])
            try await s.refused(by: me, Self.program(code), also: [made.address],
                                [p.topUp(payer: me.address, channel: made.address, amount: 1)])
            try await s.refused(by: me, Self.program(code), also: [made.address],
                                [p.extend(payer: me.address, channel: made.address, expiry: s.ch.expiry)])
        }

        let programData = UpgradeableLoader.programDataAddress(program: p.id)
        try await s.refused(by: me, Self.program(.wrongOwner), also: [programData],
                            [p.close(authority: me.address, channel: programData, payer: me.address)])
        let w = Voucher(channel: programData, opening: s.ch.opening, amount: 10, sequence: 1).signed(by: me)
        try await s.refused(by: me, Self.program(.wrongOwner, at: 1), also: [programData],
                            p.claimInstructions(w, payee: me.address))
    }

    // MARK: - Arbitrary CPI

    /// The only program the channel program calls is the System program, a
    /// constant; an account named in its place is refused before any call.
    @Test func anotherProgramInPlaceOfTheSystemProgram() async throws {
        let s = try await Scene.make()
        let f = s.f, p = f.program, ch = s.ch
        for impostor in [p.id, WellKnown.upgradeableLoader, WellKnown.ed25519Program] {
            var open = p.open(payer: ch.payer.address, payee: ch.payee.address, channelId: ch.id &+ 1, deposit: 1000,
                              expiry: ch.expiry)
            open.accounts[3] = .readonly(impostor)
            let address = p.channelAddress(payer: ch.payer.address, payee: ch.payee.address, channelId: ch.id &+ 1)
            try await s.refused(by: ch.payer, Self.program(.wrongSystemProgram), also: [address], [open])
            var topUp = p.topUp(payer: ch.payer.address, channel: ch.address, amount: 1000)
            topUp.accounts[2] = .readonly(impostor)
            try await s.refused(by: ch.payer, Self.program(.wrongSystemProgram), [topUp])
        }
    }

    // MARK: - Duplicate mutable accounts

    @Test func oneAccountInTwoMutableRoles() async throws {
        let s = try await Scene.make()
        let f = s.f, p = f.program, ch = s.ch
        let v = ch.voucher(100_000, 1)
        // The channel as its own payee: debit and credit would cancel out while `claimed` grew.
        try await s.refused(by: ch.payee, Self.program(.wrongPayee, at: 1), [
            v.precompileInstruction, p.claim(channel: ch.address, payee: ch.address, amount: 100_000, sequence: 1),
        ])
        // The channel as the payer that receives the rest at close.
        try await s.refused(by: ch.payee, Self.program(.wrongPayer),
                            [p.close(authority: ch.payee.address, channel: ch.address, payer: ch.address)])
        // The same voucher claimed twice in one transaction: the second is not newer.
        try await s.refused(by: ch.payee, Self.program(.voucherNotNewer, at: 3),
                            p.claimInstructions(v, payee: ch.payee.address) + p.claimInstructions(v, payee: ch.payee.address))
        // One precompile instruction for two claims: the second has none right before it.
        try await s.refused(by: ch.payee, Self.program(.missingEd25519, at: 2),
                            p.claimInstructions(v, payee: ch.payee.address)
                            + [p.claim(channel: ch.address, payee: ch.payee.address, amount: 100_000, sequence: 1)])
    }

    // MARK: - Program addresses: canonical bump, no shared address

    /// A program address of the same seeds with a bump below the canonical
    /// one is refused: only one channel address per (payer, payee, id).
    @Test func aNonCanonicalChannelAddress() async throws {
        let s = try await Scene.make()
        let f = s.f, p = f.program, ch = s.ch
        let id: UInt64 = ch.id &+ 7
        var idBytes: [UInt8] = []
        for i in 0..<8 { idBytes.append(UInt8(truncatingIfNeeded: id >> (8 * UInt64(i)))) }
        let seeds = [Array("channel".utf8), ch.payer.address.bytes, ch.payee.address.bytes, idBytes]
        let (canonical, bump) = try ProgramAddress.find(seeds: seeds, programId: p.id)
        #expect(canonical == p.channelAddress(payer: ch.payer.address, payee: ch.payee.address, channelId: id))
        var other: Address?
        for b in stride(from: Int(bump) - 1, through: 0, by: -1) {
            if let a = try? ProgramAddress.create(seeds: seeds + [[UInt8(b)]], programId: p.id) { other = a; break }
        }
        let nonCanonical = try #require(other)
        var open = p.open(payer: ch.payer.address, payee: ch.payee.address, channelId: id, deposit: 1000, expiry: ch.expiry)
        open.accounts[2] = .writable(nonCanonical)
        try await s.refused(by: ch.payer, Self.program(.wrongChannelAddress), also: [nonCanonical, canonical], [open])
    }

    /// The channel address is the payer's, the payee's and the id's alone:
    /// a third party's own channel with the same payee and id lives at
    /// another address and gives it no say over the payer's.
    @Test func noAddressIsSharedBetweenChannels() async throws {
        let s = try await Scene.make()
        let f = s.f, p = f.program, ch = s.ch, me = s.third
        let mine = try await f.client.open(payer: me, payee: ch.payee.address, channelId: ch.id, deposit: 1000,
                                           expiry: ch.expiry)
        #expect(mine.channel != ch.address)
        try await s.refused(by: me, Self.program(.unauthorized), also: [mine.channel],
                            [p.close(authority: me.address, channel: ch.address, payer: ch.payer.address)])
        try await s.refused(by: me, Self.program(.wrongPayer), also: [mine.channel],
                            [p.topUp(payer: me.address, channel: ch.address, amount: 1)])
        // Its own voucher (same amount, same payee) names its own channel: worth nothing on the payer's.
        let v = Voucher(channel: mine.channel, opening: mine.opening, amount: 1000, sequence: 1).signed(by: me)
        var ixs = p.claimInstructions(v, payee: ch.payee.address)
        ixs[1] = p.claim(channel: ch.address, payee: ch.payee.address, amount: 1000, sequence: 1)
        try await s.refused(by: me, Self.program(.badEd25519, at: 1), also: [mine.channel], ixs)
    }

    // MARK: - Closing and reviving accounts

    /// Close, put lamports back at the closed address and claim again, in
    /// one transaction: `close` handed the address back to the System
    /// program, so nothing there is a channel any more.
    @Test func closingAndRevivingInOneTransaction() async throws {
        let s = try await Scene.make()
        let f = s.f, p = f.program, ch = s.ch
        let rent = try await f.channelRent()
        let close = p.close(authority: ch.payee.address, channel: ch.address, payer: ch.payer.address)
        let revive = SystemProgram.transfer(from: ch.payee.address, to: ch.address, lamports: rent)
        try await s.refused(by: ch.payee, Self.program(.wrongOwner, at: 5),
                            p.claimInstructions(ch.voucher(100_000, 1), payee: ch.payee.address) + [close, revive]
                            + p.claimInstructions(ch.voucher(200_000, 2), payee: ch.payee.address))
        try await s.refused(by: ch.payee, Self.program(.wrongOwner, at: 1), [close, close])
        try await s.refused(by: ch.payee, Self.program(.wrongOwner, at: 2), [close, revive, close])
        try await s.refused(by: ch.payer, Self.program(.wrongOwner, at: 2), signers: [ch.payee],
                            [close, revive, p.topUp(payer: ch.payer.address, channel: ch.address, amount: 1)])
    }

    /// Lamports sent to a closed channel's address in the closing transaction
    /// leave an ordinary System account: no instruction takes it for a
    /// channel, and the payer can open the address again (a new opening, on
    /// which the old vouchers pay nothing).
    @Test func aRevivedChannelAddressIsAnOrdinaryAddress() async throws {
        let s = try await Scene.make()
        let f = s.f, p = f.program, ch = s.ch
        let rent = try await f.channelRent()
        let payer0 = try await f.balance(ch.payer.address)
        let old = ch.voucher(100_000, 1)
        try await f.rpc.sendAndConfirm([
            p.close(authority: ch.payee.address, channel: ch.address, payer: ch.payer.address),
            SystemProgram.transfer(from: ch.payee.address, to: ch.address, lamports: rent),
        ], feePayer: ch.payee)
        #expect(try await f.balance(ch.payer.address) == payer0 + rent + ch.deposit)
        let revived = try #require(try await f.rpc.accountInfo(ch.address))
        #expect(revived.owner == WellKnown.systemProgram && revived.lamports == rent && revived.data.isEmpty)
        #expect(try await f.client.state(ch.address) == nil)

        try await s.refused(by: ch.payee, Self.program(.wrongOwner, at: 1), p.claimInstructions(old, payee: ch.payee.address))
        try await s.refused(by: ch.payer, Self.program(.wrongOwner),
                            [p.topUp(payer: ch.payer.address, channel: ch.address, amount: 1)])
        try await s.refused(by: ch.payer, Self.program(.wrongOwner),
                            [p.extend(payer: ch.payer.address, channel: ch.address, expiry: ch.expiry + 1)])
        try await s.refused(by: ch.payee, Self.program(.wrongOwner),
                            [p.close(authority: ch.payee.address, channel: ch.address, payer: ch.payer.address)])

        let again = try await f.client.open(payer: ch.payer, payee: ch.payee.address, channelId: ch.id, deposit: 50_000,
                                            expiry: ch.expiry)
        #expect(again.channel == ch.address && again.opening > ch.opening)
        #expect(try await f.balance(ch.address) == rent + rent + 50_000)
        try await s.refused(by: ch.payee, Self.program(.badEd25519, at: 1), p.claimInstructions(old, payee: ch.payee.address))
    }

    /// Closed and opened again in one transaction (both parties sign): the
    /// close was not in the old opening's slot, so the new opening differs
    /// and the old vouchers pay nothing on it.
    @Test func closedAndReopenedInOneTransaction() async throws {
        let s = try await Scene.make()
        let f = s.f, p = f.program, ch = s.ch
        let old = ch.voucher(100_000, 1)
        try await f.rpc.sendAndConfirm([
            p.close(authority: ch.payee.address, channel: ch.address, payer: ch.payer.address),
            p.open(payer: ch.payer.address, payee: ch.payee.address, channelId: ch.id, deposit: 50_000, expiry: ch.expiry),
        ], feePayer: ch.payer, signers: [ch.payee])
        let state = try #require(try await f.client.state(ch.address))
        #expect(state.opening > ch.opening && state.claimed == 0 && state.deposit == 50_000)
        try await s.refused(by: ch.payee, Self.program(.badEd25519, at: 1), p.claimInstructions(old, payee: ch.payee.address))
    }

    // MARK: - Sysvars

    /// The Instructions sysvar is checked by address; the clock and rent come
    /// from syscalls, so no account can stand in for them.
    @Test func spoofedSysvars() async throws {
        let s = try await Scene.make()
        let f = s.f, p = f.program, ch = s.ch, me = s.third
        let v = ch.voucher(100_000, 1)
        for fake in [WellKnown.clockSysvar, WellKnown.rentSysvar, me.address, ch.address] {
            var claim = p.claim(channel: ch.address, payee: ch.payee.address, amount: 100_000, sequence: 1)
            claim.accounts[2] = .readonly(fake)
            try await s.refused(by: me, Self.program(.wrongSysvar, at: 1), [v.precompileInstruction, claim])
        }
        // A payer naming a clock of its choosing among the accounts is still before expiry.
        var close = p.close(authority: ch.payer.address, channel: ch.address, payer: ch.payer.address)
        close.accounts += [.readonly(WellKnown.clockSysvar), .readonly(me.address)]
        try await s.refused(by: ch.payer, Self.program(.notExpired), [close])
    }

    // MARK: - Ed25519 instruction introspection

    /// An Ed25519 precompile instruction with the offsets a test chooses:
    /// `entries` offset records (signature, its instruction; key, its
    /// instruction; message, size, its instruction), then `body`.
    static func precompile(count: UInt8, entries: [[UInt16]], body: [UInt8]) -> Instruction {
        var data: [UInt8] = [count, 0]
        for entry in entries {
            for v in entry { data += [UInt8(v & 0xFF), UInt8(v >> 8)] }
        }
        return Instruction(programId: WellKnown.ed25519Program, accounts: [], data: data + body)
    }

    /// The standard layout (one signature): key at 16, signature at 48, message at 112.
    static func entry(sigIx: UInt16 = 0xFFFF, keyIx: UInt16 = 0xFFFF, msgIx: UInt16 = 0xFFFF, msgLen: Int) -> [UInt16] {
        [48, sigIx, 16, keyIx, 112, UInt16(msgLen), msgIx]
    }

    /// Offsets that point into another instruction of the transaction: the
    /// precompile verifies what they point at, the program would read its own
    /// bytes. Every index must be 0xFFFF ("in this instruction").
    @Test func ed25519OffsetsIntoOtherInstructions() async throws {
        let s = try await Scene.make()
        let f = s.f, p = f.program, ch = s.ch, me = s.third
        let big = Voucher(channel: ch.address, opening: ch.opening, amount: 500_000, sequence: 1)
        let claimBig = p.claim(channel: ch.address, payee: ch.payee.address, amount: 500_000, sequence: 1)
        let n = Voucher.signedSize

        // Key from elsewhere: the third party's own signature over the voucher,
        // its key taken from instruction 2 while the payer's key sits at the offset.
        let keyElsewhere = Self.precompile(count: 1, entries: [Self.entry(keyIx: 2, msgLen: n)],
                                           body: ch.payer.address.bytes + me.sign(big.signedBytes) + big.signedBytes)
        try await s.refused(by: me, Self.program(.badEd25519, at: 1),
                            [keyElsewhere, claimBig, Ed25519Program.sign(Array("anything".utf8), with: me)])

        // Message from elsewhere: the payer's real signature over a voucher for 10,
        // the message taken from instruction 2 while a voucher for 500,000 sits at the offset.
        let small = ch.voucher(10, 1)
        let msgElsewhere = Self.precompile(count: 1, entries: [Self.entry(msgIx: 2, msgLen: n)],
                                           body: ch.payer.address.bytes + small.signature + big.signedBytes)
        try await s.refused(by: me, Self.program(.badEd25519, at: 1), [msgElsewhere, claimBig, small.precompileInstruction])

        // Signature from elsewhere.
        let real = big.signed(by: ch.payer)
        let sigElsewhere = Self.precompile(count: 1, entries: [Self.entry(sigIx: 2, msgLen: n)],
                                           body: ch.payer.address.bytes + [UInt8](repeating: 0, count: 64) + big.signedBytes)
        try await s.refused(by: ch.payee, Self.program(.badEd25519, at: 1), [sigElsewhere, claimBig, real.precompileInstruction])

        // Even the precompile's own index written out (0, not 0xFFFF) is refused: one form only.
        let ownIndex = Self.precompile(count: 1, entries: [Self.entry(sigIx: 0, keyIx: 0, msgIx: 0, msgLen: n)],
                                       body: ch.payer.address.bytes + real.signature + big.signedBytes)
        try await s.refused(by: ch.payee, Self.program(.badEd25519, at: 1), [ownIndex, claimBig])
    }

    /// A precompile instruction that verifies no signature (count 0 passes
    /// the precompile), or more than one: exactly one is taken.
    @Test func ed25519WithNoneOrTwoSignatures() async throws {
        let s = try await Scene.make()
        let f = s.f, p = f.program, ch = s.ch
        let real = ch.voucher(500_000, 1)
        let claim = p.claim(channel: ch.address, payee: ch.payee.address, amount: 500_000, sequence: 1)
        try await s.refused(by: ch.payee, Self.program(.badEd25519, at: 1),
                            [Instruction(programId: WellKnown.ed25519Program, accounts: [], data: [0, 0]), claim])
        // Two signatures, both the payer's real one, the first record a 30-byte header apart.
        let shift: UInt16 = 14
        let twice = Self.precompile(count: 2, entries: [
            [48 + shift, 0xFFFF, 16 + shift, 0xFFFF, 112 + shift, UInt16(Voucher.signedSize), 0xFFFF],
            [48 + shift, 0xFFFF, 16 + shift, 0xFFFF, 112 + shift, UInt16(Voucher.signedSize), 0xFFFF],
        ], body: ch.payer.address.bytes + real.signature + real.voucher.signedBytes)
        try await s.refused(by: ch.payee, Self.program(.badEd25519, at: 1), [twice, claim])
    }

    /// The payer's signature made malleable (S + L): whether or not the
    /// precompile takes it, it pays nothing a second time; signatures are
    /// never the program's replay guard, amounts are.
    @Test func ed25519MalleatedSignature() async throws {
        let s = try await Scene.make()
        let f = s.f, ch = s.ch
        let v = ch.voucher(100_000, 1)
        try await f.client.claim(v, payee: ch.payee.address, feePayer: ch.payee)
        let l: [UInt8] = [0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14]
            + [UInt8](repeating: 0, count: 15) + [0x10]
        var malleated = v
        var carry = 0
        for i in 0..<32 {
            let sum = Int(v.signature[32 + i]) + Int(l[i]) + carry
            malleated.signature[32 + i] = UInt8(sum & 0xFF)
            carry = sum >> 8
        }
        #expect(carry == 0 && malleated.signature != v.signature)
        try await s.refused(by: ch.payee, .instruction(index: 0, .custom(2)),
                            f.program.claimInstructions(malleated, payee: ch.payee.address))
    }

    // MARK: - Arithmetic, rent and time

    @Test func arithmeticAtTheEdges() async throws {
        let s = try await Scene.make()
        let f = s.f, p = f.program, ch = s.ch
        let rent = try await f.channelRent()
        let now = try await f.now()
        let fresh = KeyPair.generate().address
        let freshChannel = p.channelAddress(payer: ch.payer.address, payee: fresh, channelId: 1)
        // rent + deposit would wrap to 0
        try await s.refused(by: ch.payer, Self.program(.overflow), also: [freshChannel],
                            [p.open(payer: ch.payer.address, payee: fresh, channelId: 1, deposit: .max - rent + 1, expiry: now + 100)])
        // an expiry that is negative as i64
        try await s.refused(by: ch.payer, Self.program(.expiryInPast), also: [freshChannel],
                            [p.open(payer: ch.payer.address, payee: fresh, channelId: 1, deposit: 1, expiry: .min)])
        try await s.refused(by: ch.payer, Self.program(.expiryNotLater),
                            [p.extend(payer: ch.payer.address, channel: ch.address, expiry: .min)])
        // deposit + top-up would wrap
        try await s.refused(by: ch.payer, Self.program(.overflow),
                            [p.topUp(payer: ch.payer.address, channel: ch.address, amount: .max - ch.deposit + 1)])
        // amount - claimed never underflows: a lower voucher after a claim is refused
        try await f.client.claim(ch.voucher(300_000, 1), payee: ch.payee.address, feePayer: ch.payee)
        try await s.refused(by: ch.payee, Self.program(.voucherNotNewer, at: 1),
                            p.claimInstructions(ch.voucher(299_999, 2), payee: ch.payee.address))
        try await s.refused(by: ch.payee, Self.program(.amountOverDeposit, at: 1),
                            p.claimInstructions(ch.voucher(.max, 3), payee: ch.payee.address))
        #expect(try await f.balance(ch.address) == rent + ch.deposit - 300_000)
    }

    /// Rent is the program's to compute (from the Rent sysvar): a claim of
    /// the whole deposit leaves exactly the rent, which no voucher reaches;
    /// and a claim that would leave the payee's account below the rent
    /// minimum is refused by the runtime.
    @Test func rentStaysWithTheChannelAndThePayer() async throws {
        let f = try await ChannelFixture.make()
        let payer = try await f.funded(), third = try await f.funded(WellKnown.lamportsPerSol)
        let rent = try await f.channelRent()
        #expect(rent == (try await f.rpc.minimumBalanceForRentExemption(ChannelState.size)))
        // A payee with no account yet: 1,000 lamports would make it a rent-paying account.
        let empty = KeyPair.generate()
        let ch = try await f.openChannel(deposit: 500_000, payer: payer, payee: empty)
        let watched = [ch.address, payer.address, empty.address]
        let small = f.program.claimInstructions(ch.voucher(1000, 1), payee: empty.address)
        let index = try #require(try Message(feePayer: third.address, instructions: small, recentBlockhash: [UInt8](repeating: 0, count: 32))
            .accountKeys.firstIndex(of: empty.address))
        try await Self.refused(f, by: third, .named("{\"InsufficientFundsForRent\":{\"account_index\":\(index)}}"),
                               watching: watched, small)
        // Funded, the payee takes the whole deposit; the rent stays.
        try await f.rpc.confirm(try await f.rpc.requestAirdrop(empty.address, lamports: WellKnown.lamportsPerSol))
        try await f.client.claim(ch.voucher(500_000, 2), payee: empty.address, feePayer: third)
        #expect(try await f.balance(ch.address) == rent)
        try await Self.refused(f, by: empty, Self.program(.amountOverDeposit, at: 1), watching: watched,
                               f.program.claimInstructions(ch.voucher(500_000 + rent, 3), payee: empty.address))
    }
}
