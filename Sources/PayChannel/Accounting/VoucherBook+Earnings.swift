import Identity

/// The totals the payer keeps per purpose, and the payee's earnings report.
extension VoucherBook {
    /// Lamports paid for `purpose` in total, over all channels.
    public func spent(_ purpose: PaymentPurpose) throws(VoucherError) -> UInt64 {
        let key = try purpose.validated().encoded()
        return TotalRecord.decode(try reading { txn in try txn.get(spending, key: key) })
    }

    /// Lamports paid per stream: seconds watched and tips together.
    public func spentByStream() throws(VoucherError) -> [String: UInt64] {
        try reading { txn in
            var out: [String: UInt64] = [:]
            try txn.forEach(spending) { key, value in
                if let stream = (try? PaymentPurpose(decoding: ArraySlice(key)))?.stream {
                    out[stream, default: 0] &+= TotalRecord.decode(Array(value))
                }
                return true
            }
            return out
        }
    }

    /// Lamports signed away per kind of purpose, over every channel and
    /// stream: what the vouchers we signed add up to (their sum is what our
    /// channels say we spent).
    public func spentByKind() throws(VoucherError) -> SpentByKind {
        try reading { txn in
            var out = SpentByKind()
            try txn.forEach(spending) { key, value in
                let amount = TotalRecord.decode(Array(value))
                switch try? PaymentPurpose(decoding: ArraySlice(key)) {
                case .chunks?: out.chunks &+= amount
                case .seconds?: out.seconds &+= amount
                case .tip?: out.tips &+= amount
                case nil: break
                }
                return true
            }
            return out
        }
    }

    /// What we earned, per peer, stream and kind, and what of it was claimed.
    /// A channel's claimed amount is the one recorded with `recordClaimed`,
    /// or `claimedOnChain[channel]` when given (fresher: read from the chain).
    public func earnings(claimedOnChain: [Address: UInt64]? = nil) throws(VoucherError) -> EarningsReport {
        try reading { txn in
            var logs: [Address: [EarningsEntry]] = [:]
            try txn.forEach(earningsLog) { key, value in
                if let entry = EarningsEntry(key: Array(key), value: Array(value)) {
                    logs[entry.channel, default: []].append(entry)   // key order: channel, then sequence
                }
                return true
            }
            var report = EarningsReport()
            try txn.forEach(incoming) { _, value in
                if let record = IncomingRecord(Array(value)) {
                    let channel = record.voucher.voucher.channel
                    report.add(best: record.voucher, claimed: claimedOnChain?[channel] ?? record.claimed,
                               log: logs[channel] ?? [])
                }
                return true
            }
            return report
        }
    }
}

/// Lamports signed away, per kind of payment.
public struct SpentByKind: Sendable, Codable, Equatable {
    public var chunks: UInt64 = 0
    public var seconds: UInt64 = 0
    public var tips: UInt64 = 0
    public var total: UInt64 { chunks &+ seconds &+ tips }
    public init() {}
}
