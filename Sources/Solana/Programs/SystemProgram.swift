import Identity

/// Instructions of the System program (bincode: u32 tag, then the fields).
public enum SystemProgram {
    public static let id = WellKnown.systemProgram

    /// CreateAccount: `from` pays `lamports` into the new account `to`
    /// (which must sign), allocates `space` bytes and assigns it to `owner`.
    public static func createAccount(from: Address, to: Address, lamports: UInt64, space: UInt64,
                                     owner: Address) -> Instruction {
        var w = ByteWriter(capacity: 52)
        w.u32(0)
        w.u64(lamports)
        w.u64(space)
        w.append(owner.bytes)
        return Instruction(programId: id, accounts: [.writable(from, signer: true), .writable(to, signer: true)],
                           data: w.bytes)
    }

    public static func transfer(from: Address, to: Address, lamports: UInt64) -> Instruction {
        var w = ByteWriter(capacity: 12)
        w.u32(2)
        w.u64(lamports)
        return Instruction(programId: id, accounts: [.writable(from, signer: true), .writable(to)], data: w.bytes)
    }
}
