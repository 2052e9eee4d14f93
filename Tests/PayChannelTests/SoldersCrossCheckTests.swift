import Foundation
import Identity
import PayChannel
import Solana
import TestSupport
import Testing

/// Transactions built by our Swift code, decoded by an independent
/// implementation (solders, through localnet/decode_tx.py in the venv): the
/// same signatures, signers, accounts, writability and instructions, and
/// solders' own message compiler orders the accounts byte for byte as we do.
@Suite struct SoldersCrossCheckTests {
    struct Decoded: Decodable {
        struct Ix: Decodable { let programId: String; let accounts: [String]; let data: String }
        let signatures: [String]
        let signaturesVerify: Bool
        let recompiledEqual: Bool
        let header: [Int]
        let accountKeys: [String]
        let signers: [String]
        let writable: [String]
        let recentBlockhash: String
        let instructions: [Ix]
        let size: Int
    }

    func decode(_ tx: Transaction) throws -> Decoded {
        let script = Localnet.repositoryRoot.appendingPathComponent("localnet/decode_tx.py").path
        let b64 = Data(tx.serialized()).base64EncodedString()
        let out = try Localnet.run(Localnet.python, [script, b64])
        return try JSONDecoder().decode(Decoded.self, from: Data(out.utf8))
    }

    func check(_ instructions: [Instruction], payer: KeyPair, signers: [KeyPair] = [],
               sourceLocation: SourceLocation = #_sourceLocation) throws {
        let blockhash = (0..<32).map { _ in UInt8.random(in: 0...255) }
        let tx = try Transaction(instructions: instructions, feePayer: payer.address, recentBlockhash: blockhash,
                                 signers: [payer] + signers)
        let d = try decode(tx)
        #expect(d.signatures == tx.signatures.map { Base58.encode($0) }, sourceLocation: sourceLocation)
        #expect(d.signaturesVerify, sourceLocation: sourceLocation)
        #expect(d.recompiledEqual, "solders orders accounts differently", sourceLocation: sourceLocation)
        let m = tx.message
        #expect(d.header == [Int(m.header.requiredSignatures), Int(m.header.readonlySigned), Int(m.header.readonlyUnsigned)],
                sourceLocation: sourceLocation)
        #expect(d.accountKeys == m.accountKeys.map(\.base58), sourceLocation: sourceLocation)
        #expect(d.signers[0] == payer.address.base58, sourceLocation: sourceLocation)
        #expect(Set(d.signers) == Set(([payer] + signers).map(\.address.base58)), sourceLocation: sourceLocation)
        let writable = Set(instructions.flatMap { $0.accounts.filter(\.isWritable).map(\.address.base58) } + [payer.address.base58])
        #expect(Set(d.writable) == writable, sourceLocation: sourceLocation)
        #expect(d.recentBlockhash == Base58.encode(blockhash), sourceLocation: sourceLocation)
        #expect(d.instructions.count == instructions.count, sourceLocation: sourceLocation)
        for (got, want) in zip(d.instructions, instructions) {
            #expect(got.programId == want.programId.base58, sourceLocation: sourceLocation)
            #expect(got.accounts == want.accounts.map(\.address.base58), sourceLocation: sourceLocation)
            #expect(got.data == want.data.map { String(format: "%02x", $0) }.joined(), sourceLocation: sourceLocation)
        }
        #expect(d.size == tx.serialized().count, sourceLocation: sourceLocation)
    }

    @Test func channelInstructionsDecodeTheSame() throws {
        let program = ChannelProgram(id: KeyPair.generate().address)
        let payer = KeyPair.generate(), payee = KeyPair.generate()
        let channel = program.channelAddress(payer: payer.address, payee: payee.address, channelId: 77)
        try check([program.open(payer: payer.address, payee: payee.address, channelId: 77, deposit: 5_000_000,
                                expiry: 1_900_000_000)], payer: payer)
        try check([program.topUp(payer: payer.address, channel: channel, amount: 1)], payer: payer)
        try check([program.extend(payer: payer.address, channel: channel, expiry: 2_000_000_000)], payer: payer)
        let voucher = Voucher(channel: channel, opening: 4242, amount: 123_456, sequence: 9).signed(by: payer)
        try check(program.claimInstructions(voucher, payee: payee.address), payer: payee)
        try check(program.claimInstructions(voucher, payee: payee.address), payer: KeyPair.generate())
        try check(program.claimInstructions(voucher, payee: payee.address)
                  + [program.close(authority: payee.address, channel: channel, payer: payer.address)], payer: payee)
        try check([program.close(authority: payer.address, channel: channel, payer: payer.address)], payer: payer)
    }

    @Test func loaderAndSystemInstructionsDecodeTheSame() throws {
        let payer = KeyPair.generate(), buffer = KeyPair.generate(), programKey = KeyPair.generate()
        try check([SystemProgram.createAccount(from: payer.address, to: buffer.address, lamports: 99, space: 1037,
                                               owner: UpgradeableLoader.id),
                   UpgradeableLoader.initializeBuffer(buffer: buffer.address, authority: payer.address)],
                  payer: payer, signers: [buffer])
        try check([UpgradeableLoader.write(buffer: buffer.address, authority: payer.address, offset: 1800,
                                           bytes: (0..<900).map { UInt8($0 % 251) })], payer: payer)
        try check([SystemProgram.createAccount(from: payer.address, to: programKey.address, lamports: 1, space: 36,
                                               owner: UpgradeableLoader.id),
                   UpgradeableLoader.deployWithMaxDataLen(payer: payer.address, program: programKey.address,
                                                          buffer: buffer.address, authority: payer.address,
                                                          maxDataLen: 30_000)],
                  payer: payer, signers: [programKey])
        try check([SystemProgram.transfer(from: payer.address, to: buffer.address, lamports: 5)], payer: payer)
    }
}
