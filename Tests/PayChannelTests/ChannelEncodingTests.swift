import Identity
import Solana
import Testing
@testable import PayChannel

/// The channel program's encodings: its addresses, vouchers, channel
/// accounts and error codes.
@Suite struct ChannelEncodingTests {
    @Test func channelAddressesMatchTheRuntime() throws {
        // Vectors from solders' find_program_address (independent implementation).
        let program = try Address(base58: "AgFFgdJARVyMN1XJXGbF5hoRL7pvS9m3UG2KceF9jZnB")
        let payer = try Address(base58: "4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T")
        let payee = try Address(base58: "9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin")
        let channels = ChannelProgram(id: program)
        #expect(channels.channelAddress(payer: payer, payee: payee, channelId: 42).base58
                == "HM9rEjr2txrnphHoRbvo7PBgSZ6Vj35WumhAfVLPvtzC")
        #expect(channels.channelAddress(payer: payer, payee: payee, channelId: .max).base58
                == "GASMcv1Qjmthu3Y5BZdLJnhpeZbrTq5PC44iQ77cBr5K")
    }

    @Test func voucherBytesAreTheDocumentedLayout() throws {
        let channel = try Address(bytes: Array(1...32))
        let v = Voucher(channel: channel, opening: 0x0A0B_0C0D, amount: 0x0102_0304_0506_0708, sequence: 3)
        let bytes = v.signedBytes
        #expect(bytes.count == 75 && Voucher.signedSize == 75)
        #expect(Array(bytes[0..<19]) == Array("peernode-voucher-v2".utf8))
        #expect(Array(bytes[19..<51]) == Array(1...32))
        #expect(Array(bytes[51..<59]) == [0x0D, 0x0C, 0x0B, 0x0A, 0, 0, 0, 0])
        #expect(Array(bytes[59..<67]) == [8, 7, 6, 5, 4, 3, 2, 1])
        #expect(Array(bytes[67..<75]) == [3, 0, 0, 0, 0, 0, 0, 0])
        let payer = KeyPair.generate()
        let signed = v.signed(by: payer)
        #expect(signed.isValid)
        var forged = signed
        forged.voucher.amount += 1
        #expect(!forged.isValid)
        var otherOpening = signed
        otherOpening.voucher.opening += 1
        #expect(!otherOpening.isValid)
        let ix = signed.precompileInstruction
        #expect(ix.programId == WellKnown.ed25519Program)
        #expect(ix.data.count == 16 + 32 + 64 + 75)
        #expect(Array(ix.data[16..<48]) == payer.publicKey)
        // The wire form carries the opening and gives back the same voucher.
        #expect(signed.wire.count == SignedVoucher.wireSize && SignedVoucher.wireSize == 152)
        #expect(try SignedVoucher(wire: signed.wire) == signed)
        #expect(throws: SolanaError.self) { try SignedVoucher(wire: Array(signed.wire.dropLast())) }
        #expect(throws: SolanaError.self) { try SignedVoucher(wire: signed.wire + [0]) }
    }

    /// Channels opened by version 1 of the program (opening 0) keep the
    /// version-1 bytes, so vouchers held on them stay claimable after the upgrade.
    @Test func versionOneVoucherBytesForOldChannels() throws {
        let channel = try Address(bytes: Array(1...32))
        let bytes = Voucher(channel: channel, opening: 0, amount: 0x0102_0304_0506_0708, sequence: 3).signedBytes
        #expect(bytes.count == 67 && Voucher.signedSizeV1 == 67)
        #expect(Array(bytes[0..<19]) == Array("peernode-voucher-v1".utf8))
        #expect(Array(bytes[19..<51]) == Array(1...32))
        #expect(Array(bytes[51..<59]) == [8, 7, 6, 5, 4, 3, 2, 1])
        #expect(Array(bytes[59..<67]) == [3, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test func channelStateDecodesBothVersions() throws {
        var data = [UInt8](repeating: 0, count: 112)
        data[0] = 2; data[1] = 254; data[2] = 0x34; data[3] = 0x12; data[7] = 0x01
        for i in 8..<72 { data[i] = UInt8(i) }
        let v2 = try ChannelState(decoding: data)
        #expect(v2.version == 2 && v2.bump == 254 && v2.opening == 0x0100_0000_1234)
        data[0] = 1
        #expect(throws: SolanaError.self) { try ChannelState(decoding: data) }   // version 1 has no opening
        for i in 2..<8 { data[i] = 0 }
        #expect(try ChannelState(decoding: data).opening == 0)
        data[0] = 2
        #expect(throws: SolanaError.self) { try ChannelState(decoding: data) }   // version 2 always has one
        data[0] = 3
        #expect(throws: SolanaError.self) { try ChannelState(decoding: data) }
    }

    @Test func channelStateRejectsWrongSizes() {
        #expect(throws: SolanaError.self) { try ChannelState(decoding: [UInt8](repeating: 1, count: 111)) }
        #expect(throws: SolanaError.self) { try ChannelState(decoding: [UInt8](repeating: 0, count: 112)) }
        #expect(throws: SolanaError.self) { try ChannelState(decoding: [UInt8](repeating: 1, count: 113)) }
    }

    @Test func channelErrorsAreNamed() {
        #expect(TransactionFailure.instruction(index: 1, .custom(115)).channelError == .voucherNotNewer)
        // Solana knows no program's codes; PayChannel names its own.
        _ = ChannelProgram(id: KeyPair.generate().address)
        #expect(InstructionFailure.custom(115).description == "custom program error 115 (\(ChannelProgramError.voucherNotNewer))")
    }
}
