import Identity
import Testing
@testable import PayChannel

@Suite struct EncodingTests {
    @Test func compactU16Vectors() throws {
        let vectors: [(Int, [UInt8])] = [
            (0, [0x00]), (1, [0x01]), (127, [0x7F]), (128, [0x80, 0x01]), (255, [0xFF, 0x01]),
            (16383, [0xFF, 0x7F]), (16384, [0x80, 0x80, 0x01]), (65535, [0xFF, 0xFF, 0x03]),
        ]
        for (value, bytes) in vectors {
            var w = ByteWriter()
            w.compactU16(value)
            #expect(w.bytes == bytes, "encode \(value)")
            var r = ByteReader(bytes)
            #expect(try r.compactU16() == value)
        }
    }

    @Test func compactU16RejectsBadEncodings() {
        for bad: [UInt8] in [[0x80, 0x00], [0xFF, 0xFF, 0x04], [0x80, 0x80, 0x80, 0x01], [0x80], []] {
            var r = ByteReader(bad)
            #expect(throws: SolanaError.self) { try r.compactU16() }
        }
    }

    @Test func programAddressesMatchTheRuntime() throws {
        // Vectors from solders' find_program_address (independent implementation).
        let loader = WellKnown.upgradeableLoader
        let program = try Address(base58: "AgFFgdJARVyMN1XJXGbF5hoRL7pvS9m3UG2KceF9jZnB")
        let (data, bump) = try ProgramAddress.find(seeds: [program.bytes], programId: loader)
        #expect(data.base58 == "8vSjuPN4hpjHiKP5MRtZsiFY8fCdBVCCUhNhxmrXvqnT")
        #expect(bump == 254)

        let payer = try Address(base58: "4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T")
        let payee = try Address(base58: "9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin")
        let channels = ChannelProgram(id: program)
        #expect(channels.channelAddress(payer: payer, payee: payee, channelId: 42).base58
                == "HM9rEjr2txrnphHoRbvo7PBgSZ6Vj35WumhAfVLPvtzC")
        #expect(channels.channelAddress(payer: payer, payee: payee, channelId: .max).base58
                == "GASMcv1Qjmthu3Y5BZdLJnhpeZbrTq5PC44iQ77cBr5K")

        var seed = ByteWriter()
        seed.u32(14)
        let (a, b) = try ProgramAddress.find(seeds: [Array("x".utf8), seed.bytes], programId: program)
        #expect(a.base58 == "2uefyfLcZovrXDUsZb2hB1Vz1qBnEDAAv6yFaPUkwURv")
        #expect(b == 250)
    }

    @Test func publicKeysAreOnTheCurve() {
        for _ in 0..<20 { #expect(Edwards25519.isOnCurve(KeyPair.generate().publicKey)) }
        #expect(!Edwards25519.isOnCurve([UInt8](repeating: 0, count: 31)))
    }

    @Test func programAddressSeedLimits() {
        let id = WellKnown.systemProgram
        #expect(throws: SolanaError.self) { try ProgramAddress.create(seeds: [[UInt8](repeating: 1, count: 33)], programId: id) }
        #expect(throws: SolanaError.self) { try ProgramAddress.find(seeds: Array(repeating: [1], count: 16), programId: id) }
    }

    @Test func messageOrdersAccountsAndCountsHeader() throws {
        let payer = KeyPair.generate(), other = KeyPair.generate()
        let ro = KeyPair.generate().address, rw = KeyPair.generate().address
        let program = KeyPair.generate().address
        let ix = Instruction(programId: program, accounts: [
            .readonly(ro), .writable(rw), .readonly(other.address, signer: true), .readonly(payer.address),
        ], data: [1, 2, 3])
        let msg = try Message(feePayer: payer.address, instructions: [ix], recentBlockhash: [UInt8](repeating: 7, count: 32))
        #expect(msg.header.requiredSignatures == 2)
        #expect(msg.header.readonlySigned == 1)
        #expect(msg.header.readonlyUnsigned == 2)  // ro and the program
        #expect(msg.accountKeys[0] == payer.address)
        #expect(msg.accountKeys[1] == other.address)
        #expect(msg.accountKeys[2] == rw)
        #expect(Set(msg.accountKeys[3...]) == Set([ro, program]))
        #expect(msg.isWritable(index: 0) && !msg.isWritable(index: 1) && msg.isWritable(index: 2) && !msg.isWritable(index: 3))
        let decoded = try Message(decoding: msg.serialized())
        #expect(decoded == msg)
    }

    @Test func transactionSignsRoundTripsAndChecksSigners() throws {
        let payer = KeyPair.generate(), extra = KeyPair.generate()
        let ix = SystemProgram.createAccount(from: payer.address, to: extra.address, lamports: 1, space: 0,
                                             owner: WellKnown.systemProgram)
        let blockhash = [UInt8](repeating: 9, count: 32)
        let tx = try Transaction(instructions: [ix], feePayer: payer.address, recentBlockhash: blockhash,
                                 signers: [extra, payer])
        #expect(tx.signaturesVerify)
        #expect(tx.signatures.count == 2)
        let again = try Transaction(decoding: tx.serialized())
        #expect(again == tx)
        #expect(again.signature == Base58.encode(tx.signatures[0]))
        #expect(throws: SolanaError.self) {
            try Transaction(instructions: [ix], feePayer: payer.address, recentBlockhash: blockhash, signers: [payer])
        }
        #expect(throws: SolanaError.self) {
            try Transaction(instructions: [ix], feePayer: payer.address, recentBlockhash: blockhash,
                            signers: [payer, extra, KeyPair.generate()])
        }
        var wire = tx.serialized()
        wire.removeLast()
        #expect(throws: SolanaError.self) { try Transaction(decoding: wire) }
        #expect(throws: SolanaError.self) { try Transaction(decoding: tx.serialized() + [0]) }
        #expect(throws: SolanaError.transactionTooLarge(size: 5000)) { try Transaction(decoding: [UInt8](repeating: 1, count: 5000)) }
        #expect(throws: SolanaError.self) { try Transaction(decoding: []) }
        #expect(throws: SolanaError.self) { try Transaction(decoding: [0xFF, 0xFF, 0x03]) }
    }

    @Test func oversizeTransactionIsRefused() {
        let payer = KeyPair.generate()
        let ix = Instruction(programId: WellKnown.systemProgram, accounts: [], data: [UInt8](repeating: 0, count: 1200))
        #expect(throws: SolanaError.transactionTooLarge(size: 1370)) {
            try Transaction(instructions: [ix], feePayer: payer.address, recentBlockhash: [UInt8](repeating: 0, count: 32),
                            signers: [payer])
        }
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

    @Test func jsonParsesExactIntegersAndRejectsJunk() throws {
        let v = try JSON.parse(Array(#"{"a":[1,-2,18446744073709551615,1.5,"x\"\u00e9\n",true,null],"b":{}}"#.utf8))
        let a = try #require(v["a"]?.array)
        #expect(a[0].uint64 == 1)
        #expect(a[1].int64 == -2)
        #expect(a[2].uint64 == .max)
        #expect(a[3] == .double(1.5))
        #expect(a[4].string == "x\"é\n")
        #expect(a[5].bool == true && a[6].isNull)
        #expect(try JSON.parse(Array(v.description.utf8)) == v)
        for bad in ["", "{", "[1,", "{\"a\" 1}", "\"abc", "[1] x", "nul", "{\"a\":}"] {
            #expect(throws: SolanaError.self, "\(bad)") { try JSON.parse(Array(bad.utf8)) }
        }
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: SolanaError.self) { try JSON.parse(Array(deep.utf8)) }
    }

    @Test func rpcErrorsDecodeTheTransactionError() {
        let body = Array(#"{"jsonrpc":"2.0","error":{"code":-32002,"message":"Transaction simulation failed: Error processing Instruction 1: custom program error: 0x73","data":{"err":{"InstructionError":[1,{"Custom":115}]},"logs":["Program log: x"]}},"id":1}"#.utf8)
        #expect(throws: ChainError.rpc(code: -32002, message: "Transaction simulation failed: Error processing Instruction 1: custom program error: 0x73",
                                       failure: .instruction(index: 1, .custom(115)), logs: ["Program log: x"])) {
            try SolanaRPC.result(of: body, method: "sendTransaction")
        }
        #expect(TransactionFailure(json: .string("BlockhashNotFound")) == .named("BlockhashNotFound"))
        #expect(TransactionFailure(json: try! JSON.parse(Array(#"{"InstructionError":[0,"InvalidArgument"]}"#.utf8)))
                == .instruction(index: 0, .named("InvalidArgument")))
        #expect(TransactionFailure.instruction(index: 1, .custom(115)).channelError == .voucherNotNewer)
        #expect(throws: ChainError.self) { try SolanaRPC.result(of: Array("<html>".utf8), method: "getSlot") }
    }
}
