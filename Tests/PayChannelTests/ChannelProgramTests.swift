import Identity
import PayChannel
import Solana
import TestSupport
import Testing

/// The program through the node's own client against localnet: the happy
/// path, balances to the lamport with fees. (Expiry and refund move the
/// clock: ClockMovingTests.)
@Suite(.timeLimit(.minutes(5))) struct ChannelProgramTests {
    let fee = ChannelFixture.fee

    @Test func openClaimTwiceTopUpExtendAndCloseByPayee() async throws {
        let f = try await ChannelFixture.make()
        let payer = try await f.funded(), payee = try await f.funded(WellKnown.lamportsPerSol)
        let payer0 = try await f.balance(payer.address), payee0 = try await f.balance(payee.address)
        let rent = try await f.channelRent()

        let id = ChannelClient.newChannelId()
        let expiry = try await f.now() + 86_400
        let (channel, opening, _) = try await f.client.open(payer: payer, payee: payee.address, channelId: id,
                                                   deposit: 1_000_000, expiry: expiry)
        #expect(channel == f.client.channelAddress(payer: payer.address, payee: payee.address, channelId: id))
        #expect(try await f.balance(payer.address) == payer0 - 1_000_000 - rent - fee)
        #expect(try await f.balance(channel) == rent + 1_000_000)
        var state = try #require(try await f.client.state(channel))
        #expect(state.payer == payer.address && state.payee == payee.address && state.channelId == id)
        #expect(state.deposit == 1_000_000 && state.claimed == 0 && state.sequence == 0 && state.expiry == expiry)

        // Two growing vouchers: the payee gets exactly the differences.
        try await f.client.claim(Voucher(channel: channel, opening: opening, amount: 100_000, sequence: 1).signed(by: payer),
                                 payee: payee.address, feePayer: payee)
        #expect(try await f.balance(payee.address) == payee0 + 100_000 - 2 * fee)
        try await f.client.claim(Voucher(channel: channel, opening: opening, amount: 250_000, sequence: 2).signed(by: payer),
                                 payee: payee.address, feePayer: payee)
        #expect(try await f.balance(payee.address) == payee0 + 250_000 - 4 * fee)
        #expect(try await f.balance(channel) == rent + 750_000)
        state = try #require(try await f.client.state(channel))
        #expect(state.claimed == 250_000 && state.sequence == 2)

        try await f.client.topUp(payer: payer, channel: channel, amount: 500_000)
        try await f.client.extend(payer: payer, channel: channel, expiry: expiry + 3600)
        state = try #require(try await f.client.state(channel))
        #expect(state.deposit == 1_500_000 && state.expiry == expiry + 3600)
        #expect(try await f.balance(channel) == rent + 1_250_000)

        // A third voucher claimed by a third party paying the fee.
        let relay = try await f.funded(WellKnown.lamportsPerSol)
        let relay0 = try await f.balance(relay.address)
        try await f.client.claim(Voucher(channel: channel, opening: opening, amount: 1_200_000, sequence: 7).signed(by: payer),
                                 payee: payee.address, feePayer: relay)
        #expect(try await f.balance(relay.address) == relay0 - 2 * fee)
        #expect(try await f.balance(payee.address) == payee0 + 1_200_000 - 4 * fee)

        // The payee closes early: the payer gets the rest and the rent back.
        try await f.client.close(authority: payee, channel: channel)
        #expect(try await f.rpc.accountInfo(channel) == nil)
        #expect(try await f.client.state(channel) == nil)
        #expect(try await f.balance(payee.address) == payee0 + 1_200_000 - 5 * fee)
        // open, top-up and extend cost the payer one fee each; it paid out exactly the vouchers.
        #expect(try await f.balance(payer.address) == payer0 - 1_200_000 - 3 * fee)
    }

    @Test func openWorksOnAnAddressSomeoneAlreadyFunded() async throws {
        let f = try await ChannelFixture.make()
        let payer = try await f.funded(), payee = try await f.funded(WellKnown.lamportsPerSol)
        let griefer = try await f.funded(WellKnown.lamportsPerSol)
        let id = ChannelClient.newChannelId()
        let address = f.client.channelAddress(payer: payer.address, payee: payee.address, channelId: id)
        try await f.rpc.sendAndConfirm([SystemProgram.transfer(from: griefer.address, to: address, lamports: 1_000_000)],
                                       feePayer: griefer)
        let payer0 = try await f.balance(payer.address)
        let rent = try await f.channelRent()
        let (channel, opening, _) = try await f.client.open(payer: payer, payee: payee.address, channelId: id, deposit: 400_000,
                                                   expiry: try await f.now() + 86_400)
        #expect(channel == address)
        #expect(try await f.balance(channel) == 1_000_000 + rent + 400_000)
        #expect(try await f.balance(payer.address) == payer0 - rent - 400_000 - ChannelFixture.fee)
        let state = try #require(try await f.client.state(channel))
        #expect(state.deposit == 400_000 && state.payer == payer.address)
        // The payee settles its last voucher and closes in one transaction; the
        // payer gets the rest, the rent and the stranger's lamports.
        let v = Voucher(channel: channel, opening: opening, amount: 150_000, sequence: 1).signed(by: payer)
        try await f.rpc.sendAndConfirm(f.program.claimInstructions(v, payee: payee.address)
                                       + [f.program.close(authority: payee.address, channel: channel, payer: payer.address)],
                                       feePayer: payee)
        #expect(try await f.rpc.accountInfo(channel) == nil)
        #expect(try await f.balance(payer.address) == payer0 - 150_000 + 1_000_000 - ChannelFixture.fee)
    }

    @Test func channelsAreListedByPayerAndPayee() async throws {
        let f = try await ChannelFixture.make()
        let payer = try await f.funded()
        let a = try await f.openChannel(deposit: 10_000, payer: payer)
        let b = try await f.openChannel(deposit: 20_000, payer: payer)
        let paying = try await f.client.channels(payer: payer.address)
        #expect(Set(paying.map(\.0)) == Set([a.address, b.address]))
        #expect(Set(paying.map(\.1.deposit)) == Set([10_000, 20_000]))
        let paid = try await f.client.channels(payee: a.payee.address)
        #expect(paid.map(\.0) == [a.address])
        #expect(try await f.client.channels(payer: a.payee.address).isEmpty)
    }

    @Test func deployedProgramIsAnUpgradeableProgram() async throws {
        let f = try await ChannelFixture.make()
        let info = try #require(try await f.rpc.accountInfo(f.deployed.programId))
        #expect(info.executable)
        #expect(info.owner == WellKnown.upgradeableLoader)
        let dataAddress = UpgradeableLoader.programDataAddress(program: f.deployed.programId)
        #expect(Array(info.data) == [2, 0, 0, 0] + dataAddress.bytes)
        let programData = try #require(try await f.rpc.accountInfo(dataAddress))
        #expect(programData.data.count == Int(UpgradeableLoader.programDataMetadataSize) + 2 * f.deployed.programSize)
    }

    @Test func upgradeKeepsChannelsWorking() async throws {
        // A program of its own: the shared one must not change under other tests.
        let f = try await ChannelFixture.make()
        let authority = try await f.funded(50 * WellKnown.lamportsPerSol)
        let elf = try Localnet.programBytes()
        let deployer = ProgramDeployer(rpc: f.rpc)
        let id = try await deployer.deploy(elf: elf, payer: authority)
        let client = ChannelClient(rpc: f.rpc, programId: id)
        let payer = try await f.funded(), payee = try await f.funded(WellKnown.lamportsPerSol)
        let (channel, opening, _) = try await client.open(payer: payer, payee: payee.address, channelId: 5, deposit: 90_000,
                                                 expiry: try await f.now() + 86_400)
        try await deployer.upgrade(program: id, elf: elf, authority: authority)
        try await client.claim(Voucher(channel: channel, opening: opening, amount: 30_000, sequence: 1).signed(by: payer),
                               payee: payee.address, feePayer: payee)
        #expect(try #require(try await client.state(channel)).claimed == 30_000)
        // Only the upgrade authority may upgrade; too large a program is refused before anything is sent.
        let stranger = try await f.funded(10 * WellKnown.lamportsPerSol)
        await #expect(throws: ChainError.self) { try await deployer.upgrade(program: id, elf: elf, authority: stranger) }
        await #expect(throws: ChainError.self) {
            try await deployer.upgrade(program: id, elf: elf + [UInt8](repeating: 0, count: elf.count + 1), authority: authority)
        }
        await #expect(throws: ChainError.self) { try await deployer.upgrade(program: payee.address, elf: elf, authority: authority) }
    }

    /// Version 1 of the program (before openings, when the sequence was a
    /// rule), upgraded in place: its channels keep their layout and version-1
    /// voucher bytes, and a payee whose vouchers a payer made unclaimable by
    /// burning the sequence can claim them after the upgrade.
    @Test func upgradingFromVersionOneKeepsItsChannelsClaimable() async throws {
        let f = try await ChannelFixture.make()
        let authority = try await f.funded(50 * WellKnown.lamportsPerSol)
        let deployer = ProgramDeployer(rpc: f.rpc)
        // 5e3c609: the last commit with version 1 of programs/paychannel.c.
        let id = try await deployer.deploy(elf: try Localnet.programBytes(atRevision: "5e3c609"), payer: authority)
        let client = ChannelClient(rpc: f.rpc, programId: id)
        let payer = try await f.funded(), payee = try await f.funded(WellKnown.lamportsPerSol)
        let payee0 = try await f.balance(payee.address)
        let old = try await client.open(payer: payer, payee: payee.address, channelId: 5, deposit: 90_000,
                                        expiry: try await f.now() + 86_400)
        #expect(old.opening == 0)
        #expect(try await client.state(old.channel)?.version == 1)
        let held = Voucher(channel: old.channel, opening: 0, amount: 30_000, sequence: 5).signed(by: payer)
        #expect(held.voucher.signedBytes.count == Voucher.signedSizeV1)
        // Under version 1 the burn works: the payee's voucher is refused.
        try await client.claim(Voucher(channel: old.channel, opening: 0, amount: 1, sequence: .max).signed(by: payer),
                               payee: payee.address, feePayer: payer)
        let refused = try await f.rejected(client.program.claimInstructions(held, payee: payee.address), feePayer: payee)
        #expect(refused?.channelError == .voucherNotNewer)

        try await deployer.upgrade(program: id, elf: try Localnet.programBytes(), authority: authority)
        try await client.claim(held, payee: payee.address, feePayer: payee)
        var state = try #require(try await client.state(old.channel))
        #expect(state.version == 1 && state.claimed == 30_000 && state.opening == 0)
        #expect(try await f.balance(payee.address) == payee0 + 30_000 - 2 * fee - 2 * fee)
        // New openings are version 2 and take only version-2 vouchers.
        let new = try await client.open(payer: payer, payee: payee.address, channelId: 6, deposit: 90_000,
                                        expiry: try await f.now() + 86_400)
        state = try #require(try await client.state(new.channel))
        #expect(state.version == 2 && new.opening > 0)
        let v1Bytes = Voucher(channel: new.channel, opening: 0, amount: 10_000, sequence: 1).signed(by: payer)
        let wrong = try await f.rejected(client.program.claimInstructions(v1Bytes, payee: payee.address), feePayer: payee)
        #expect(wrong?.channelError == .badEd25519)
        try await client.claim(Voucher(channel: new.channel, opening: new.opening, amount: 10_000, sequence: 1).signed(by: payer),
                               payee: payee.address, feePayer: payee)
        #expect(try await client.state(new.channel)?.claimed == 10_000)
        // Making it final: no more upgrades, and the check a payee runs says so.
        let check = ProgramCheck(rpc: f.rpc)
        #expect(try await check.deployed(id).upgradeAuthority == authority.address)
        #expect(try await check.distrust(id, ProgramTrust()) != nil)
        #expect(try await check.distrust(id, ProgramTrust(trustedUpgradeAuthorities: [authority.address])) == nil)
        try await deployer.makeFinal(program: id, authority: authority)
        #expect(try await check.deployed(id).upgradeAuthority == nil)
        #expect(try await check.distrust(id, ProgramTrust()) == nil)
        await #expect(throws: ChainError.self) {
            try await deployer.upgrade(program: id, elf: try Localnet.programBytes(), authority: authority)
        }
    }

    /// The program a payee expects is the one programs/build makes from this
    /// tree (the build is deterministic); the shared program is final.
    @Test func theExpectedBuildIsThisTreesProgramAndTheSharedOneIsFinal() async throws {
        let f = try await ChannelFixture.make()
        let built = ProgramBuild(elf: try Localnet.programBytes())
        #expect(built == .paychannel, "programs/paychannel.c changed: set ProgramBuild.paychannel to \(built)")
        let check = ProgramCheck(rpc: f.rpc)
        #expect(try await check.distrust(f.deployed.programId, ProgramTrust()) == nil)
        #expect(try await check.deployed(f.deployed.programId).upgradeAuthority == nil)
        // Another build at a program id is refused, trusted authority or not.
        let authority = try await f.funded(50 * WellKnown.lamportsPerSol)
        let other = try await ProgramDeployer(rpc: f.rpc).deploy(elf: try Localnet.programBytes(atRevision: "5e3c609"),
                                                                 payer: authority)
        let reason = try await check.distrust(other, ProgramTrust(trustedUpgradeAuthorities: [authority.address]))
        #expect(reason?.contains("not the expected build") == true)
        await #expect(throws: ChainError.self) { try await check.deployed(authority.address) }
    }

    @Test func unreachableRPCIsAClearError() async throws {
        let rpc = try ChannelFixture.unreachableRPC()
        await #expect(throws: ChainError.self) { try await rpc.slot() }
        do {
            _ = try await rpc.slot()
        } catch {
            if case .unreachable = error {} else { Issue.record("expected .unreachable, got \(error)") }
        }
        #expect(throws: ChainError.self) { try SolanaRPC(config: ChainConfig(rpcURL: "ftp://x")) }
    }
}
