import Foundation
import Identity
import PayChannel
import Solana
import TestSupport
import Testing

/// The figures the issue asks for: program size, compute units per
/// instruction, the claim transaction's size and fee. Printed, and the
/// claim's goals checked (under 1232 bytes, two signatures' fees).
@Suite(.timeLimit(.minutes(5))) struct SettlementFiguresTests {
    @Test func measureProgramInstructionsAndClaim() async throws {
        let f = try await ChannelFixture.make()
        let rpc = f.rpc
        let programId = f.program.id
        var lines: [String] = ["program size: \(f.deployed.programSize) bytes"]

        func units(_ ixs: [Instruction], _ payer: KeyPair, _ name: String) async throws -> UInt64 {
            let tx = try await rpc.transaction(ixs, feePayer: payer)
            let sim = try await rpc.simulate(tx)
            #expect(sim.failure == nil, "\(name): \(sim.logs)")
            let cu = try #require(sim.unitsConsumed(by: programId))
            lines.append("\(name): \(cu) compute units, transaction \(tx.serialized().count) bytes, fee \(UInt64(tx.feeSignatureCount) * WellKnown.lamportsPerSignature) lamports")
            return cu
        }

        let payer = try await f.funded(), payee = try await f.funded(WellKnown.lamportsPerSol)
        let id = ChannelClient.newChannelId()
        let expiry = try await f.now() + 86_400
        _ = try await units([f.program.open(payer: payer.address, payee: payee.address, channelId: id, deposit: 1_000_000,
                                            expiry: expiry)], payer, "open")
        let (channel, opening, _) = try await f.client.open(payer: payer, payee: payee.address, channelId: id, deposit: 1_000_000, expiry: expiry)
        _ = try await units([f.program.topUp(payer: payer.address, channel: channel, amount: 1000)], payer, "top_up")
        _ = try await units([f.program.extend(payer: payer.address, channel: channel, expiry: expiry + 60)], payer, "extend")
        let voucher = Voucher(channel: channel, opening: opening, amount: 40_000, sequence: 1).signed(by: payer)
        _ = try await units(f.program.claimInstructions(voucher, payee: payee.address), payee, "claim")
        _ = try await units([f.program.close(authority: payee.address, channel: channel, payer: payer.address)], payee, "close")

        // The claim for real: its size and fee, measured on the payee's balance.
        let claimTx = try await rpc.transaction(f.program.claimInstructions(voucher, payee: payee.address), feePayer: payee)
        let before = try await f.balance(payee.address)
        try await rpc.confirm(try await rpc.send(claimTx))
        let after = try await f.balance(payee.address)
        let fee = before + 40_000 - after
        lines.append("claim transaction: \(claimTx.serialized().count) bytes, fee \(fee) lamports (\(fee / WellKnown.lamportsPerSignature) signatures)")
        #expect(claimTx.serialized().count < Transaction.maximumSize)
        #expect(fee == 2 * WellKnown.lamportsPerSignature)
        print(lines.map { "settlement figures: " + $0 }.joined(separator: "\n"))
    }
}
