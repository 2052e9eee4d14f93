import Foundation
import Identity

/// The payee's side of the money path: checks each voucher against its
/// channel on chain before the voucher book accepts it, and settles the best
/// vouchers on chain when the settlement policy says so
/// (docs/settlement.md, "When a payee claims").
///
/// The settlement loop is offered (`runSettlementLoop`) but not started: the
/// daemon runs it in a task it cancels at shutdown, or calls `settleDue()`
/// on its own schedule.
public actor PaymentCollector {
    public nonisolated let identity: KeyPair
    public nonisolated let config: PaymentConfig
    let client: ChannelClient
    private let clock: ChainClock
    let book: VoucherBook
    /// Channels as last read from the chain, and when. Deposits only grow and
    /// expiries only move later, so a cached figure errs on the safe side; it
    /// is read again when a voucher goes past it or names another opening,
    /// and after `stateReuse` seconds (a channel closed meanwhile, by the
    /// payee elsewhere, takes no vouchers that could not be claimed).
    private var known: [Address: ChannelState] = [:]
    private var knownAt: [Address: Date] = [:]
    let stateReuse: TimeInterval
    private let claiming = KeyedLock<Address>()
    /// Channels found closed with vouchers unclaimed (reported once by settleDue).
    private var closed: Set<Address> = []

    public init(identity: KeyPair, client: ChannelClient, book: VoucherBook, config: PaymentConfig) {
        self.init(identity: identity, client: client, book: book, config: config, stateReuse: Self.defaultStateReuse)
    }

    /// How long a channel read from the chain is reused to take vouchers.
    static let defaultStateReuse: TimeInterval = 10

    init(identity: KeyPair, client: ChannelClient, book: VoucherBook, config: PaymentConfig, stateReuse: TimeInterval) {
        self.identity = identity
        self.client = client
        clock = ChainClock(client: client)
        self.book = book
        self.config = config
        self.stateReuse = stateReuse
    }

    /// Accepts a voucher that `peer` (the authenticated link peer) sent for
    /// `purpose`: its signature must verify, its signer and the channel's
    /// payer must be `peer`, the channel must pay us and not have expired,
    /// and it must fit the deposit and grow (VoucherBook.accept). It is on
    /// disk before this returns the new lamports it brings (0 for a resend).
    public func accept(_ voucher: SignedVoucher, from peer: Address,
                       purpose: PaymentPurpose) async throws(PaymentError) -> UInt64 {
        try await accept(voucher, from: peer, purpose: purpose, expected: nil).added
    }

    /// `accept`, for a voucher whose own increment we know (`expected`: a
    /// key's price): what it brings beyond that is booked as chunk income
    /// (VoucherBook.accept(_:terms:purpose:expected:)).
    public func accept(_ voucher: SignedVoucher, from peer: Address, purpose: PaymentPurpose,
                       expected: UInt64?) async throws(PaymentError) -> (added: UInt64, asChunks: UInt64) {
        let channel = voucher.voucher.channel
        // Checks that need no chain first: a bad peer costs us no RPC call.
        do { _ = try purpose.validated() } catch { throw .voucher(error) }
        guard voucher.isValid else { throw .voucher(.badSignature) }
        guard voucher.payer == peer else { throw .wrongPayer(channel: channel, payer: voucher.payer, peer: peer) }
        try await checkProgram()

        var state = try await channelState(channel, fresh: false)
        var now = await chainNow(near: state.expiry)
        if voucher.voucher.amount > state.deposit || state.expiry <= now || voucher.voucher.opening != state.opening {
            state = try await channelState(channel, fresh: true)   // topped up, extended or opened again since?
            now = await chainNow(near: state.expiry)
        }
        guard state.payee == identity.address else { throw .notOurChannel(channel: channel, payee: state.payee) }
        guard state.payer == peer else { throw .wrongPayer(channel: channel, payer: state.payer, peer: peer) }
        guard state.expiry > now else { throw .channelExpired(channel: channel, expiry: state.expiry, now: now) }
        // Only a voucher the program would pay counts: it names the channel's
        // current opening (VoucherBook.accept refuses another) and fits the
        // deposit. One at or below what the chain already paid out brings
        // nothing the chain has not paid us already (whoever claimed it).
        let terms = ChannelTerms(channel: channel, opening: state.opening, payer: state.payer, payee: state.payee,
                                 deposit: state.deposit)
        let book = book
        do {
            return try await DurableWrites.run { () throws(VoucherError) -> (added: UInt64, asChunks: UInt64) in
                try book.accept(voucher, terms: terms, purpose: purpose, expected: expected)
            }
        } catch { throw .voucher(error) }
    }

    /// A voucher older than the best we hold (it arrived after a later one):
    /// books its share of the later one's money under its own purpose
    /// (VoucherBook.attributeLate). nil when nothing moved.
    public func attributeLate(_ voucher: SignedVoucher, from peer: Address,
                              purpose: PaymentPurpose) async throws(PaymentError) -> VoucherBook.LateShare? {
        guard voucher.isValid, voucher.payer == peer else { return nil }
        let state = try await channelState(voucher.voucher.channel, fresh: false)
        guard state.payee == identity.address, state.payer == peer else { return nil }
        let terms = ChannelTerms(channel: voucher.voucher.channel, opening: state.opening, payer: state.payer,
                                 payee: state.payee, deposit: state.deposit)
        let book = book
        do {
            return try await DurableWrites.run { () throws(VoucherError) -> VoucherBook.LateShare? in
                try book.attributeLate(voucher, terms: terms, purpose: purpose)
            }
        } catch { throw .voucher(error) }
    }

    /// Claims every channel the settlement policy says to: the amount owed is
    /// worth the fee (at least 100 times it, by default), or the channel
    /// expires soon. Failed claims are reported and tried again next time;
    /// the voucher stays in the book either way.
    public func settleDue() async -> [Claim] { await settle(requested: false) }

    /// Claims everything unclaimed, whatever the fee (the user asked).
    public func settleAll() async -> [Claim] { await settle(requested: true) }

    /// Runs `settleDue()` every `config.claimInterval` seconds until the
    /// calling task is cancelled, handing each round's claims (when there
    /// are any) to `report`.
    public func runSettlementLoop(report: @Sendable ([Claim]) async -> Void = { _ in }) async {
        while !Task.isCancelled {
            let claims = await settleDue()
            if !claims.isEmpty { await report(claims) }
            try? await Task.sleep(nanoseconds: UInt64(config.claimInterval * 1e9))
        }
    }

    /// What we earned and what of it was claimed. Claimed figures come from
    /// the voucher book, or from the chain when `refreshFromChain` (channels
    /// the chain does not answer for keep the book's). When the book cannot
    /// be read the report is empty.
    public func earnings(refreshFromChain: Bool = false) async -> EarningsReport {
        var onChain: [Address: UInt64]?
        if refreshFromChain, let channels = try? book.incomingChannels() {
            var claimed: [Address: UInt64] = [:]
            for (voucher, _) in channels {
                // Another opening's figure (the address closed and opened again) says nothing of ours.
                if let state = try? await client.state(voucher.voucher.channel), state.opening == voucher.voucher.opening {
                    claimed[voucher.voucher.channel] = state.claimed
                }
            }
            onChain = claimed
        }
        return (try? book.earnings(claimedOnChain: onChain)) ?? EarningsReport()
    }

    // MARK: Settling

    private func settle(requested: Bool) async -> [Claim] {
        guard let channels = try? book.incomingChannels() else { return [] }
        // The sysvar can lag wall time on a quiet local chain; settling a
        // little early is safe, late is not.
        let now = max((try? await client.now()) ?? .min, Self.wallClock())
        var claims: [Claim] = []
        for (voucher, claimed) in channels where voucher.voucher.amount > claimed {
            let channel = voucher.voucher.channel
            let claim = await claiming.withLock(channel) { () async -> Claim? in
                await self.settle(voucher, claimedInBook: claimed, now: now, requested: requested)
            }
            if let claim { claims.append(claim) }
        }
        return claims
    }

    private func settle(_ voucher: SignedVoucher, claimedInBook: UInt64, now: Int64, requested: Bool) async -> Claim? {
        let channel = voucher.voucher.channel
        let amount = voucher.voucher.amount
        // Decide on what we know first (an expiry not yet read counts as far
        // off); a channel that is not due by it costs no call.
        let cachedExpiry = known[channel]?.expiry
        let early = reason(amount, claimedInBook, expiry: cachedExpiry ?? .max, now, requested)
        if early == nil && (cachedExpiry != nil || closed.contains(channel)) { return nil }
        let state: ChannelState
        do {
            guard let live = try await client.state(channel) else {
                known[channel] = nil
                // Said once by settleDue, and whenever settleAll is asked.
                guard requested || closed.insert(channel).inserted else { return nil }
                return Claim(channel: channel, payer: voucher.payer, amount: amount - claimedInBook, reason: early ?? .expiresSoon,
                             error: "channel is closed on chain; its \(amount - claimedInBook) unclaimed lamports can no longer be claimed")
            }
            guard live.opening == voucher.voucher.opening else {
                guard requested || closed.insert(channel).inserted else { return nil }
                return Claim(channel: channel, payer: voucher.payer, amount: amount - claimedInBook, reason: early ?? .expiresSoon,
                             error: "channel was closed and opened again; the \(amount - claimedInBook) unclaimed lamports of its earlier opening can no longer be claimed")
            }
            state = live
        } catch {
            guard let early else { return nil }   // not known to be due: nothing to report yet
            return Claim(channel: channel, payer: voucher.payer, amount: amount - claimedInBook, reason: early,
                         error: "reading the channel: \(error)")
        }
        known[channel] = state
        knownAt[channel] = Date()
        if state.claimed > claimedInBook { try? book.recordClaimed(channel: channel, amount: state.claimed) }  // claimed by another submitter
        guard let reason = reason(amount, state.claimed, expiry: state.expiry, now, requested) else { return nil }
        let gain = amount - state.claimed
        do {
            let signature = try await client.claim(voucher, payee: identity.address, feePayer: identity)
            // On chain now; should this write fail, the next round reads the chain's figure.
            try? book.recordClaimed(channel: channel, amount: amount)
            known[channel]?.claimed = amount
            return Claim(channel: channel, payer: voucher.payer, amount: gain, reason: reason, signature: signature)
        } catch {
            // A claim that timed out may still land: the next round reads the chain before claiming again.
            return Claim(channel: channel, payer: voucher.payer, amount: gain, reason: reason, error: error.description)
        }
    }

    /// Why to claim now, or nil to wait.
    private func reason(_ amount: UInt64, _ claimed: UInt64, expiry: Int64, _ now: Int64, _ requested: Bool) -> Claim.Reason? {
        guard amount > claimed else { return nil }
        switch config.settlement.decide(voucherAmount: amount, claimed: claimed, expiry: expiry, now: now) {
        case .settle: return .worthTheFee
        case .settleBeforeExpiry: return .expiresSoon
        case .wait: return requested ? .requested : nil
        }
    }

    // MARK: The chain's view

    /// When the program was last found trustworthy, and whether for good (final).
    private var programTrusted: (at: Date, final: Bool)?
    /// A program upgradeable by a trusted key is looked at again this often, seconds.
    static let programRecheck: TimeInterval = 600

    /// Checks the program ahead of the first voucher (a node calls it at
    /// start), so that voucher waits for no more reads than before; a
    /// failure here is only reported by the first voucher, which checks again.
    public func checkProgramEarly() async { try? await checkProgram() }

    /// Refuses vouchers through a program that is not the expected build, or
    /// that someone we do not trust could still upgrade (and so drain).
    private func checkProgram() async throws(PaymentError) {
        if let trusted = programTrusted, trusted.final || Date().timeIntervalSince(trusted.at) < Self.programRecheck { return }
        let check = ProgramCheck(rpc: client.rpc)
        let program = client.program.id
        let found: ProgramCheck.Deployed, reason: String?
        do {
            found = try await check.deployed(program)
            reason = try await check.distrust(program, config.programTrust, deployed: found)
        } catch {
            if programTrusted != nil { return }   // trusted at the last look; the chain does not answer now
            throw .chain(action: "checking program \(program)", error)
        }
        if let reason { throw .untrustedProgram(program, reason: reason) }
        programTrusted = (Date(), found.upgradeAuthority == nil)
    }

    /// The channel's on-chain state, from the cache unless `fresh`.
    private func channelState(_ channel: Address, fresh: Bool) async throws(PaymentError) -> ChannelState {
        if !fresh, let cached = known[channel], let at = knownAt[channel], Date().timeIntervalSince(at) < stateReuse {
            return cached
        }
        let state: ChannelState?
        do { state = try await client.state(channel) } catch {
            // The chain does not answer: a look older than `stateReuse` is
            // still the best we have (the wall clock stands in for its clock too).
            if !fresh, let cached = known[channel] { return cached }
            throw .chain(action: "reading channel \(channel)", error)
        }
        guard let state else {
            known[channel] = nil
            throw .unknownChannel(channel)
        }
        known[channel] = state
        knownAt[channel] = Date()
        return state
    }

    /// The chain's clock (a read reused for `ChainClock`'s ten seconds, so a
    /// stream of vouchers costs no RPC call each), read afresh within
    /// `exactNearExpiry` of the channel's expiry; the wall clock when the
    /// chain does not answer.
    private func chainNow(near expiry: Int64) async -> Int64 {
        if let estimate = clock.estimate, expiry - estimate > Self.exactNearExpiry { return estimate }
        return (try? await clock.now(exact: true)) ?? Self.wallClock()
    }

    static let exactNearExpiry: Int64 = 3600

    static func wallClock() -> Int64 { Int64(Date().timeIntervalSince1970) }
}

/// One claim a payee sent (or tried to), as `settleDue` and `settleAll` report it.
public struct Claim: Codable, Sendable, Equatable {
    public enum Reason: String, Codable, Sendable {
        /// The amount owed is worth the fee (SettlementPolicy's 1% rule).
        case worthTheFee
        /// The channel expires within the policy's margin.
        case expiresSoon
        /// Asked for (settleAll), whatever the fee.
        case requested
    }

    public var channel: Address
    public var payer: Address
    /// Lamports the claim paid us, or would have when it failed.
    public var amount: UInt64
    public var reason: Reason
    /// The transaction's signature when it was confirmed.
    public var signature: String?
    /// Why it failed; it is tried again in the next round.
    public var error: String?

    public var succeeded: Bool { signature != nil && error == nil }

    public init(channel: Address, payer: Address, amount: UInt64, reason: Reason, signature: String? = nil,
                error: String? = nil) {
        self.channel = channel
        self.payer = payer
        self.amount = amount
        self.reason = reason
        self.signature = signature
        self.error = error
    }
}
