import Identity
import Solana

extension SignedVoucher {
    /// How a voucher travels between nodes (docs/vouchers.md): channel (32),
    /// opening (u64 LE), cumulative amount (u64 LE), sequence (u64 LE),
    /// payer (32), signature (64).
    public static let wireSize = 32 + 8 + 8 + 8 + 32 + 64

    public var wire: [UInt8] {
        var w = ByteWriter(capacity: Self.wireSize)
        w.append(voucher.channel.bytes)
        w.u64(voucher.opening)
        w.u64(voucher.amount)
        w.u64(voucher.sequence)
        w.append(payer.bytes)
        w.append(signature)
        return w.bytes
    }

    /// Parses the wire form; the signature is not checked here (`isValid`).
    public init(wire: [UInt8]) throws(SolanaError) {
        guard wire.count == Self.wireSize else {
            throw .malformed("a voucher is \(Self.wireSize) bytes on the wire, got \(wire.count)")
        }
        var r = ByteReader(wire)
        guard let channel = try? Address(bytes: r.take(32)) else { throw .malformed("voucher channel") }
        let opening = try r.u64()
        let amount = try r.u64()
        let sequence = try r.u64()
        guard let payer = try? Address(bytes: r.take(32)) else { throw .malformed("voucher payer") }
        let signature = try r.take(64)
        self.init(voucher: Voucher(channel: channel, opening: opening, amount: amount, sequence: sequence), payer: payer,
                  signature: signature)
    }
}
