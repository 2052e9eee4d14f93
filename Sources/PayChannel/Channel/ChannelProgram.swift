import Identity
import Solana

/// The payment-channel program's instructions and addresses
/// (docs/paychannel-program.md).
public struct ChannelProgram: Sendable, Equatable {
    public let id: Address

    public init(id: Address) {
        _ = ChannelProgramError.named
        self.id = id
    }

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
