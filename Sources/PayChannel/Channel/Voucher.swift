import Identity

/// A payer's promise of a cumulative amount on one channel (docs/vouchers.md).
/// The payer signs exactly `signedBytes` with plain Ed25519: the on-chain
/// check is Solana's Ed25519 precompile, which verifies a signature over the
/// message as given; the "peernode-voucher-v1" prefix separates the domain.
public struct Voucher: Sendable, Equatable, Hashable {
    public static let domain = Array("peernode-voucher-v1".utf8)
    public static let signedSize = 19 + 32 + 8 + 8

    public var channel: Address
    public var amount: UInt64
    public var sequence: UInt64

    public init(channel: Address, amount: UInt64, sequence: UInt64) {
        self.channel = channel
        self.amount = amount
        self.sequence = sequence
    }

    /// The 67 bytes the payer signs and the program rebuilds.
    public var signedBytes: [UInt8] {
        var w = ByteWriter(capacity: Self.signedSize)
        w.append(Self.domain)
        w.append(channel.bytes)
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
