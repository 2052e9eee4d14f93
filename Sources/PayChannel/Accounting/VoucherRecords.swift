import Identity

/// The payer's row per channel: cumulative amount and sequence (16 bytes).
struct OutgoingRecord: Equatable {
    var amount: UInt64
    var sequence: UInt64

    var encoded: [UInt8] {
        var w = ByteWriter(capacity: 16)
        w.u64(amount)
        w.u64(sequence)
        return w.bytes
    }

    init(amount: UInt64, sequence: UInt64) {
        self.amount = amount
        self.sequence = sequence
    }

    init?(_ bytes: [UInt8]) {
        var r = ByteReader(bytes)
        guard bytes.count == 16, let a = try? r.u64(), let s = try? r.u64() else { return nil }
        amount = a
        sequence = s
    }
}

/// The payee's row per channel: the best signed voucher and what of it was
/// claimed (32 + 8 + 8 + 32 + 64 + 8 = 152 bytes).
struct IncomingRecord: Equatable {
    var voucher: SignedVoucher
    var claimed: UInt64

    static let size = 152

    var encoded: [UInt8] {
        var w = ByteWriter(capacity: Self.size)
        w.append(voucher.voucher.channel.bytes)
        w.u64(voucher.voucher.amount)
        w.u64(voucher.voucher.sequence)
        w.append(voucher.payer.bytes)
        w.append(voucher.signature)
        w.u64(claimed)
        return w.bytes
    }

    init(voucher: SignedVoucher, claimed: UInt64) {
        self.voucher = voucher
        self.claimed = claimed
    }

    init?(_ bytes: [UInt8]) {
        guard bytes.count == Self.size else { return nil }
        var r = ByteReader(bytes)
        guard let channel = try? Address(bytes: r.take(32)), let amount = try? r.u64(), let sequence = try? r.u64(),
              let payer = try? Address(bytes: r.take(32)), let signature = try? r.take(64),
              let claimed = try? r.u64() else { return nil }
        voucher = SignedVoucher(voucher: Voucher(channel: channel, amount: amount, sequence: sequence),
                                payer: payer, signature: signature)
        self.claimed = claimed
    }
}
