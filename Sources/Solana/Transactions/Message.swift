import Identity

/// A legacy Solana message: header, account keys, recent blockhash and
/// compiled instructions, as the runtime serializes it.
public struct Message: Sendable, Equatable {
    public struct Header: Sendable, Equatable {
        public var requiredSignatures: UInt8
        public var readonlySigned: UInt8
        public var readonlyUnsigned: UInt8
    }

    public struct CompiledInstruction: Sendable, Equatable {
        public var programIndex: UInt8
        public var accountIndices: [UInt8]
        public var data: [UInt8]
    }

    public var header: Header
    public var accountKeys: [Address]
    public var recentBlockhash: [UInt8]
    public var instructions: [CompiledInstruction]

    /// Compiles instructions into a message. The fee payer comes first; then
    /// writable signers, read-only signers, writable non-signers and
    /// read-only non-signers, each group sorted by key bytes (as the Solana
    /// SDK orders them). An account's flags are the union over every use.
    public init(feePayer: Address, instructions: [Instruction], recentBlockhash: [UInt8]) throws(SolanaError) {
        guard recentBlockhash.count == 32 else { throw .malformed("a blockhash is 32 bytes, got \(recentBlockhash.count)") }
        var flags: [Address: (signer: Bool, writable: Bool)] = [feePayer: (true, true)]
        for ix in instructions {
            if flags[ix.programId] == nil { flags[ix.programId] = (false, false) }
            for meta in ix.accounts {
                let old = flags[meta.address] ?? (false, false)
                flags[meta.address] = (old.signer || meta.isSigner, old.writable || meta.isWritable)
            }
        }
        guard flags.count <= 256 else { throw .tooManyAccounts(flags.count) }
        let others = flags.keys.filter { $0 != feePayer }.sorted()
        func group(_ signer: Bool, _ writable: Bool) -> [Address] {
            others.filter { flags[$0]!.signer == signer && flags[$0]!.writable == writable }
        }
        let writableSigners = [feePayer] + group(true, true)
        let readonlySigners = group(true, false)
        let writableOthers = group(false, true)
        let readonlyOthers = group(false, false)
        let keys = writableSigners + readonlySigners + writableOthers + readonlyOthers
        var index: [Address: UInt8] = [:]
        for (i, k) in keys.enumerated() { index[k] = UInt8(i) }

        var compiled: [CompiledInstruction] = []
        for ix in instructions {
            guard ix.accounts.count <= 255, ix.data.count <= 0xFFFF else {
                throw .tooManyAccounts(ix.accounts.count)
            }
            compiled.append(CompiledInstruction(programIndex: index[ix.programId]!,
                                                accountIndices: ix.accounts.map { index[$0.address]! },
                                                data: ix.data))
        }
        self.header = Header(requiredSignatures: UInt8(writableSigners.count + readonlySigners.count),
                             readonlySigned: UInt8(readonlySigners.count),
                             readonlyUnsigned: UInt8(readonlyOthers.count))
        self.accountKeys = keys
        self.recentBlockhash = recentBlockhash
        self.instructions = compiled
    }

    /// The accounts that must sign, in signature order.
    public var signerKeys: [Address] { Array(accountKeys.prefix(Int(header.requiredSignatures))) }

    public func isWritable(index i: Int) -> Bool {
        let signed = Int(header.requiredSignatures)
        if i < signed { return i < signed - Int(header.readonlySigned) }
        return i < accountKeys.count - Int(header.readonlyUnsigned)
    }

    /// The bytes that signatures cover.
    public func serialized() -> [UInt8] {
        var w = ByteWriter(capacity: 256)
        w.u8(header.requiredSignatures)
        w.u8(header.readonlySigned)
        w.u8(header.readonlyUnsigned)
        w.compactU16(accountKeys.count)
        for k in accountKeys { w.append(k.bytes) }
        w.append(recentBlockhash)
        w.compactU16(instructions.count)
        for ix in instructions {
            w.u8(ix.programIndex)
            w.compactU16(ix.accountIndices.count)
            w.append(ix.accountIndices)
            w.compactU16(ix.data.count)
            w.append(ix.data)
        }
        return w.bytes
    }

    /// Decodes a legacy message (versioned messages are refused).
    public init(decoding bytes: [UInt8]) throws(SolanaError) {
        var r = ByteReader(bytes)
        try self.init(reading: &r)
        guard r.remaining == 0 else { throw .malformed("\(r.remaining) bytes after the message") }
    }

    init(reading r: inout ByteReader) throws(SolanaError) {
        let first = try r.u8()
        guard first & 0x80 == 0 else { throw .malformed("a versioned message; only legacy messages are handled") }
        header = Header(requiredSignatures: first, readonlySigned: try r.u8(), readonlyUnsigned: try r.u8())
        let keyCount = try r.compactU16()
        var keys: [Address] = []
        for _ in 0..<keyCount {
            let raw = try r.take(32)
            guard let a = try? Address(bytes: raw) else { throw .malformed("account key") }
            keys.append(a)
        }
        accountKeys = keys
        guard Int(header.requiredSignatures) <= keys.count,
              Int(header.readonlySigned) <= Int(header.requiredSignatures),
              Int(header.readonlyUnsigned) <= keys.count - Int(header.requiredSignatures) else {
            throw .malformed("message header does not fit its \(keys.count) account keys")
        }
        recentBlockhash = try r.take(32)
        let ixCount = try r.compactU16()
        var ixs: [CompiledInstruction] = []
        for _ in 0..<ixCount {
            let program = try r.u8()
            let n = try r.compactU16()
            let accounts = try r.take(n)
            let len = try r.compactU16()
            let data = try r.take(len)
            guard Int(program) < keys.count, accounts.allSatisfy({ Int($0) < keys.count }) else {
                throw .malformed("instruction names an account index past the key list")
            }
            ixs.append(CompiledInstruction(programIndex: program, accountIndices: accounts, data: data))
        }
        instructions = ixs
    }
}
