import Foundation
import Identity
import LMDB
import Solana

/// The payer's side of the money path: one channel per payee, opened on
/// demand, topped up and extended as payments need, and the vouchers that
/// pay through it (docs/vouchers.md, "Paying through a channel").
///
/// - A channel is recorded in the registry (LMDB "channels-out") *before*
///   its open transaction is sent. An open that failed for sure is
///   forgotten; one whose fate is unknown (time-out, chain unreachable,
///   crash) stays recorded as unconfirmed, and the next payment to that
///   payee looks on chain: the channel is adopted if it is there, else the
///   open is sent again with the same channel id (never a second channel).
/// - Payments to one payee run one at a time (a second waits for the
///   first's open or top-up); payments to different payees run in parallel.
/// - A voucher needs no chain: when the chain cannot be reached, a payment
///   that fits the deposit goes ahead on the registry's figures and the wall
///   clock, and only opening or topping up fails.
public actor ChannelManager {
    public nonisolated let identity: KeyPair
    public nonisolated let config: PaymentConfig
    let client: ChannelClient
    let book: VoucherBook
    /// The registry, or why there is none (bad config, LMDB): reported by the
    /// first payment, since `init` does not throw.
    private let setup: Result<ChannelRegistry, PaymentError>
    private let turns = KeyedLock<Address>()
    private let clock: ChainClock
    /// Rent-exempt minimums by account size: the cluster's rent is fixed, so
    /// each is read once (an open then costs the chain four calls, not nine:
    /// what a crowd pressing play at once waits for).
    private var rentBySize: [Int: UInt64] = [:]

    /// One signature per open, top-up or extend transaction.
    static let fee = WellKnown.lamportsPerSignature

    public init(identity: KeyPair, client: ChannelClient, book: VoucherBook, environment: LMDBEnvironment,
                config: PaymentConfig) {
        self.identity = identity
        self.client = client
        self.book = book
        self.config = config
        clock = ChainClock(client: client)
        setup = Result { () throws(PaymentError) -> ChannelRegistry in
            _ = try config.validated()
            return try ChannelRegistry(environment: environment)
        }
    }

    /// Pays `amount` more to `payee` for `purpose`: opens, tops up or extends
    /// the channel first when needed, then signs the voucher (cumulative) that
    /// the caller sends. The voucher book has it on disk before it is returned.
    /// `item`: the payment buys this item of `purpose` (VoucherBook+Sales.swift).
    public func pay(_ payee: Address, amount: UInt64, purpose: PaymentPurpose,
                    item: UInt64? = nil) async throws(PaymentError) -> SignedVoucher {
        let registry = try setup.get()
        guard amount > 0 else { throw .voucher(.nothingToPay) }
        do { _ = try purpose.validated() } catch { throw .voucher(error) }
        return try await turns.withLock(payee) { () async throws(PaymentError) -> SignedVoucher in
            try await self.payHoldingTurn(payee, amount: amount, purpose: purpose, item: item, registry: registry)
        }
    }

    /// Our channel per payee, with the chain's figures where it answers.
    public func channels() async -> [OutgoingChannel] {
        guard let all = try? setup.get().all() else { return [] }
        var out: [OutgoingChannel] = []
        for (payee, record) in all {
            let state = try? await client.state(record.channel)   // nil: closed, or the chain did not answer
            out.append(OutgoingChannel(payee: payee, address: record.channel, channelId: record.channelId,
                                       deposit: state?.deposit ?? record.deposit,
                                       spent: (try? book.sentTotal(channel: record.channel,
                                                                   opening: state?.opening ?? record.opening)) ?? 0,
                                       claimed: state?.claimed, expiry: state?.expiry ?? record.expiry,
                                       confirmed: record.confirmed))
        }
        return out
    }

    /// The last voucher signed to `payee` on its current channel (to send
    /// again after a reconnect), nil before the first.
    public func lastVoucher(to payee: Address) -> SignedVoucher? {
        guard let record = try? setup.get().record(for: payee) else { return nil }
        return try? book.lastSent(channel: record.channel, payer: identity)
    }

    /// The last voucher signed to each payee on its current channel, with
    /// what it paid for: after a restart, vouchers that were on their way
    /// are gone from memory, and sending the last one again (cumulative,
    /// so it carries them all) makes sure the payee holds everything signed.
    public func lastPayments() -> [(payee: Address, voucher: SignedVoucher, purpose: PaymentPurpose?)] {
        guard let all = try? setup.get().all() else { return [] }
        return all.compactMap { payee, record in
            guard let (voucher, purpose) = try? book.lastPayment(channel: record.channel, payer: identity) else { return nil }
            return (payee, voucher, purpose)
        }
    }

    // MARK: One payment, holding the payee's turn

    /// The last look at each channel on chain: its clock then, and when.
    private var lastView: [Address: (now: Int64, at: Date)] = [:]
    /// How long a look at the chain is reused (a payee closing the channel
    /// meanwhile is noticed at the next look; its refusals say so sooner).
    static let viewReuse: TimeInterval = 10
    /// How far the chain's clock may have moved from ours between looks;
    /// closer than this to the renewal point, we look again.
    static let clockSlack: Int64 = 300

    private func payHoldingTurn(_ payee: Address, amount: UInt64, purpose: PaymentPurpose, item: UInt64?,
                                registry: ChannelRegistry) async throws(PaymentError) -> SignedVoucher {
        var record = try await confirmedChannel(to: payee, amount: amount, registry)
        var now = Int64(Date().timeIntervalSince1970)
        if let seen = lastView[record.channel], Date().timeIntervalSince(seen.at) < Self.viewReuse,
           record.expiry - (seen.now + Int64(Date().timeIntervalSince(seen.at))) > config.renewMargin + Self.clockSlack {
            // Looked at the chain moments ago and far from expiry: a stream of
            // payments costs no RPC call each.
            now = seen.now + Int64(Date().timeIntervalSince(seen.at))
        } else if let view = try? await client.stateAndClock(record.channel) {
            now = view.now
            lastView[record.channel] = (view.now, Date())
            if let state = view.state {
                record = try adopt(record, state, payee, registry)
            } else {
                // Closed on chain (a payee may close at any time): open another.
                try registry.remove(payee)
                record = try await open(to: payee, amount: amount, registry)
            }
        }
        if record.opening == nil {
            // Not read since the open (or a record from before openings): vouchers must name it.
            let view = try await chain("reading channel \(record.channel)") { () async throws(ChainError) in
                try await client.stateAndClock(record.channel)
            }
            if let state = view.state {
                record = try adopt(record, state, payee, registry)
            } else {
                try registry.remove(payee)
                record = try await open(to: payee, amount: amount, registry)
            }
        }
        guard let opening = record.opening else { throw .unknownChannel(record.channel) }
        let sent: UInt64
        do { sent = try book.sentTotal(channel: record.channel, opening: opening) } catch { throw .voucher(error) }
        let (needed, overflow) = sent.addingReportingOverflow(amount)
        guard !overflow else { throw .voucher(.insufficientDeposit(needed: .max, deposit: record.deposit)) }
        if needed > record.deposit { record = try await topUp(record, payee, to: needed, registry) }
        let (left, past) = record.expiry.subtractingReportingOverflow(now)
        if past || left < config.renewMargin { record = try await renew(record, payee, now: now, registry) }
        let (book, identity, channel, deposit) = (book, identity, record.channel, record.deposit)
        do {
            return try await DurableWrites.run { () throws(VoucherError) -> SignedVoucher in
                try book.pay(channel: channel, opening: opening, adding: amount, deposit: deposit, payer: identity,
                             purpose: purpose, item: item)
            }
        } catch {
            throw .voucher(error)
        }
    }

    /// The payee's channel, opened (or its unconfirmed open resolved) if need be.
    private func confirmedChannel(to payee: Address, amount: UInt64,
                                  _ registry: ChannelRegistry) async throws(PaymentError) -> ChannelRegistry.Record {
        guard let record = try registry.record(for: payee) else { return try await open(to: payee, amount: amount, registry) }
        return record.confirmed ? record : try await confirmOpen(record, payee, registry)
    }

    private func open(to payee: Address, amount: UInt64,
                      _ registry: ChannelRegistry) async throws(PaymentError) -> ChannelRegistry.Record {
        let deposit = max(config.channelDeposit, amount)
        let channelRent = try await rent(ChannelState.size)
        // The payer's own account must stay rent-exempt too.
        let reserve = try await rent(0)
        // No balance read first: a payer short of lamports is refused by the
        // open's preflight, which `failure` says in the same words.
        let id = ChannelClient.newChannelId()
        let record = ChannelRegistry.Record(channelId: id, channel: client.channelAddress(payer: identity.address, payee: payee,
                                                                                          channelId: id),
                                            deposit: deposit, expiry: 0, confirmed: false)
        try registry.put(record, for: payee)   // before the transaction: never lose track of a deposit
        // A channel id just drawn at random names no account yet: only the clock is needed.
        let now = try await chain("reading the chain's clock") { () async throws(ChainError) in try await clock.now() }
        return try await sendOpen(record, payee, registry, now: now, needed: deposit + channelRent + Self.fee + reserve)
    }

    /// Sends the open of a recorded channel unless the chain already has it.
    private func confirmOpen(_ pending: ChannelRegistry.Record, _ payee: Address, _ registry: ChannelRegistry) async throws(PaymentError) -> ChannelRegistry.Record {
        let view = try await chain("opening a channel to \(payee)") { () async throws(ChainError) in try await client.stateAndClock(pending.channel) }
        if let state = view.state { return try adopt(pending, state, payee, registry) }
        return try await sendOpen(pending, payee, registry, now: view.now, needed: pending.deposit + Self.fee)
    }

    private func sendOpen(_ pending: ChannelRegistry.Record, _ payee: Address, _ registry: ChannelRegistry,
                          now: Int64, needed: UInt64) async throws(PaymentError) -> ChannelRegistry.Record {
        var record = pending
        record.expiry = now + config.channelLifetime
        do {
            record.opening = try await client.open(payer: identity, payee: payee, channelId: record.channelId,
                                                   deposit: record.deposit, expiry: record.expiry).opening
        } catch {
            // It may have landed all the same (a time-out), or raced an earlier send.
            if let state = try? await client.state(record.channel) { return try adopt(record, state, payee, registry) }
            if error.neverLands { try registry.remove(payee) }
            throw failure(error, "opening a channel to \(payee)", needed: needed)
        }
        record.confirmed = true
        try registry.put(record, for: payee)
        // The open read the channel back: the first payment through it needs no other look.
        lastView[record.channel] = (clock.estimate ?? now, Date())
        return record
    }

    private func rent(_ size: Int) async throws(PaymentError) -> UInt64 {
        if let known = rentBySize[size] { return known }
        let rent = try await chain("reading the rent of a \(size)-byte account") { () async throws(ChainError) in
            try await client.rpc.minimumBalanceForRentExemption(size)
        }
        rentBySize[size] = rent
        return rent
    }

    /// Takes the chain's deposit and expiry (it is right when they differ:
    /// a top-up or extension that timed out may still have landed).
    private func adopt(_ record: ChannelRegistry.Record, _ state: ChannelState, _ payee: Address,
                       _ registry: ChannelRegistry) throws(PaymentError) -> ChannelRegistry.Record {
        var adopted = record
        adopted.deposit = state.deposit
        adopted.expiry = state.expiry
        adopted.confirmed = true
        adopted.opening = state.opening
        if adopted != record { try registry.put(adopted, for: payee) }
        return adopted
    }

    /// Adds max(topUpAmount, shortfall) to the deposit.
    private func topUp(_ record: ChannelRegistry.Record, _ payee: Address, to needed: UInt64,
                       _ registry: ChannelRegistry) async throws(PaymentError) -> ChannelRegistry.Record {
        let amount = max(config.topUpAmount, needed - record.deposit)
        try await requireBalance(amount + Self.fee)
        do {
            try await client.topUp(payer: identity, channel: record.channel, amount: amount)
        } catch {
            if let state = try? await client.state(record.channel), state.deposit >= needed {
                return try adopt(record, state, payee, registry)
            }
            throw failure(error, "topping up channel \(record.channel) by \(amount) lamports", needed: amount + Self.fee)
        }
        var topped = record
        topped.deposit += amount
        try registry.put(topped, for: payee)
        return topped
    }

    /// Moves the expiry `channelLifetime` past the later of now and the
    /// current expiry. A failure only matters once the channel has expired:
    /// before that the next payment tries again.
    private func renew(_ record: ChannelRegistry.Record, _ payee: Address, now: Int64,
                       _ registry: ChannelRegistry) async throws(PaymentError) -> ChannelRegistry.Record {
        let (expiry, overflow) = max(record.expiry, now).addingReportingOverflow(config.channelLifetime)
        guard !overflow else { return record }
        do {
            try await client.extend(payer: identity, channel: record.channel, expiry: expiry)
        } catch {
            if record.expiry > now { return record }
            throw failure(error, "extending expired channel \(record.channel)", needed: Self.fee)
        }
        var renewed = record
        renewed.expiry = expiry
        try registry.put(renewed, for: payee)
        return renewed
    }

    /// Checks that the payer can spend `amount` and keep its own account
    /// rent-exempt, as the runtime requires of every account a transaction
    /// leaves non-empty.
    /// Whether paying `amount` more to `payee` can go ahead: nil when it can
    /// (an open channel with room, or lamports enough to open or top one
    /// up), else why not and what to do. For a warning before watching.
    public func readiness(toPay amount: UInt64, to payee: Address) async -> String? {
        if let record = try? setup.get().record(for: payee), record.confirmed,
           let sent = try? book.sentTotal(channel: record.channel), record.deposit >= sent &+ amount {
            return nil
        }
        let needed = max(config.channelDeposit, amount)
        do {
            let channelRent = try await rent(ChannelState.size)
            let reserve = try await rent(0)
            let balance = try await client.rpc.balance(identity.address)
            guard balance < needed + channelRent + Self.fee + reserve else { return nil }
            return "\(identity.address) holds \(balance) lamports; paying \(payee) needs a channel of \(needed) (plus \(channelRent + Self.fee) rent and fee): fund it (test networks: nodectl chain airdrop) or lower channelDeposit"
        } catch {
            return "cannot read this node's balance on chain (\(error)); payments will fail until the RPC answers"
        }
    }

    private func requireBalance(_ amount: UInt64) async throws(PaymentError) {
        let reserve = try await rent(0)
        let balance = try await chain("reading the balance of \(identity.address)") { () async throws(ChainError) in
            try await client.rpc.balance(identity.address)
        }
        guard balance >= amount + reserve else { throw .insufficientFunds(identity.address, needed: amount + reserve) }
    }

    private func chain<T>(_ action: String, _ body: () async throws(ChainError) -> T) async throws(PaymentError) -> T {
        do { return try await body() } catch { throw .chain(action: action, error) }
    }

    /// A chain failure in words: running out of lamports is said as such.
    private func failure(_ error: ChainError, _ action: String, needed: UInt64) -> PaymentError {
        switch error.failure {
        case .named(let name)? where name.contains("InsufficientFunds"):   // ...ForFee, ...ForRent
            return .insufficientFunds(identity.address, needed: needed)
        case .named("AccountNotFound")?:   // the fee payer (us) was never funded
            return .insufficientFunds(identity.address, needed: needed)
        case .instruction(_, .custom(1))?:   // the System program's transfer, inside open or top-up
            return .insufficientFunds(identity.address, needed: needed)
        default:
            return .chain(action: action, error)
        }
    }
}

/// A channel we pay into, as `ChannelManager.channels()` reports it.
public struct OutgoingChannel: Codable, Sendable, Equatable {
    public var payee: Address
    /// The channel account's address.
    public var address: Address
    public var channelId: UInt64
    public var deposit: UInt64
    /// The last voucher's cumulative amount.
    public var spent: UInt64
    /// Paid out to the payee so far, from the chain; nil when it could not be read.
    public var claimed: UInt64?
    public var expiry: Int64
    /// False while the open transaction's fate is unknown (resolved by the next payment).
    public var confirmed: Bool
}

extension ChainError {
    /// The transaction was refused or its blockhash expired: it will never
    /// land. (A time-out or an unreachable RPC says nothing either way.)
    var neverLands: Bool {
        switch self {
        case .transactionFailed, .blockhashExpired: return true
        case .rpc(_, _, let failure, _): return failure != nil
        default: return false
        }
    }
}
