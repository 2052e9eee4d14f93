import Identity
import Solana

/// A payer's promise of a cumulative amount on one opening of a channel
/// (docs/vouchers.md). The payer signs exactly `signedBytes` with plain
/// Ed25519: the on-chain check is Solana's Ed25519 precompile, which
/// verifies a signature over the message as given; the
/// "peernode-voucher-v2" prefix separates the domain.
public struct Voucher: Sendable, Equatable, Hashable {
    public static let domain = Array("peernode-voucher-v2".utf8)
    /// The bytes of channels opened by version 1 of the program (no opening).
    public static let domainV1 = Array("peernode-voucher-v1".utf8)
    public static let signedSize = 19 + 32 + 8 + 8 + 8
    public static let signedSizeV1 = 19 + 32 + 8 + 8

    public var channel: Address
    /// Which opening of the channel address this voucher pays on: the slot
    /// the open landed in, as the channel account records it
    /// (`ChannelState.opening`). 0 for a channel opened by version 1 of the
    /// program, whose vouchers are signed in the version-1 bytes.
    public var opening: UInt64
    /// Cumulative lamports: what orders vouchers, on chain and off.
    public var amount: UInt64
    /// The payer's running number, for the books; the program does not order by it.
    public var sequence: UInt64

    public init(channel: Address, opening: UInt64, amount: UInt64, sequence: UInt64) {
        self.channel = channel
        self.opening = opening
        self.amount = amount
        self.sequence = sequence
    }

    /// The 75 bytes (67 for a version-1 channel) the payer signs and the program rebuilds.
    public var signedBytes: [UInt8] {
        var w = ByteWriter(capacity: Self.signedSize)
        w.append(opening == 0 ? Self.domainV1 : Self.domain)
        w.append(channel.bytes)
        if opening != 0 { w.u64(opening) }
        w.u64(amount)
        w.u64(sequence)
        return w.bytes
    }

    public func signed(by payer: KeyPair) -> SignedVoucher {
        SignedVoucher(voucher: self, payer: payer.address, signature: payer.sign(signedBytes))
    }
}

/// A voucher with the payer's signature.
public struct SignedVoucher: Sendable, Equatable, Hashable {
    public var voucher: Voucher
    public var payer: Address
    public var signature: [UInt8]

    public init(voucher: Voucher, payer: Address, signature: [UInt8]) {
        self.voucher = voucher
        self.payer = payer
        self.signature = signature
    }

    public var isValid: Bool {
        KeyPair.verify(signature: signature, message: voucher.signedBytes, publicKey: payer.bytes)
    }

    /// The precompile instruction that proves this voucher on chain.
    public var precompileInstruction: Instruction {
        Ed25519Program.verify(publicKey: payer.bytes, signature: signature, message: voucher.signedBytes)
    }
}
