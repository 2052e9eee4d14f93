import Identity
import Solana

/// The payer's row per channel: cumulative amount, sequence and the
/// channel's opening they count on, then what the last voucher was for
/// (24 bytes and the purpose; 24 before purposes were kept, 16 before
/// openings existed, read as opening 0).
struct OutgoingRecord: Equatable {
    var amount: UInt64
    var sequence: UInt64
    var opening: UInt64
    /// What the last voucher paid for (so it can be sent again after a restart as what it was).
    var purpose: PaymentPurpose?

    var encoded: [UInt8] {
        var w = ByteWriter(capacity: 24 + PaymentPurpose.maxEncodedSize)
        w.u64(amount)
        w.u64(sequence)
        w.u64(opening)
        if let purpose { w.append(purpose.encoded()) }
        return w.bytes
    }

    init(amount: UInt64, sequence: UInt64, opening: UInt64, purpose: PaymentPurpose? = nil) {
        self.amount = amount
        self.sequence = sequence
        self.opening = opening
        self.purpose = purpose
    }

    init?(_ bytes: [UInt8]) {
        var r = ByteReader(bytes)
        guard bytes.count == 16 || bytes.count >= 24, let a = try? r.u64(), let s = try? r.u64() else { return nil }
        amount = a
        sequence = s
        opening = bytes.count >= 24 ? ((try? r.u64()) ?? 0) : 0
        purpose = bytes.count > 24 ? try? PaymentPurpose(decoding: bytes[24...]) : nil
    }
}

/// The payee's row per channel: the best signed voucher and what of it was
/// claimed (32 + 8 + 8 + 32 + 64 + 8 + 8 = 160 bytes: the voucher's opening
/// last; 152 bytes before openings existed, read as opening 0).
struct IncomingRecord: Equatable {
    var voucher: SignedVoucher
    var claimed: UInt64

    static let size = 160
    static let sizeV1 = 152

    var encoded: [UInt8] {
        var w = ByteWriter(capacity: Self.size)
        w.append(voucher.voucher.channel.bytes)
        w.u64(voucher.voucher.amount)
        w.u64(voucher.voucher.sequence)
        w.append(voucher.payer.bytes)
        w.append(voucher.signature)
        w.u64(claimed)
        w.u64(voucher.voucher.opening)
        return w.bytes
    }

    init(voucher: SignedVoucher, claimed: UInt64) {
        self.voucher = voucher
        self.claimed = claimed
    }

    init?(_ bytes: [UInt8]) {
        guard bytes.count == Self.size || bytes.count == Self.sizeV1 else { return nil }
        var r = ByteReader(bytes)
        guard let channel = try? Address(bytes: r.take(32)), let amount = try? r.u64(), let sequence = try? r.u64(),
              let payer = try? Address(bytes: r.take(32)), let signature = try? r.take(64),
              let claimed = try? r.u64() else { return nil }
        let opening = bytes.count == Self.size ? ((try? r.u64()) ?? 0) : 0
        voucher = SignedVoucher(voucher: Voucher(channel: channel, opening: opening, amount: amount, sequence: sequence),
                                payer: payer, signature: signature)
        self.claimed = claimed
    }
}

/// One line of the payee's earnings log: what a newly accepted voucher
/// brought, on which channel, from whom and for what. Keyed by channel and
/// sequence (big endian, so LMDB's key order is the vouchers' order);
/// value: increment, cumulative, payer, purpose (8 + 8 + 32 + 1...130 bytes).
struct EarningsEntry: Equatable {
    var channel: Address
    var sequence: UInt64
    var increment: UInt64
    var cumulative: UInt64
    var payer: Address
    var purpose: PaymentPurpose

    static func key(channel: Address, sequence: UInt64) -> [UInt8] {
        channel.bytes + (0..<8).reversed().map { UInt8(truncatingIfNeeded: sequence >> (8 * UInt64($0))) }
    }

    var key: [UInt8] { Self.key(channel: channel, sequence: sequence) }

    var value: [UInt8] {
        var w = ByteWriter(capacity: 48 + PaymentPurpose.maxEncodedSize)
        w.u64(increment)
        w.u64(cumulative)
        w.append(payer.bytes)
        w.append(purpose.encoded())
        return w.bytes
    }
}

extension EarningsEntry {
    init?(key: [UInt8], value: [UInt8]) {
        guard key.count == 40, value.count > 48, let channel = try? Address(bytes: Array(key[0..<32])),
              let payer = try? Address(bytes: Array(value[16..<48])),
              let purpose = try? PaymentPurpose(decoding: value[48...]) else { return nil }
        var r = ByteReader(value)
        guard let increment = try? r.u64(), let cumulative = try? r.u64() else { return nil }
        self.init(channel: channel, sequence: key[32...].reduce(0) { $0 << 8 | UInt64($1) },
                  increment: increment, cumulative: cumulative, payer: payer, purpose: purpose)
    }
}

/// A running total in lamports (the payer's spending per purpose), u64 LE.
enum TotalRecord {
    static func encode(_ total: UInt64) -> [UInt8] {
        var w = ByteWriter(capacity: 8)
        w.u64(total)
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]?) -> UInt64 {
        guard let bytes, bytes.count == 8 else { return 0 }
        var r = ByteReader(bytes)
        return (try? r.u64()) ?? 0
    }
}
