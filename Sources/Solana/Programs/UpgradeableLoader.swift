import Identity

/// The upgradeable BPF loader (BPFLoaderUpgradeab1e...): how programs are
/// deployed on every cluster. A deployment is: create a buffer account and
/// initialize it, write the program into it piece by piece, then
/// DeployWithMaxDataLen creates the program and its programdata account.
public enum UpgradeableLoader {
    public static let id = WellKnown.upgradeableLoader

    /// Bytes of loader state in front of the program in a buffer account.
    public static let bufferMetadataSize: UInt64 = 37
    /// Size of a program account (its state points at the programdata account).
    public static let programAccountSize: UInt64 = 36
    /// Bytes of loader state in front of the program in a programdata account.
    public static let programDataMetadataSize: UInt64 = 45
    /// A Write instruction's payload that keeps the transaction under 1232 bytes.
    public static let writeChunkSize = 900

    public static func programDataAddress(program: Address) -> Address {
        // One 32-byte seed: always succeeds in practice; a failure is a broken invariant.
        guard let (address, _) = try? ProgramAddress.find(seeds: [program.bytes], programId: id) else {
            fatalError("no programdata address for \(program)")
        }
        return address
    }

    public static func initializeBuffer(buffer: Address, authority: Address) -> Instruction {
        var w = ByteWriter()
        w.u32(0)
        return Instruction(programId: id, accounts: [.writable(buffer), .readonly(authority)], data: w.bytes)
    }

    public static func write(buffer: Address, authority: Address, offset: UInt32, bytes: [UInt8]) -> Instruction {
        var w = ByteWriter(capacity: 16 + bytes.count)
        w.u32(1)
        w.u32(offset)
        w.u64(UInt64(bytes.count))
        w.append(bytes)
        return Instruction(programId: id, accounts: [.writable(buffer), .readonly(authority, signer: true)],
                           data: w.bytes)
    }

    /// Replaces a deployed program with the buffer's contents; the buffer's
    /// lamports go to `spill`. The programdata account must have room.
    public static func upgrade(program: Address, buffer: Address, spill: Address, authority: Address) -> Instruction {
        var w = ByteWriter()
        w.u32(3)
        return Instruction(programId: id, accounts: [
            .writable(programDataAddress(program: program)),
            .writable(program),
            .writable(buffer),
            .writable(spill),
            .readonly(WellKnown.rentSysvar),
            .readonly(WellKnown.clockSysvar),
            .readonly(authority, signer: true),
        ], data: w.bytes)
    }

    /// SetAuthority on a program: `newAuthority` nil makes it final (no one
    /// can upgrade it again, ever).
    public static func setAuthority(program: Address, current: Address, newAuthority: Address?) -> Instruction {
        var w = ByteWriter()
        w.u32(4)
        var accounts: [AccountMeta] = [.writable(programDataAddress(program: program)), .readonly(current, signer: true)]
        if let newAuthority { accounts.append(.readonly(newAuthority)) }
        return Instruction(programId: id, accounts: accounts, data: w.bytes)
    }

    /// A programdata account's upgrade authority: nil when the program is
    /// final. Throws when the bytes are not a programdata account.
    public static func upgradeAuthority(programData data: [UInt8]) throws(SolanaError) -> Address? {
        // u32 tag 3, u64 slot, Option<Pubkey>: 0, or 1 and 32 bytes.
        guard data.count >= Int(programDataMetadataSize), data[0] == 3, data[1] == 0, data[2] == 0, data[3] == 0 else {
            throw .malformed("not an upgradeable loader programdata account")
        }
        switch data[12] {
        case 0: return nil
        case 1:
            guard let authority = try? Address(bytes: Array(data[13..<45])) else { throw .malformed("upgrade authority") }
            return authority
        case let tag: throw .malformed("upgrade authority option tag \(tag)")
        }
    }

    public static func deployWithMaxDataLen(payer: Address, program: Address, buffer: Address,
                                            authority: Address, maxDataLen: UInt64) -> Instruction {
        var w = ByteWriter()
        w.u32(2)
        w.u64(maxDataLen)
        return Instruction(programId: id, accounts: [
            .writable(payer, signer: true),
            .writable(programDataAddress(program: program)),
            .writable(program),
            .writable(buffer),
            .readonly(WellKnown.rentSysvar),
            .readonly(WellKnown.clockSysvar),
            .readonly(SystemProgram.id),
            .readonly(authority, signer: true),
        ], data: w.bytes)
    }
}
