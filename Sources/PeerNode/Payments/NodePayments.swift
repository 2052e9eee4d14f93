import Foundation
import Gossip
import Identity
import LMDB
import Logging
import PayChannel
import Synchronization
import Transport

/// The money path wired into the node (docs/payments.md):
///
/// - chunks, both ways, per peer in the manner of Swarm's accounting: we
///   serve on credit up to the disconnect threshold and refuse past it; we
///   pay at half the payment threshold, with a voucher that rides with our
///   next request to that peer (or goes on its own if none follows soon);
/// - seconds watched, paid to the stream's creator whoever relays the bytes;
/// - tips, acknowledged by the creator with a receipt any node can check;
/// - the viewer's limits (price per chunk and per second, a cap per stream);
/// - settlement: the collector claims on chain when it is worth it.
///
/// Vouchers are signed and accepted by PayChannel (ChannelManager and
/// PaymentCollector), which record them durably before they count.
public final class NodePayments: ExchangePayments {
    public struct Limits: Sendable, Equatable {
        public var maxPricePerChunk: UInt64?
        public var maxPricePerSecond: UInt64?
        public var spendingCapPerStream: UInt64?
    }

    public let identity: KeyPair
    public let pricePerChunk: UInt64
    public let limits: Limits
    public let accounting: PeerAccounting
    public let book: VoucherBook
    public let manager: ChannelManager
    public let collector: PaymentCollector
    public let claimInterval: Double
    let neverPay: Bool
    let metrics: NodeMetrics
    let logger: Logger

    /// A voucher not carried by a request within this many seconds goes on its own.
    static let soloDeliveryDelay = 0.5
    /// Streams whose played segments we remember (to pay each segment once).
    static let maxPlayedStreams = 256

    struct State {
        /// The newest voucher per payee not yet known to have arrived.
        var due: [Address: (voucher: SignedVoucher, purpose: PaymentPurpose, since: Date)] = [:]
        /// Payees a chunk payment is being made to right now.
        var paying: Set<Address> = []
        /// Lamports paid for chunks while fetching each stream's segments (this run).
        var chunkSpend: [String: UInt64] = [:]
        /// Segments already paid per stream (a player may fetch one twice).
        var played: [String: Set<UInt64>] = [:]
        /// Lamports owed to creators for seconds played, not yet in a voucher.
        var owedSeconds: [String: (creator: Address, amount: UInt64)] = [:]
        var payingSeconds: Set<String> = []
        /// Why the last payment to each payee failed; cleared when one succeeds.
        var problems: [Address: String] = [:]
        /// This run, per peer (an entry once we received chunks from it or
        /// were refused by it; then its word on an old debt is no longer
        /// taken, see `refused`): the value of the chunks it delivered to us
        /// (price each), what we paid it for chunks, and the old debt we
        /// took on its word after our restart (at most one threshold).
        var chunkLedger: [Address: (received: UInt64, paid: UInt64, allowance: UInt64)] = [:]
    }

    let state = Mutex(State())
    /// The last payment queued per creator: seconds and tips to one creator
    /// are signed and delivered one after the other, so a tip's voucher is
    /// never overtaken by a later one (its receipt needs it to bring the tip).
    private let queues = Mutex<[Address: Task<Void, Never>]>([:])
    private let exchangeBox = Mutex<ChunkExchange?>(nil)
    private let shopBox = Mutex(WeakKeyShop())
    struct WeakKeyShop { weak var shop: (any SegmentKeyShop)? }
    private let quieter = LogLimiter()

    init(identity: KeyPair, pricePerChunk: UInt64, limits: Limits, accounting: PeerAccounting, book: VoucherBook,
         manager: ChannelManager, collector: PaymentCollector, claimInterval: Double, neverPay: Bool,
         metrics: NodeMetrics, logger: Logger) {
        self.identity = identity
        self.pricePerChunk = pricePerChunk
        self.limits = limits
        self.accounting = accounting
        self.book = book
        self.manager = manager
        self.collector = collector
        self.claimInterval = claimInterval
        self.neverPay = neverPay
        self.metrics = metrics
        self.logger = logger
    }

