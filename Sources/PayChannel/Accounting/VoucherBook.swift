import Identity
import LMDB

/// The durable record of vouchers, both ways, in LMDB.
///
/// - As payer: the cumulative amount and sequence of the last voucher per
///   channel are committed *before* the voucher is signed and handed out, so
///   after a crash the payer continues from there and never signs the same
///   money twice (a voucher that was recorded but never arrived is covered
///   by the next one, which is cumulative).
/// - As payee: a voucher is committed *before* it counts, so an accepted
///   voucher survives any crash and can always be claimed on chain.
///
/// - Alongside, in the same transactions: the payer's spending per purpose
///   (`spent`) and the payee's earnings log, one line per voucher that
///   brought new lamports (`earnings`, VoucherBook+Earnings.swift).
///
/// Every accepting or paying write ends with a full sync (`mdb_env_sync`).
public final class VoucherBook: Sendable {
    let env: LMDBEnvironment
    let outgoing: LMDBDatabase
    let incoming: LMDBDatabase
    /// Payer side: purpose (PaymentPurpose.encoded) → lamports paid in total.
    let spending: LMDBDatabase
    /// Payee side: (channel, sequence) → EarningsEntry.
    let earningsLog: LMDBDatabase
    /// Goods bought and sold against payments (segment keys), VoucherBook+Sales.swift.
    let purchases: LMDBDatabase
    let earnedFrom: LMDBDatabase
    let sales: LMDBDatabase
    let soldTotals: LMDBDatabase

    public init(environment: LMDBEnvironment) throws(VoucherError) {
        env = environment
        do {
            outgoing = try env.database("vouchers-out")
            incoming = try env.database("vouchers-in")
            spending = try env.database("spent-by-purpose")
            earningsLog = try env.database("earnings-log")
            purchases = try env.database("purchases")
            earnedFrom = try env.database("earned-from")
            sales = try env.database("sales")
            soldTotals = try env.database("sold-totals")
        } catch {
            throw .storage("\(error)")
        }
    }

    // MARK: Payer side

    /// Raises the channel's cumulative amount by `amount`, adds it to what
    /// was spent on `purpose`, and signs the new voucher; both totals are on
    /// disk (one transaction) before the voucher exists.
    /// `opening` is the channel's (`ChannelState.opening`): a voucher pays on
    /// one opening only, and the count starts again on another.
    /// `item`: the payment buys this item of `purpose` (a segment's key): the
    /// purchase is recorded in the same transaction, so a payer that crashes
    /// before the goods arrive asks again with this voucher instead of paying twice.
    public func pay(channel: Address, opening: UInt64, adding amount: UInt64, deposit: UInt64,
                    payer: KeyPair, purpose: PaymentPurpose = .chunks, item: UInt64? = nil) throws(VoucherError) -> SignedVoucher {
        guard amount > 0 else { throw .nothingToPay }
        let purpose = try purpose.validated()
        let voucher: Voucher = try writing { txn in
            let last = try txn.get(outgoing, key: channel.bytes).flatMap(OutgoingRecord.init)
                .flatMap { $0.opening == opening ? $0 : nil }
            let (total, overflow) = (last?.amount ?? 0).addingReportingOverflow(amount)
            guard !overflow, total <= deposit else {
                throw VoucherError.insufficientDeposit(needed: overflow ? UInt64.max : total, deposit: deposit)
            }
            let next = Voucher(channel: channel, opening: opening, amount: total, sequence: (last?.sequence ?? 0) + 1)
            try txn.put(outgoing, key: channel.bytes,
                        value: OutgoingRecord(amount: next.amount, sequence: next.sequence, opening: opening,
                                              purpose: purpose).encoded)
            let key = purpose.encoded()
            let spent = TotalRecord.decode(try txn.get(spending, key: key))
            try txn.put(spending, key: key, value: TotalRecord.encode(spent.addingReportingOverflow(amount).overflow
                                                                      ? .max : spent + amount))
            if let item {
                let row = Self.purchaseKey(purpose, item)
                guard try txn.get(purchases, key: row) == nil else { throw VoucherError.alreadyBought(item: item) }
                try txn.put(purchases, key: row, value: PurchaseRecord(voucher: next, price: amount, goods: nil).encoded)
            }
            return next
        }
        return voucher.signed(by: payer)
    }

    /// The cumulative amount of the last voucher we signed on a channel (0
    /// before the first); with `opening`, 0 when that was on another opening.
    public func sentTotal(channel: Address, opening: UInt64? = nil) throws(VoucherError) -> UInt64 {
        guard let record = try reading({ txn in try txn.get(outgoing, key: channel.bytes) }).flatMap(OutgoingRecord.init),
              opening == nil || record.opening == opening else { return 0 }
        return record.amount
    }

    /// The last voucher we signed on a channel (to send again after a reconnect).
    public func lastSent(channel: Address, payer: KeyPair) throws(VoucherError) -> SignedVoucher? {
        guard let record = try reading({ txn in try txn.get(outgoing, key: channel.bytes) }).flatMap(OutgoingRecord.init) else {
            return nil
        }
        return Voucher(channel: channel, opening: record.opening, amount: record.amount, sequence: record.sequence)
            .signed(by: payer)
    }

