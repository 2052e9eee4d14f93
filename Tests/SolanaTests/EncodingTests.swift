import Identity
import Testing
@testable import Solana

/// Solana's encodings: compact-u16, program addresses, messages,
/// transactions, JSON and RPC errors.
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

    /// Found by a 10-minute run of the json-rpc fuzzer: a high surrogate
    /// followed by another high surrogate overflowed when combined. The
    /// input is in fuzz/corpus/json-rpc too.
    @Test func loneSurrogatesAreReplacedNotATrap() throws {
        #expect(try JSON.parse(Array(#""a\uDAF0\uDAF1b""#.utf8)) == .string("a\u{FFFD}\u{FFFD}b"))
        #expect(try JSON.parse(Array(#""\uD83D\u0041""#.utf8)) == .string("\u{FFFD}A"))
        #expect(try JSON.parse(Array(#""\uD83D\uDE00""#.utf8)) == .string("😀"))
        let found: [UInt8] = [0x20, 0x22, 0x61, 0x5c, 0x75, 0x44, 0x41, 0x46, 0x30, 0x5c, 0x75, 0x44, 0x41, 0x46, 0x31, 0x75,
                              0x46, 0x44, 0x30, 0x30, 0x5c, 0x65, 0x31, 0x65, 0x5c, 0x74, 0x3f]
        #expect(throws: SolanaError.self) { try JSON.parse(found) }   // a bad escape (\e) after it: refused, never a trap
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
        #expect(throws: ChainError.self) { try SolanaRPC.result(of: Array("<html>".utf8), method: "getSlot") }
    }
}
