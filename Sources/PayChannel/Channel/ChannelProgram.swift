import Identity

/// The payment-channel program's instructions and addresses
/// (docs/paychannel-program.md).
public struct ChannelProgram: Sendable, Equatable {
    public let id: Address

    public init(id: Address) { self.id = id }

    enum Tag: UInt8 { case open = 0, topUp = 1, extend = 2, claim = 3, close = 4 }

    /// The channel account's address: program address of
    /// ["channel", payer, payee, channel id (u64 LE)].
    public func channelAddress(payer: Address, payee: Address, channelId: UInt64) -> Address {
        var id = ByteWriter()
        id.u64(channelId)
        // Four seeds of at most 32 bytes: always within the limits.
        guard let (address, _) = try? ProgramAddress.find(
            seeds: [Array("channel".utf8), payer.bytes, payee.bytes, id.bytes], programId: self.id) else {
            fatalError("no channel address")
        }
        return address
    }

    public func open(payer: Address, payee: Address, channelId: UInt64, deposit: UInt64,
                     expiry: Int64) -> Instruction {
        var w = ByteWriter(capacity: 25)
        w.u8(Tag.open.rawValue)
        w.u64(channelId)
        w.u64(deposit)
        w.i64(expiry)
        return Instruction(programId: id, accounts: [
            .writable(payer, signer: true),
            .readonly(payee),
            .writable(channelAddress(payer: payer, payee: payee, channelId: channelId)),
            .readonly(SystemProgram.id),
        ], data: w.bytes)
    }

    public func topUp(payer: Address, channel: Address, amount: UInt64) -> Instruction {
        var w = ByteWriter(capacity: 9)
        w.u8(Tag.topUp.rawValue)
        w.u64(amount)
        return Instruction(programId: id, accounts: [
            .writable(payer, signer: true), .writable(channel), .readonly(SystemProgram.id),
        ], data: w.bytes)
    }

    public func extend(payer: Address, channel: Address, expiry: Int64) -> Instruction {
        var w = ByteWriter(capacity: 9)
        w.u8(Tag.extend.rawValue)
        w.i64(expiry)
        return Instruction(programId: id, accounts: [.readonly(payer, signer: true), .writable(channel)],
                           data: w.bytes)
    }

    /// The claim instruction alone; it must follow the voucher's precompile
    /// instruction (`claimInstructions` gives both).
    public func claim(channel: Address, payee: Address, amount: UInt64, sequence: UInt64) -> Instruction {
        var w = ByteWriter(capacity: 17)
        w.u8(Tag.claim.rawValue)
        w.u64(amount)
        w.u64(sequence)
        return Instruction(programId: id, accounts: [
            .writable(channel), .writable(payee), .readonly(WellKnown.instructionsSysvar),
        ], data: w.bytes)
    }

    public func claimInstructions(_ voucher: SignedVoucher, payee: Address) -> [Instruction] {
        [voucher.precompileInstruction,
         claim(channel: voucher.voucher.channel, payee: payee, amount: voucher.voucher.amount,
               sequence: voucher.voucher.sequence)]
    }

    public func close(authority: Address, channel: Address, payer: Address) -> Instruction {
        Instruction(programId: id, accounts: [
            .readonly(authority, signer: true), .writable(channel), .writable(payer),
        ], data: [Tag.close.rawValue])
    }
}

/// A channel account's data as the program stores it (112 bytes; version 2,
/// or 1 for a channel opened before the program bound openings).
public struct ChannelState: Sendable, Equatable {
    public static let size = 112
    public var version: UInt8
    public var bump: UInt8
    /// The slot this opening of the channel was made in (0 in version 1):
    /// vouchers name it (`Voucher.opening`).
    public var opening: UInt64
    public var payer: Address
    public var payee: Address
    public var channelId: UInt64
    public var expiry: Int64
    public var deposit: UInt64
    public var claimed: UInt64
    public var sequence: UInt64

    /// Lamports the payee could still be paid.
    public var remaining: UInt64 { deposit >= claimed ? deposit - claimed : 0 }

    public init(decoding data: [UInt8]) throws(SolanaError) {
        guard data.count == Self.size else {
            throw .malformed("a channel account is \(Self.size) bytes, this one is \(data.count)")
        }
        var r = ByteReader(data)
        version = try r.u8()
        guard version == 1 || version == 2 else {
            throw .malformed("channel account version \(version); expected 1 or 2")
        }
        bump = try r.u8()
        opening = try r.take(6).reversed().reduce(0) { $0 << 8 | UInt64($1) }
        guard (version == 2) == (opening != 0) else {
            throw .malformed("channel account version \(version) with opening \(opening)")
        }
        guard let payer = try? Address(bytes: try r.take(32)), let payee = try? Address(bytes: try r.take(32)) else {
            throw .malformed("channel parties")
        }
        self.payer = payer
        self.payee = payee
        channelId = try r.u64()
        expiry = try r.i64()
        deposit = try r.u64()
        claimed = try r.u64()
        sequence = try r.u64()
    }
}

/// The program's custom error codes (InstructionError Custom(n)).
public enum ChannelProgramError: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case invalidInstruction = 100, notEnoughAccounts, missingSignature, notWritable, wrongOwner,
         wrongAccountSize, wrongChannelAddress, wrongPayer, wrongPayee, wrongSystemProgram, wrongSysvar,
         expiryInPast, notExpired, overflow, amountOverDeposit, voucherNotNewer, missingEd25519,
         badEd25519, accountInUse, notInitialized, zeroAmount, expiryNotLater, unauthorized,
         tooManyAccounts, rent, sameSlot

    public var description: String {
        switch self {
        case .invalidInstruction: return "unknown instruction or wrong data length"
        case .notEnoughAccounts: return "too few accounts for the instruction"
        case .missingSignature: return "the payer or closing party did not sign"
        case .notWritable: return "an account that must be writable is read-only"
        case .wrongOwner: return "the channel account is not owned by the channel program"
        case .wrongAccountSize: return "the channel account has the wrong size"
        case .wrongChannelAddress: return "the channel address does not match payer, payee and channel id"
        case .wrongPayer: return "the payer account is not this channel's payer"
        case .wrongPayee: return "the payee account is not this channel's payee"
        case .wrongSystemProgram: return "the System program account is wrong"
        case .wrongSysvar: return "the Instructions sysvar account is wrong"
        case .expiryInPast: return "the expiry is not in the future"
        case .notExpired: return "the channel has not expired yet; only the payee may close it now"
        case .overflow: return "an amount overflows (or the slot does not fit an opening)"
        case .amountOverDeposit: return "the voucher is for more than the deposit"
        case .voucherNotNewer: return "the voucher is not newer than the last claim: its amount is not above what was already claimed (replayed or lower)"
        case .missingEd25519: return "no Ed25519 signature check right before the claim"
        case .badEd25519: return "the Ed25519 check is not over this voucher by the channel's payer"
        case .accountInUse: return "a channel with this id already exists"
        case .notInitialized: return "the channel account is not an open channel"
        case .zeroAmount: return "the amount is zero"
        case .expiryNotLater: return "the new expiry is not later than the current one"
        case .unauthorized: return "only the channel's payer or payee may close it"
        case .tooManyAccounts: return "too many accounts"
        case .rent: return "the Rent sysvar could not be read"
        case .sameSlot: return "a channel cannot be closed in the slot it was opened in; try again"
        }
    }
}
