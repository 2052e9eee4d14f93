import LMDB
import Identity
import Solana

/// Goods sold against payments: a paid stream's segment keys
/// (docs/stream-encryption.md). Both sides keep what they need in the voucher
/// book's environment, in the same transactions as the money, so that a
/// crash at any point neither loses what was paid for nor charges twice.
///
/// - Payer: `pay(..., item:)` records the purchase with the voucher that pays
///   for it (VoucherBook.swift); `completePurchase` stores the goods when they
///   arrive. Asking again after a crash sends the recorded voucher, not a new one.
/// - Payee: `accept` adds each voucher's new lamports to what that payer paid
///   for that purpose (`paid(by:for:)`); `sell` hands an item over only while
///   what was paid covers every item sold to that payer for that purpose,
///   and an item once sold is sold for good (asking again costs nothing).
extension VoucherBook {
    /// A purchase as the payer recorded it.
    public struct Purchase: Sendable, Equatable {
        /// The voucher that paid for it (sent again, never signed again).
        public var voucher: Voucher
        public var price: UInt64
        /// What the payee handed over; nil while it has not arrived.
        public var goods: [UInt8]?
    }

    public enum Sale: Sendable, Equatable {
        /// Sold now: `price` more is taken from what the payer paid.
        case sold
        /// Sold before: hand it over again, for nothing.
        case alreadySold
        /// What the payer paid for this purpose does not cover it.
        case unpaid(paid: UInt64, sold: UInt64, price: UInt64)
    }

    // MARK: Payer side

    public func purchase(_ purpose: PaymentPurpose, item: UInt64) throws(VoucherError) -> Purchase? {
        let key = Self.purchaseKey(try purpose.validated(), item)
        return try reading { txn in try txn.get(purchases, key: key) }.flatMap(PurchaseRecord.decode)
    }

    /// Stores what a purchase brought (once; later calls change nothing).
    public func completePurchase(_ purpose: PaymentPurpose, item: UInt64, goods: [UInt8]) throws(VoucherError) {
        guard goods.count <= PurchaseRecord.maxGoods else { throw .storage("goods of \(goods.count) bytes") }
        let key = Self.purchaseKey(try purpose.validated(), item)
        try writing { txn in
            guard var record = try txn.get(purchases, key: key).flatMap(PurchaseRecord.decode), record.goods == nil else { return }
            record.goods = goods
            try txn.put(purchases, key: key, value: PurchaseRecord(voucher: record.voucher, price: record.price,
                                                                   goods: goods).encoded)
        }
    }

    // MARK: Payee side

    /// Lamports `payer` paid us for `purpose`, in total over all its channels.
    public func paid(by payer: Address, for purpose: PaymentPurpose) throws(VoucherError) -> UInt64 {
        let key = Self.earnedKey(payer, try purpose.validated())
        return TotalRecord.decode(try reading { txn in try txn.get(earnedFrom, key: key) })
    }

    /// Sells `item` of `purpose` to `payer` for `price` when what it paid for
    /// `purpose` covers this item and every one sold to it before.
    public func sell(_ item: UInt64, of purpose: PaymentPurpose, to payer: Address,
                     price: UInt64) throws(VoucherError) -> Sale {
        let purpose = try purpose.validated()
        let totalKey = Self.earnedKey(payer, purpose)
        var saleKey = totalKey
        saleKey += Self.bigEndian(item)
        return try writing { txn in
            if try txn.get(sales, key: saleKey) != nil { return .alreadySold }
            let paid = TotalRecord.decode(try txn.get(earnedFrom, key: totalKey))
            let sold = TotalRecord.decode(try txn.get(soldTotals, key: totalKey))
            let (after, overflow) = sold.addingReportingOverflow(price)
            guard !overflow, after <= paid else { return .unpaid(paid: paid, sold: sold, price: price) }
            try txn.put(sales, key: saleKey, value: TotalRecord.encode(price))
            try txn.put(soldTotals, key: totalKey, value: TotalRecord.encode(after))
            return .sold
        }
    }

    /// What was sold to `payer` for `purpose`, in total.
    public func sold(to payer: Address, for purpose: PaymentPurpose) throws(VoucherError) -> UInt64 {
        let key = Self.earnedKey(payer, try purpose.validated())
        return TotalRecord.decode(try reading { txn in try txn.get(soldTotals, key: key) })
    }

    // MARK: Rows

    static func purchaseKey(_ purpose: PaymentPurpose, _ item: UInt64) -> [UInt8] {
        bigEndian(item) + purpose.encoded()
    }

    static func earnedKey(_ payer: Address, _ purpose: PaymentPurpose) -> [UInt8] {
        payer.bytes + purpose.encoded()
    }

    static func add(_ amount: UInt64, to db: LMDBDatabase, key: [UInt8], in txn: LMDBTransaction) throws {
        guard amount > 0 else { return }
        let total = TotalRecord.decode(try txn.get(db, key: key))
        let (sum, overflow) = total.addingReportingOverflow(amount)
        try txn.put(db, key: key, value: TotalRecord.encode(overflow ? .max : sum))
    }

    static func bigEndian(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * UInt64($0))) }
    }
}

/// The payer's row per purchase: the voucher that paid (channel, opening,
/// amount, sequence), the price, then the goods once they arrived (a length
/// byte and the bytes; length 255 while they have not).
struct PurchaseRecord {
    static let maxGoods = 254
    var voucher: Voucher
    var price: UInt64
    var goods: [UInt8]?

    var encoded: [UInt8] {
        var w = ByteWriter(capacity: 32 + 8 * 4 + 1 + (goods?.count ?? 0))
        w.append(voucher.channel.bytes)
        w.u64(voucher.opening)
        w.u64(voucher.amount)
        w.u64(voucher.sequence)
        w.u64(price)
        if let goods {
            w.u8(UInt8(goods.count))
            w.append(goods)
        } else {
            w.u8(255)
        }
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) -> VoucherBook.Purchase? {
        var r = ByteReader(bytes)
        guard bytes.count >= 32 + 32 + 1, let channel = try? Address(bytes: Array(bytes.prefix(32))) else { return nil }
        _ = try? r.take(32)
        guard let opening = try? r.u64(), let amount = try? r.u64(), let sequence = try? r.u64(),
              let price = try? r.u64(), let length = try? r.u8() else { return nil }
        var goods: [UInt8]?
        if length != 255 {
            guard let read = try? r.take(Int(length)) else { return nil }
            goods = read
        }
        return VoucherBook.Purchase(voucher: Voucher(channel: channel, opening: opening, amount: amount, sequence: sequence),
                                    price: price, goods: goods)
    }
}
