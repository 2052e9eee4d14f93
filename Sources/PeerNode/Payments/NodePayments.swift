import Foundation
import Gossip
import Identity
import LMDB
import Logging
import PayChannel
import Synchronization
import Transport

/// The node's wallet (docs/payments.md): it signs, counts and settles, and
/// never sends anything itself; whoever delivers a voucher (the chunk
/// exchange, through `ExchangeAccounting.vouchers` or a `PaymentSender`) is
/// handed it. In its files:
///
/// - chunks, both ways, per peer in the manner of Swarm's accounting: we
///   serve on credit up to the disconnect threshold and refuse past it; we
///   pay at half the payment threshold (NodePayments+Chunks.swift);
/// - tips, acknowledged by the creator with a receipt any node can check
///   (NodePayments+Tips.swift); segment keys of paid streams, bought and
///   sold against per-second vouchers (NodePayments+Keys.swift);
/// - settlement: the collector claims on chain when it is worth it, on its
///   own loop (`startSettling`).
///
/// What one viewer's playback may spend and owes (its limits, seconds, keys)
/// is `Playback`'s. Vouchers are signed and accepted by PayChannel
/// (ChannelManager and PaymentCollector), which record them durably before
/// they count.
public final class NodePayments: ExchangeAccounting {
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
    let neverPay: Bool
    let metrics: NodeMetrics
    let logger: Logger

    struct State {
        /// Payees a chunk payment is being made to right now.
        var paying: Set<Address> = []
        /// Lamports paid for chunks fetched for each account (a stream), this run.
        var chunkSpend: [String: UInt64] = [:]
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
    private let shopBox = Mutex(WeakKeyShop())
    /// Chunk vouchers to deliver, read by the exchange (`vouchers`).
    public let vouchers: AsyncStream<DueVoucher>
    private let voucherSink: AsyncStream<DueVoucher>.Continuation
    private let settling = Mutex<Task<Void, Never>?>(nil)
    private let stopped = Mutex(false)
    struct WeakKeyShop { weak var shop: (any SegmentKeyShop)? }
    let quieter = LogLimiter()

    init(identity: KeyPair, pricePerChunk: UInt64, limits: Limits, accounting: PeerAccounting, book: VoucherBook,
         manager: ChannelManager, collector: PaymentCollector, neverPay: Bool,
         metrics: NodeMetrics, logger: Logger) {
        self.identity = identity
        self.pricePerChunk = pricePerChunk
        self.limits = limits
        self.accounting = accounting
        self.book = book
        self.manager = manager
        self.collector = collector
        self.neverPay = neverPay
        self.metrics = metrics
        self.logger = logger
        (vouchers, voucherSink) = AsyncStream.makeStream(of: DueVoucher.self, bufferingPolicy: .bufferingNewest(1024))
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
        let payments = NodePayments(identity: identity, pricePerChunk: config.pricePerChunk, limits: settings.limits,
                                    accounting: accounting, book: book, manager: manager, collector: collector,
                                    neverPay: config.faultNeverPay,
                                    metrics: metrics, logger: logger)
        Task { await payments.resendLastVouchers() }
        return payments
    }

    /// Hands the exchange, once, the last voucher signed to each payee: one
    /// that was on its way when this node stopped would be lost otherwise
    /// (a repeat costs the payee nothing: it brings no new lamports).
    func resendLastVouchers() async {
        for last in await manager.lastPayments() {
            deliver(DueVoucher(peer: last.payee, voucher: last.voucher, purpose: last.purpose ?? .chunks))
        }
    }

    /// Claims on chain what the settlement policy says is worth it, every
    /// claim interval (the collector's loop), until `stop`.
    func startSettling() {
        settling.withLock { task in
            guard task == nil else { return }
            let (collector, metrics, logger) = (collector, metrics, logger)
            task = Task {
                await collector.runSettlementLoop { claims in
                    for claim in claims { Self.logClaim(claim, metrics: metrics, logger: logger) }
                }
            }
        }
    }

    /// Stops settling and signing: a payment still on its way when the node
    /// stops signs nothing more (its voucher book may be opened again by
    /// the next start in this process).
    func stop() {
        settling.withLock { $0?.cancel(); $0 = nil }
        stopped.withLock { $0 = true }
        voucherSink.finish()
    }

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

    /// The creator's node sells its segment keys from `shop` (held weakly: the node owns us).
    func sellKeys(from shop: any SegmentKeyShop) { shopBox.withLock { $0.shop = shop } }
    var keyShop: (any SegmentKeyShop)? { shopBox.withLock { $0.shop } }

    /// Signs a voucher adding `amount` (opening or topping up the channel as
    /// needed); a failure is remembered per payee (`paymentProblem`) and said
    /// with what to do. `item`: the payment buys this item (VoucherBook+Sales.swift).
    func sign(_ payee: Address, amount: UInt64, purpose: PaymentPurpose,
              item: UInt64? = nil) async throws(PeerNodeError) -> SignedVoucher {
        guard !stopped.withLock({ $0 }) else { throw .unavailable("the node is stopping: nothing more is signed") }
        do {
            let voucher = try await manager.pay(payee, amount: amount, purpose: purpose, item: item)
            metrics.add(.vouchersSent)
            metrics.add(.lamportsPaid, amount)
            state.withLock { $0.problems[payee] = nil }
            return voucher
        } catch {
            state.withLock { $0.problems[payee] = "\(error)" }
            quieter.log("payment failed \(payee)", logger, .warning, "payment failed",
                        ["payee": "\(payee)", "amount": "\(amount)", "error": "\(error)"])
            // The cause alone: callers say what the payment was for.
            throw .paymentRequired("\(error)")
        }
    }

    /// Lamports paid for chunks fetched for `account` (a stream) in this run.
    public func chunkSpend(_ account: String) -> UInt64 { state.withLock { $0.chunkSpend[account] ?? 0 } }

    /// Hands a chunk voucher to whoever delivers them (the exchange).
    func deliver(_ due: DueVoucher) { voucherSink.yield(due) }

    func logClaim(_ claim: Claim) { Self.logClaim(claim, metrics: metrics, logger: logger) }

    static func logClaim(_ claim: Claim, metrics: NodeMetrics, logger: Logger) {
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
