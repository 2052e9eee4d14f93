import LMDB
import Identity

/// Vouchers that arrive out of order. A payer signs vouchers to one payee in
/// order, but they travel by different paths (one rides with a chunk
/// request, the next goes alone with a key request) and the payee may take
/// a later one first. That later voucher's increment then covers the
/// earlier one's money too, and is booked under its own purpose; when the
/// earlier voucher arrives it brings nothing new, but it says what part of
/// that money was for: the log entry that took it is split, so the payee's
/// earnings per purpose and what each payer paid per purpose (what a
/// segment key is sold against) stay true.
extension VoucherBook {
    /// What re-attributing a late voucher moved: `amount` lamports, booked
    /// before under `from`, now under the late voucher's purpose.
    public struct LateShare: Sendable, Equatable {
        public var amount: UInt64
        public var from: PaymentPurpose
    }

    /// For a voucher the book already holds a later one of (on the same
    /// opening): books its share of the later voucher's increment under its
    /// own purpose. nil when there is nothing to move (already booked, an
    /// older opening, or money from before the earnings log).
    public func attributeLate(_ signed: SignedVoucher, terms: ChannelTerms,
                              purpose: PaymentPurpose) throws(VoucherError) -> LateShare? {
        let purpose = try purpose.validated()
        let v = signed.voucher
        guard v.channel == terms.channel, v.opening == terms.opening, signed.payer == terms.payer, signed.isValid else {
            return nil
        }
        return try writing { txn in
            guard let last = try txn.get(incoming, key: v.channel.bytes).flatMap(IncomingRecord.init),
                  last.voucher.voucher.opening == v.opening, v.amount <= last.voucher.voucher.amount else {
                return nil
            }
            let ownKey = EarningsEntry.key(channel: v.channel, sequence: v.sequence)
            if var booked = try txn.get(earningsLog, key: ownKey).flatMap({ EarningsEntry(key: ownKey, value: $0) }) {
                // Booked already: by itself, or as the chunk income a later
                // voucher was found to carry (VoucherBook.accept with
                // `expected`). The voucher itself says what it paid for.
                guard booked.cumulative == v.amount, booked.purpose != purpose, booked.increment > 0 else { return nil }
                let moved = LateShare(amount: booked.increment, from: booked.purpose)
                try Self.subtract(moved.amount, from: earnedFrom, key: Self.earnedKey(signed.payer, booked.purpose), in: txn)
                try Self.add(moved.amount, to: earnedFrom, key: Self.earnedKey(signed.payer, purpose), in: txn)
                booked.purpose = purpose
                try txn.put(earningsLog, key: booked.key, value: booked.value)
                return moved
            }
            // The entry whose increment covers this voucher's amount: the
            // first later one (sequence and amount grow together) reaching it.
            var covering: EarningsEntry?
            try txn.forEach(earningsLog, from: EarningsEntry.key(channel: v.channel, sequence: v.sequence + 1)) { key, value in
                guard let entry = EarningsEntry(key: Array(key), value: Array(value)), entry.channel == v.channel else { return false }
                if entry.cumulative >= v.amount { covering = entry; return false }
                return true
            }
            guard var entry = covering, entry.sequence > v.sequence, entry.cumulative - entry.increment < v.amount else {
                return nil
            }
            let share = v.amount - (entry.cumulative - entry.increment)
            guard share < entry.increment else { return nil }
            entry.increment -= share
            try txn.put(earningsLog, key: entry.key, value: entry.value)
            let late = EarningsEntry(channel: v.channel, sequence: v.sequence, increment: share, cumulative: v.amount,
                                     payer: signed.payer, purpose: purpose)
            try txn.put(earningsLog, key: late.key, value: late.value)
            guard entry.purpose != purpose else { return nil }
            try Self.subtract(share, from: earnedFrom, key: Self.earnedKey(signed.payer, entry.purpose), in: txn)
            try Self.add(share, to: earnedFrom, key: Self.earnedKey(signed.payer, purpose), in: txn)
            return LateShare(amount: share, from: entry.purpose)
        }
    }

    static func subtract(_ amount: UInt64, from db: LMDBDatabase, key: [UInt8], in txn: LMDBTransaction) throws {
        let total = TotalRecord.decode(try txn.get(db, key: key))
        try txn.put(db, key: key, value: TotalRecord.encode(total - min(total, amount)))
    }
}