    /// The last voucher we signed on a channel and what it paid for (nil
    /// for a row from before purposes were kept): sent again after a restart,
    /// in case it never reached the payee.
    public func lastPayment(channel: Address, payer: KeyPair) throws(VoucherError) -> (SignedVoucher, PaymentPurpose?)? {
        guard let record = try reading({ txn in try txn.get(outgoing, key: channel.bytes) }).flatMap(OutgoingRecord.init) else {
            return nil
        }
        let voucher = Voucher(channel: channel, opening: record.opening, amount: record.amount, sequence: record.sequence)
        return (voucher.signed(by: payer), record.purpose)
    }

    // MARK: Payee side

    /// Checks a voucher against what we know of its channel and, when it pays
    /// more than the last one, records it durably, with a line in the
    /// earnings log saying what the new lamports were for (same transaction).
    /// Returns the new lamports it brings (0 for an exact repeat of the last voucher).
    @discardableResult
    public func accept(_ signed: SignedVoucher, terms: ChannelTerms,
                       purpose: PaymentPurpose = .chunks) throws(VoucherError) -> UInt64 {
        try accept(signed, terms: terms, purpose: purpose, expected: nil).added
    }

    /// `accept`, for a voucher whose own increment the payee knows
    /// (`expected`: a segment key's price). When it brings more, earlier
    /// vouchers of the payer never arrived (they were overtaken and the
    /// newer one carries their money): the excess is booked as chunk
    /// income, the purpose those are nearly always for, under the sequence
    /// just before this one, so it is not counted as paying for `purpose`;
    /// if one of them arrives later it finds that entry and moves nothing.
    /// Returns the new lamports and the part of them booked as chunks.
    public func accept(_ signed: SignedVoucher, terms: ChannelTerms, purpose: PaymentPurpose,
                       expected: UInt64?) throws(VoucherError) -> (added: UInt64, asChunks: UInt64) {
        let purpose = try purpose.validated()
        let v = signed.voucher
        guard v.channel == terms.channel else { throw .wrongChannel(expected: terms.channel, got: v.channel) }
        guard v.opening == terms.opening else { throw .wrongOpening(channel: v.channel, expected: terms.opening, got: v.opening) }
        guard signed.payer == terms.payer else { throw .wrongPayer(expected: terms.payer, got: signed.payer) }
        guard signed.isValid else { throw .badSignature }
        guard v.amount <= terms.deposit else { throw .overDeposit(amount: v.amount, deposit: terms.deposit) }
        return try writing { txn in
            let last = try txn.get(incoming, key: v.channel.bytes).flatMap(IncomingRecord.init)
            if let last {
                if last.voucher == signed { return (0, 0) }
                guard last.voucher.voucher.opening == v.opening else {
                    // The address was closed and opened again: never mix two
                    // openings' vouchers in one row (and one earnings log).
                    throw VoucherError.channelReopened(channel: v.channel, held: last.voucher.voucher.opening,
                                                       got: v.opening)
                }
                guard v.amount > last.voucher.voucher.amount else {
                    throw VoucherError.notIncreasing(amount: v.amount, last: last.voucher.voucher.amount)
                }
                guard v.sequence > last.voucher.voucher.sequence else {
                    throw VoucherError.sequenceNotIncreasing(sequence: v.sequence, last: last.voucher.voucher.sequence)
                }
            } else if v.amount == 0 {
                throw VoucherError.notIncreasing(amount: 0, last: 0)
            }
            let record = IncomingRecord(voucher: signed, claimed: last?.claimed ?? 0)
            try txn.put(incoming, key: v.channel.bytes, value: record.encoded)
            let added = v.amount - (last?.voucher.voucher.amount ?? 0)
            var own = added, asChunks: UInt64 = 0
            if let expected, purpose != .chunks, added > expected, v.sequence > (last?.voucher.voucher.sequence ?? 0) + 1,
               try txn.get(earningsLog, key: EarningsEntry.key(channel: v.channel, sequence: v.sequence - 1)) == nil {
                (own, asChunks) = (expected, added - expected)
                let missing = EarningsEntry(channel: v.channel, sequence: v.sequence - 1, increment: asChunks,
                                            cumulative: v.amount - expected, payer: signed.payer, purpose: .chunks)
                try txn.put(earningsLog, key: missing.key, value: missing.value)
                try Self.add(asChunks, to: earnedFrom, key: Self.earnedKey(signed.payer, .chunks), in: txn)
            }
            let entry = EarningsEntry(channel: v.channel, sequence: v.sequence, increment: own, cumulative: v.amount,
                                      payer: signed.payer, purpose: purpose)
            try txn.put(earningsLog, key: entry.key, value: entry.value)
            try Self.add(own, to: earnedFrom, key: Self.earnedKey(signed.payer, purpose), in: txn)
            return (added, asChunks)
        }
    }

