import Identity

/// One account an instruction uses, and how.
public struct AccountMeta: Sendable, Equatable {
    public var address: Address
    public var isSigner: Bool
    public var isWritable: Bool

    public init(_ address: Address, signer: Bool = false, writable: Bool = false) {
        self.address = address
        self.isSigner = signer
        self.isWritable = writable
    }

    public static func writable(_ a: Address, signer: Bool = false) -> AccountMeta {
        AccountMeta(a, signer: signer, writable: true)
    }

    public static func readonly(_ a: Address, signer: Bool = false) -> AccountMeta {
        AccountMeta(a, signer: signer, writable: false)
    }
}

/// An instruction before compilation into a message: program, accounts, data.
public struct Instruction: Sendable, Equatable {
    public var programId: Address
    public var accounts: [AccountMeta]
    public var data: [UInt8]

    public init(programId: Address, accounts: [AccountMeta], data: [UInt8]) {
        self.programId = programId
        self.accounts = accounts
        self.data = data
    }
}