    /// The node's payments from its config, or nil when no program is set
    /// (such a node neither pays nor charges: it uses free peers only).
    /// `package`: the transfer benchmark's paid rounds open one too.
    package static func open(dataDirectory: String, identity: KeyPair, config: NodeConfig, metrics: NodeMetrics,
                     logger: Logger) throws -> NodePayments? {
        guard let settings = try config.paymentSettings() else { return nil }
        let client: ChannelClient
        do { client = try ChannelClient(config: settings.chain.validated()) } catch {
            throw PeerNodeError.badConfig("chain: \(error)")
        }
        let directory = dataDirectory + "/payments"
        var options = LMDBEnvironment.Options()
        options.mapSize = 1 << 30
        let env: LMDBEnvironment, book: VoucherBook, accounting: PeerAccounting
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            env = try LMDBEnvironment(directory: directory, options: options)
            book = try VoucherBook(environment: env)
            accounting = try PeerAccounting(config: settings.payment.accounting)
        } catch {
            throw PeerNodeError.badConfig("payments in \(directory): \(error)")
        }
        let manager = ChannelManager(identity: identity, client: client, book: book, environment: env,
                                     config: settings.payment)
        let collector = PaymentCollector(identity: identity, client: client, book: book, config: settings.payment)
        Task { await collector.checkProgramEarly() }   // before the first voucher needs it
        return NodePayments(identity: identity, pricePerChunk: config.pricePerChunk, limits: settings.limits,
                            accounting: accounting, book: book, manager: manager, collector: collector,
                            claimInterval: settings.payment.claimInterval, neverPay: config.faultNeverPay,
                            metrics: metrics, logger: logger)
    }

    func attach(_ exchange: ChunkExchange?) { exchangeBox.withLock { $0 = exchange } }

    /// Runs `work` after every payment queued before it to `payee`.
    func serially<T: Sendable>(_ payee: Address, _ work: @escaping @Sendable () async -> T) async -> T {
        let mine: Task<T, Never> = queues.withLock { queues in
            let previous = queues[payee]
            let task = Task { await previous?.value; return await work() }
            queues[payee] = Task { _ = await task.value }
            return task
        }
        return await mine.value
    }
    var exchange: ChunkExchange? { exchangeBox.withLock { $0 } }
    /// The creator's node sells its segment keys from `shop` (held weakly: the node owns us).
    func sellKeys(from shop: any SegmentKeyShop) { shopBox.withLock { $0.shop = shop } }
    var keyShop: (any SegmentKeyShop)? { shopBox.withLock { $0.shop } }

    // MARK: Payer side: chunks

    public func mayUse(_ peer: Address, price: UInt64) -> Bool {
        guard price > 0 else { return true }
        if let max = limits.maxPricePerChunk, price > max { return false }
        return true
    }

    public func takeVoucher(for peer: Address) -> SignedVoucher? {
        state.withLock { s -> SignedVoucher? in
            guard let due = s.due[peer], due.purpose == .chunks else { return nil }
            s.due[peer] = nil
            return due.voucher
        }
    }

    public func received(from peer: Address, price: UInt64) {
        state.withLock { $0.chunkLedger[peer, default: (0, 0, 0)].received &+= price }
        if accounting.recordReceived(from: peer, price: price) != nil { payChunks(to: peer) }
    }

    public func paymentProblem(with peer: Address) -> String? { state.withLock { $0.problems[peer] } }

    public func refused(by peer: Address, owed: UInt64) {
        // What the peer says we owe is its balance when it refused: our
        // chunks received and not yet paid, plus vouchers we signed that it
        // had not credited yet (they may be a moment behind), plus chunks it
        // sent that never reached us. Only the first is ours to pay. The one
        // debt we cannot count ourselves is what we owed before our own
        // restart (soft state): that is taken from the peer's word once, the
        // first time it refuses us in this run, if we have had no dealings
        // with it since we started, and never beyond one payment threshold.
        // Every later refusal (a stale one that crossed our payment, or one
        // while we could not pay) pays our own count and nothing more: booking
        // the peer's figure each time made a viewer that ran dry overpay by
        // about 20% once it was funded.
        let ours = accounting.debt(to: peer)
        let firstWord = state.withLock { s -> Bool in
            guard s.chunkLedger[peer] == nil else { return false }
            s.chunkLedger[peer] = (0, 0, 0)
            return true
        }
        if firstWord, ours == 0, accounting.balance(peer) == 0 {
            let believed = min(owed, accounting.config.paymentThreshold)
            if believed > 0 {
                logger.notice("a peer says we owe it from before our restart; paying it that once",
                              metadata: ["peer": "\(peer)", "owed": "\(owed)", "booked": "\(believed)"])
                _ = accounting.recordReceived(from: peer, price: believed)
                state.withLock { $0.chunkLedger[peer, default: (0, 0, 0)].allowance = believed }
            }
        }
        payChunks(to: peer, wholeDebt: true)
        Task { await deliverDue(immediately: true) }
    }

    /// Pays our whole debt to `peer` once it reaches the early-payment point
    /// (one payment at a time per peer; a debt that grew meanwhile past that
    /// point is paid in the next round). `wholeDebt`: pay whatever we owe,
    /// because the peer refuses to serve us until we do.
    private func payChunks(to peer: Address, wholeDebt: Bool = false) {
        guard !neverPay else { return }
        let start = state.withLock { $0.paying.insert(peer).inserted }
        guard start else { return }
        Task {
            var paid = true
            for round in 0..<8 {
                let debt = accounting.debt(to: peer)
                guard debt >= accounting.config.earlyPaymentAt || (wholeDebt && round == 0 && debt > 0) else { break }
                guard withinReceived(peer, paying: debt) else { paid = false; break }
                guard await pay(peer, amount: debt, purpose: .chunks) != nil else { paid = false; break }
                accounting.recordPaid(to: peer, amount: debt)
                state.withLock { $0.chunkLedger[peer, default: (0, 0, 0)].paid &+= debt }
            }
            state.withLock { _ = $0.paying.remove(peer) }
            // A chunk that arrived just as we finished found us busy: look again.
            if paid, accounting.debt(to: peer) >= accounting.config.earlyPaymentAt { payChunks(to: peer) }
        }
    }

    /// The invariant every chunk payment is checked against before it is
    /// signed: nobody pays for what it did not receive, beyond the old debt
    /// taken on the payee's word once after a restart. A payment that would
    /// break it is not made (and said loudly: it is a bug).
    private func withinReceived(_ peer: Address, paying amount: UInt64) -> Bool {
        let ledger = state.withLock { $0.chunkLedger[peer] ?? (0, 0, 0) }
        guard ledger.paid &+ amount <= ledger.received &+ ledger.allowance else {
            logger.error("refusing to pay for chunks not received (a bug in the accounting)", metadata: [
                "peer": "\(peer)", "paying": "\(amount)", "paid": "\(ledger.paid)", "received": "\(ledger.received)",
                "allowance": "\(ledger.allowance)"])
            return false
        }
        return true
    }

    /// What this run received from and paid to each peer for chunks (tests check the invariant too).
    public func chunkLedger(_ peer: Address) -> (received: UInt64, paid: UInt64, allowance: UInt64) {
        state.withLock { $0.chunkLedger[peer] ?? (0, 0, 0) }
    }

    /// Signs a voucher adding `amount` (opening or topping up the channel as
    /// needed) and queues it for delivery.
    @discardableResult
    func pay(_ payee: Address, amount: UInt64, purpose: PaymentPurpose) async -> SignedVoucher? {
        do {
            let voucher = try await manager.pay(payee, amount: amount, purpose: purpose)
            metrics.add(.vouchersSent)
            metrics.add(.lamportsPaid, amount)
            state.withLock {
                $0.due[payee] = (voucher, purpose, Date())
                $0.problems[payee] = nil
            }
            return voucher
        } catch {
            state.withLock { $0.problems[payee] = "\(error)" }
            quieter.log("payment failed \(payee)", logger, .warning, "payment failed",
                        ["payee": "\(payee)", "amount": "\(amount)", "error": "\(error)"])
            return nil
        }
    }

    /// Sends one voucher now and waits for the answer; on success it is no longer due.
    func deliver(_ voucher: SignedVoucher, to payee: Address, purpose: PaymentPurpose) async {
        guard let exchange, let answer = await exchange.sendPayment(to: payee, voucher: voucher, purpose: purpose) else { return }
        state.withLock { s in
            if s.due[payee]?.voucher == voucher { s.due[payee] = nil }
        }
        if !answer.error.isEmpty {
            logger.warning("payee refused a voucher", metadata: ["payee": "\(payee)", "error": "\(answer.error)"])
        }
    }

    /// Sends vouchers that no request carried on their own (called every tick).
    func deliverDue(immediately: Bool = false) async {
        let now = Date()
        let ready = state.withLock { s in
            s.due.filter { immediately || now.timeIntervalSince($0.value.since) >= Self.soloDeliveryDelay }
        }
        // No link or no answer: tried again next tick (a newer voucher covers it anyway).
        for (payee, due) in ready { await deliver(due.voucher, to: payee, purpose: due.purpose) }
    }

    // MARK: Payer side: seconds watched and tips

    /// Refuses, with the reason, a stream the viewer's limits do not allow.
    func checkPlayable(stream: String, creator: Address, pricePerSecond: UInt64, nextCost: UInt64) throws(PeerNodeError) {
        guard creator != identity.address, pricePerSecond > 0 || limits.spendingCapPerStream != nil else { return }
        if let max = limits.maxPricePerSecond, pricePerSecond > max {
            throw .paymentRequired("\(stream) costs \(pricePerSecond) lamports per second, above this node's maxPricePerSecond of \(max)")
        }
        if let cap = limits.spendingCapPerStream {
            let spent = spent(stream: stream)
            if spent + nextCost > cap {
                throw .paymentRequired("the spending cap of \(cap) lamports for \(stream) is reached (spent \(spent), the next segment costs \(nextCost)); raise spendingCapPerStream to keep watching")
            }
        }
    }

    /// What watching a stream cost: seconds paid (durable), seconds owed, chunk fees this run.
    public func spent(stream: String) -> UInt64 {
        let seconds = (try? book.spent(.seconds(stream: stream))) ?? 0
        return state.withLock { s in seconds + (s.owedSeconds[stream]?.amount ?? 0) + (s.chunkSpend[stream] ?? 0) }
    }

    func noteChunkSpend(stream: String, _ cost: UInt64) {
        guard cost > 0 else { return }
        state.withLock { $0.chunkSpend[stream, default: 0] += cost }
    }

    /// A segment was handed to the player: owe the creator its seconds (once per segment).
    func played(stream: String, creator: Address, pricePerSecond: UInt64, sequence: UInt64, duration: Double) {
        guard creator != identity.address, pricePerSecond > 0 else { return }
        let amount = UInt64((max(0, duration) * Double(pricePerSecond)).rounded(.up))
        let first = state.withLock { s -> Bool in
            if s.played[stream] == nil, s.played.count >= Self.maxPlayedStreams { s.played.removeAll() }
            guard s.played[stream, default: []].insert(sequence).inserted else { return false }
            s.owedSeconds[stream] = (creator, (s.owedSeconds[stream]?.amount ?? 0) + amount)
            return s.payingSeconds.insert(stream).inserted
        }
        guard first, !neverPay else { return }
        Task {
            defer { state.withLock { _ = $0.payingSeconds.remove(stream) } }
            for _ in 0..<64 {
                guard let owed = state.withLock({ $0.owedSeconds[stream] }), owed.amount > 0 else { return }
                let paid = await serially(owed.creator) { () -> Bool in
                    guard let voucher = await self.pay(owed.creator, amount: owed.amount, purpose: .seconds(stream: stream)) else {
                        return false
                    }
                    // Signed: the book counts it from now on, so it is owed no
                    // more (counted in both while the voucher travelled, the
                    // stream's spending looked higher by it and a viewer near
                    // its cap was refused a segment it could afford).
                    self.state.withLock { s in
                        let left = (s.owedSeconds[stream]?.amount ?? 0) - owed.amount
                        s.owedSeconds[stream] = left > 0 ? (owed.creator, left) : nil
                    }
                    await self.deliver(voucher, to: owed.creator, purpose: .seconds(stream: stream))
                    return true
                }
                guard paid else { return }
            }
        }
    }

    public struct TipResult: Sendable, Codable {
        public let stream: String
        public let amount: UInt64
        /// What the creator acknowledged (at least `amount`).
        public let accepted: UInt64
        public let channel: String
        /// The chat tip reference (`tip1:...`) when a message went with it.
        public let reference: String?
    }

    /// Pays the creator `amount` now and waits for its receipt (needed to
    /// highlight the chat line, which the caller then sends).
    func tip(stream: StreamID, amount: UInt64, message: String?) async throws(PeerNodeError) -> TipResult {
        guard amount > 0 else { throw .badRequest("a tip must be above 0 lamports") }
        guard stream.creator != identity.address else { throw .badRequest("you cannot tip your own stream") }
        guard let exchange else { throw .unavailable("the node is stopping") }
        let purpose = PaymentPurpose.tip(stream: stream.description)
        let note = TipNote(amount: amount, textHash: message.map(TipReceipt.textHash)).encoded
        let sent: Result<(SignedVoucher, PaymentAnswer?), PeerNodeError> = await serially(stream.creator) {
            let voucher: SignedVoucher
            do { voucher = try await self.manager.pay(stream.creator, amount: amount, purpose: purpose) } catch {
                return .failure(.paymentRequired("\(error)"))
            }
            self.metrics.add(.vouchersSent)
            self.metrics.add(.lamportsPaid, amount)
            let answer = await exchange.sendPayment(to: stream.creator, voucher: voucher, purpose: purpose, note: note)
            if answer == nil { self.state.withLock { $0.due[stream.creator] = (voucher, purpose, Date()) } }  // delivered later; it stays paid
            return .success((voucher, answer))
        }
        let (voucher, reply) = try sent.get()
        guard let answer = reply else {
            throw .unavailable("the tip is paid (voucher \(voucher.voucher.amount) on \(voucher.voucher.channel)) but the creator's node did not answer; it will be delivered when it is reachable")
        }
        guard answer.error.isEmpty else { throw .paymentRequired("the creator refused the tip: \(answer.error)") }
        var reference: String?
        if let message {
            let receipt = TipReceipt(stream: stream.description, tipper: identity.address, amount: amount,
                                     textHash: TipReceipt.textHash(message), signature: answer.receipt)
            guard receipt.isSigned(by: stream.creator) else {
                throw .unavailable("the creator accepted the tip but its receipt does not verify; the chat line was not sent")
            }
            reference = receipt.reference
        }
        return TipResult(stream: stream.description, amount: amount, accepted: answer.accepted,
                         channel: voucher.voucher.channel.base58, reference: reference)
    }

    // MARK: Payee side

    public func credit(_ voucher: SignedVoucher, from peer: Address) async {
        await accept(voucher, from: peer, purpose: .chunks)
    }

    public func admit(_ peer: Address?) -> PaymentRefusal? {
        guard pricePerChunk > 0 else { return nil }
        guard let peer else {
            return PaymentRefusal(owed: 0, reason: "this node charges \(pricePerChunk) per chunk and does not know who is asking (no HELLO)")
        }
        do { try accounting.debitForService(peer, price: pricePerChunk) } catch {
            return PaymentRefusal(owed: UInt64(max(0, accounting.balance(peer))), reason: "\(error)")
        }
        return nil
    }

    public var forwardsForOthers: Bool { pricePerChunk > 0 }

    public func notServed(_ peer: Address) {
        if pricePerChunk > 0 { accounting.refundService(peer, price: pricePerChunk) }
    }

    public func receive(_ voucher: SignedVoucher, purpose bytes: [UInt8], note: [UInt8],
                        from peer: Address) async -> PaymentAnswer {
        let purpose: PaymentPurpose
        do { purpose = try PaymentPurpose(decoding: bytes[...]) } catch { return .failed("bad purpose: \(error)") }
        if let stream = purpose.stream {
            guard let id = try? StreamID(stream), id.creator == identity.address else {
                return .failed("\(stream) is not a stream of this node (\(identity.address))")
            }
        }
        if case .seconds(let stream) = purpose, let request = SegmentKeyRequest(note) {
            return await sellKey(voucher, stream: stream, request: request, from: peer)
        }
        let accepted: UInt64
        do { accepted = try await acceptOrThrow(voucher, from: peer, purpose: purpose) } catch {
            return .failed("\(error)")
        }
        var receipt: [UInt8] = []
        if case .tip(let stream) = purpose, let tip = TipNote(note), let hash = tip.textHash {
            // The voucher's increment may also cover earlier payments that had
            // not arrived yet; the receipt vouches for the tip alone.
            guard accepted >= tip.amount else {
                return PaymentAnswer(accepted: accepted, receipt: [], error: "the voucher brings \(accepted) lamports, less than the tip of \(tip.amount)")
            }
            receipt = TipReceipt.sign(stream: stream, tipper: peer, amount: tip.amount, textHash: hash,
                                      creator: identity).signature
        }
        return PaymentAnswer(accepted: accepted, receipt: receipt, error: "")
    }

    private func accept(_ voucher: SignedVoucher, from peer: Address, purpose: PaymentPurpose) async {
        _ = try? await acceptOrThrow(voucher, from: peer, purpose: purpose)
    }

    func acceptOrThrow(_ voucher: SignedVoucher, from peer: Address, purpose: PaymentPurpose) async throws -> UInt64 {
        do {
            let new = try await collector.accept(voucher, from: peer, purpose: purpose)
            if new > 0 {
                if purpose == .chunks { accounting.creditPayment(from: peer, amount: new) }
                metrics.add(.vouchersAccepted)
                metrics.add(.lamportsEarned, new)
            }
            return new
        } catch PaymentError.voucher(.notIncreasing), PaymentError.voucher(.sequenceNotIncreasing) {
            // A voucher overtaken by a newer one (two requests in flight):
            // vouchers are cumulative, so the newer one already paid for it.
            return 0
        } catch {
            metrics.add(.vouchersRejected)
            logger.warning("voucher refused", metadata: ["peer": "\(peer)", "error": "\(error)"])
            throw error
        }
    }

    /// Claims on chain what the settlement policy says is worth it.
    func settleDue() async {
        for claim in await collector.settleDue() { logClaim(claim) }
    }

    func logClaim(_ claim: Claim) {
        metrics.add(.claims)
        logger.info("claimed on chain", metadata: ["claim": "\(claim)"])
    }
}

/// A tip's note in a PAY frame: the amount tipped (u64 big-endian) and,
/// when a chat line goes with it, the SHA-256 of its text.
struct TipNote: Equatable {
    var amount: UInt64
    var textHash: [UInt8]?

    var encoded: [UInt8] {
        var w = WireWriter(capacity: 40)
        w.u64(amount)
        if let textHash { w.fixed(textHash) }
        return w.bytes
    }

    init(amount: UInt64, textHash: [UInt8]?) {
        self.amount = amount
        self.textHash = textHash
    }

    init?(_ bytes: [UInt8]) {
        guard bytes.count == 8 || bytes.count == 40 else { return nil }
        var r = WireReader(bytes)
        guard let amount = try? r.u64("tip amount") else { return nil }
        self.amount = amount
        textHash = bytes.count == 40 ? Array(bytes.suffix(32)) : nil
    }
}