    /// The highest voucher accepted on a channel, and what of it was claimed on chain.
    public func best(channel: Address) throws(VoucherError) -> (voucher: SignedVoucher, claimed: UInt64)? {
        try reading { txn in try txn.get(incoming, key: channel.bytes) }
            .flatMap(IncomingRecord.init).map { ($0.voucher, $0.claimed) }
    }

    /// Records that the chain paid out up to `amount` on a channel.
    public func recordClaimed(channel: Address, amount: UInt64) throws(VoucherError) {
        try writing { txn in
            guard var record = try txn.get(incoming, key: channel.bytes).flatMap(IncomingRecord.init) else {
                throw VoucherError.unknownChannel(channel)
            }
            record.claimed = max(record.claimed, min(amount, record.voucher.voucher.amount))
            try txn.put(incoming, key: channel.bytes, value: record.encoded)
        }
    }

    /// Every channel we were paid on: its best voucher and what was claimed.
    public func incomingChannels() throws(VoucherError) -> [(voucher: SignedVoucher, claimed: UInt64)] {
        try reading { txn in
            var out: [(SignedVoucher, UInt64)] = []
            try txn.forEach(incoming) { _, value in
                if let record = IncomingRecord(Array(value)) { out.append((record.voucher, record.claimed)) }
                return true
            }
            return out
        }
    }

    // MARK: Transactions

    func writing<T>(_ body: (LMDBTransaction) throws -> T) throws(VoucherError) -> T {
        try env.durableWrite(body, storage: VoucherError.storage)
    }

    func reading<T>(_ body: (LMDBTransaction) throws -> T) throws(VoucherError) -> T {
        try env.snapshot(body, storage: VoucherError.storage)
    }
}

/// What a payee knows of a channel from the chain.
public struct ChannelTerms: Sendable, Equatable {
    public var channel: Address
    public var payer: Address
    public var payee: Address
    public var deposit: UInt64
    /// The opening the channel account records (`ChannelState.opening`).
    public var opening: UInt64

    public init(channel: Address, opening: UInt64, payer: Address, payee: Address, deposit: UInt64) {
        self.channel = channel
        self.opening = opening
        self.payer = payer
        self.payee = payee
        self.deposit = deposit
    }
}

public enum VoucherError: Error, Equatable, CustomStringConvertible {
    case nothingToPay
    case insufficientDeposit(needed: UInt64, deposit: UInt64)
    case wrongChannel(expected: Address, got: Address)
    case wrongPayer(expected: Address, got: Address)
    case badSignature
    case overDeposit(amount: UInt64, deposit: UInt64)
    case notIncreasing(amount: UInt64, last: UInt64)
    case sequenceNotIncreasing(sequence: UInt64, last: UInt64)
    /// The voucher names another opening of the channel than the chain's.
    case wrongOpening(channel: Address, expected: UInt64, got: UInt64)
    /// The book holds vouchers of an earlier opening of this channel address.
    case channelReopened(channel: Address, held: UInt64, got: UInt64)
    case unknownChannel(Address)
    case storage(String)
    /// A purchase of this item is already recorded (pay for it once).
    case alreadyBought(item: UInt64)
    /// A payment purpose's first byte names no kind (PaymentPurpose).
    case unknownPurposeKind(UInt8)
    case streamIdTooLong(bytes: Int, max: Int)
    /// Truncated, empty stream id, not UTF-8, or bytes left over.
    case malformedPurpose(String)

    public var description: String {
        switch self {
        case .nothingToPay: return "a voucher must pay more than 0 lamports"
        case .insufficientDeposit(let needed, let deposit):
            return "the channel's deposit of \(deposit) lamports cannot cover a cumulative \(needed); top it up first"
        case .wrongChannel(let expected, let got): return "voucher is for channel \(got), not \(expected)"
        case .wrongPayer(let expected, let got): return "voucher is signed by \(got), but the channel's payer is \(expected)"
        case .badSignature: return "voucher signature does not verify"
        case .overDeposit(let amount, let deposit): return "voucher promises \(amount) lamports, more than the deposit of \(deposit)"
        case .notIncreasing(let amount, let last): return "voucher for \(amount) does not exceed the last accepted \(last) (replay or stale)"
        case .sequenceNotIncreasing(let sequence, let last): return "voucher sequence \(sequence) does not exceed the last accepted \(last)"
        case .wrongOpening(let channel, let expected, let got):
            return "voucher is for opening \(got) of channel \(channel), but the chain's is opening \(expected); it could never be claimed"
        case .channelReopened(let channel, let held, let got):
            return "channel \(channel) was opened again (opening \(got)) after we were paid on opening \(held); open a channel with a new id"
        case .unknownChannel(let channel): return "no voucher was ever accepted on channel \(channel)"
        case .storage(let why): return "voucher book: \(why)"
        case .alreadyBought(let item): return "item \(item) is already paid for; ask for it again with the same voucher"
        case .unknownPurposeKind(let kind):
            return "payment purpose kind \(kind) is unknown (0 chunks, 1 seconds, 2 tip); the peer may run a newer version"
        case .streamIdTooLong(let bytes, let max): return "stream id of \(bytes) bytes is longer than the \(max) allowed"
        case .malformedPurpose(let why): return "malformed payment purpose: \(why)"
        }
    }
}
