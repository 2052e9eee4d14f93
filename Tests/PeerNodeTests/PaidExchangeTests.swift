import ContentStore
import Foundation
import Identity
import NetworkLab
import Logging
import PayChannel
import Solana
import TestSupport
import Testing
@testable import PeerNode

/// Chunk exchanges in this process that pay each other through real
/// channels on the local chain (localnet, the deployed program), with
/// vouchers riding on the requests.
@Suite(.serialized) struct PaidExchangeTests {
    final class Node: Sendable {
        let dir: String
        let store: ChunkStore
        let exchange: ChunkExchange
        let payments: NodePayments
        let key: KeyPair
        let metrics: NodeMetrics

        /// `reuse`: the key and data directory of a node to start again (a restart).
        init(_ deployed: Localnet.Deployed, price: UInt64 = 0, funded: Bool = true, reuse: (KeyPair, String)? = nil,
             _ tune: (inout NodeConfig) -> Void = { _ in }) async throws {
            var config = NodeConfig()
            config.requestTimeout = 10
            config.programId = deployed.programId.base58
            config.chainRPC = deployed.net.url
            config.pricePerChunk = price
            config.paymentThreshold = 20_000
            config.disconnectThreshold = 60_000
            config.channelDeposit = 5_000_000
            tune(&config)
            dir = reuse?.1 ?? NSTemporaryDirectory() + "paid-\(UUID().uuidString)"
            var storeConfig = StoreConfig()
            storeConfig.chunkSize = 64 << 10
            store = try ChunkStore(directory: dir + "/store", config: storeConfig)
            key = reuse?.0 ?? KeyPair.generate()
            if funded {
                let rpc = deployed.net.rpc
                try await rpc.confirm(try await rpc.requestAirdrop(key.address, lamports: 2 * WellKnown.lamportsPerSol))
            }
            metrics = NodeMetrics()
            var logger = Logger(label: "test")
            logger.logLevel = ProcessInfo.processInfo.environment["PAID_TEST_LOG"] == nil ? .error : .debug
            payments = try #require(try NodePayments.open(dataDirectory: dir, identity: key, config: config,
                                                          metrics: metrics, logger: logger))
            exchange = try await ChunkExchange.start(identity: key, store: store, config: config, metrics: metrics,
                                                     logger: logger, accounting: payments)
        }

        func link(to other: Node, price: UInt64) async {
            await exchange.addPeer(other.key.address, endpoint: other.exchange.endpoint, price: price)
        }

        /// Delivers vouchers no request carried, as the node's tick does.
        func flush() async { await exchange.flushPayments() }

        func close(keepingData: Bool = false) async {
            payments.stop()
            await exchange.stop()
            store.close()
            if !keepingData { try? FileManager.default.removeItem(atPath: dir) }
        }
    }

    static func randomBytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8.random(in: 0...255) } }

    @Test func vouchersPayForChunksAndTheClaimEqualsWhatWasAccepted() async throws {
        let deployed = try await Localnet.shared.deployProgram()
        let seller = try await Node(deployed, price: 1_000), buyer = try await Node(deployed)
        let added = try seller.store.addBytes(Self.randomBytes(60 * 64 << 10), name: "f")
        #expect(added.manifest.chunks.count == 60)
        await buyer.link(to: seller, price: 1_000)
        try await buyer.exchange.ensureAll(added.manifest.chunks, for: "file")
        #expect(buyer.payments.chunkSpend("file") == 60_000)
        // Early payment: at half the payment threshold (10,000), so nearly everything is paid.
        // Settled: the seller holds everything the buyer signed, and what the
        // buyer still owes is below the early-payment point (10,000).
        try await waitUntil("the seller accepted the buyer's vouchers", timeout: 20) {
            await buyer.flush()
            let debt = buyer.payments.accounting.debt(to: seller.key.address)
            return await seller.payments.collector.earnings().totals.earned == 60_000 - debt && debt < 10_000
        }
        let earned = await seller.payments.collector.earnings().totals.earned
        let paid = buyer.payments.accounting.balance(seller.key.address)
        #expect(earned <= 60_000 && 60_000 - earned < 10_000, "earned \(earned)")
        #expect(paid > -10_000 && paid <= 0, "what the buyer still owes stays below the early-payment point")
        // One voucher at the early-payment point (it opens the channel); the
        // debt that grew meanwhile is paid in the next.
        #expect(buyer.metrics.value(.vouchersSent) >= 2)
        #expect(seller.metrics.value(.vouchersAccepted) >= 1)
        // The buyer signed exactly what the seller accepted (both sides durable).
        let outgoing = await buyer.payments.manager.channels()
        #expect(outgoing.count == 1)

        // Claim on chain: the payee's balance grows by what it accepted, minus the fee.
        let rpc = deployed.net.rpc
        let before = try await rpc.balance(seller.key.address)
        let claims = await seller.payments.collector.settleAll()
        #expect(claims.count == 1)
        let after = try await rpc.balance(seller.key.address)
        #expect(after == before + earned - SettlementPolicy.claimFee)
        let report = await seller.payments.collector.earnings()
        #expect(report.totals.claimed == earned && report.totals.pending == 0)
        await seller.close(); await buyer.close()
    }

    @Test func aPayerThatNeverPaysIsCutOffAtTheDisconnectThreshold() async throws {
        let deployed = try await Localnet.shared.deployProgram()
        let seller = try await Node(deployed, price: 1_000)
        let cheat = try await Node(deployed) { $0.faultNeverPay = true }
        let added = try seller.store.addBytes(Self.randomBytes(100 * 64 << 10), name: "f")
        await cheat.link(to: seller, price: 1_000)
        await #expect(throws: PeerNodeError.self) { try await cheat.exchange.ensureAll(added.manifest.chunks, parallel: 1) }
        // Served on credit up to the disconnect threshold (60,000 at 1,000 a chunk), not one chunk more.
        let held = added.manifest.chunks.filter { cheat.store.hasChunk($0) }.count
        #expect(held == 60, "the cheat got \(held) chunks")
        #expect(seller.metrics.value(.paymentRefusals) >= 1)
        #expect(await seller.payments.collector.earnings().totals.earned == 0)
        await seller.close(); await cheat.close()
    }

    @Test func aViewerThatCannotPayIsToldWhyAndWhatToDo() async throws {
        let deployed = try await Localnet.shared.deployProgram()
        let seller = try await Node(deployed, price: 1_000)
        let broke = try await Node(deployed, funded: false)
        let added = try seller.store.addBytes(Self.randomBytes(100 * 64 << 10), name: "f")
        await broke.link(to: seller, price: 1_000)
        do {
            try await broke.exchange.ensureAll(added.manifest.chunks, parallel: 1)
            Issue.record("a node with no lamports fetched past the disconnect threshold")
        } catch {
            // A payment answer (402 for a player), naming the payee and the fix, not "no peer provided".
            guard case .paymentRequired(let why) = error else {
                Issue.record("expected a payment answer, got \(error)")
                return
            }
            #expect(why.contains("wants payment"), "\(why)")
            #expect(why.contains("nodectl chain airdrop") || why.contains("fund"), "says what to do: \(why)")
        }
        await seller.close(); await broke.close()
    }

    @Test func aViewerThatRanDryThenIsFundedPaysForWhatItReceivedAndNoMore() async throws {
        let deployed = try await Localnet.shared.deployProgram()
        let seller = try await Node(deployed, price: 1_000)
        let viewer = try await Node(deployed, funded: false)
        let added = try seller.store.addBytes(Self.randomBytes(150 * 64 << 10), name: "f")
        await viewer.link(to: seller, price: 1_000)
        // Dry: served on credit to the disconnect threshold, then refused (8
        // requests in flight, so refusals cross each other and the payments).
        await #expect(throws: PeerNodeError.self) { try await viewer.exchange.ensureAll(added.manifest.chunks) }
        let rpc = deployed.net.rpc
        try await rpc.confirm(try await rpc.requestAirdrop(viewer.key.address, lamports: 2 * WellKnown.lamportsPerSol))
        // Funded: it plays on without a restart, asking again and again as a
        // player does while its payment goes out (refusals then cross it).
        for _ in 0..<200 where !added.manifest.chunks.allSatisfy({ viewer.store.hasChunk($0) }) {
            try? await viewer.exchange.ensureAll(added.manifest.chunks)
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(added.manifest.chunks.allSatisfy { viewer.store.hasChunk($0) })
        let received = UInt64(viewer.metrics.value(.chunksFetched))
        let due = received * 1_000
        try await waitUntil("the seller accepted every voucher the viewer signed", timeout: 20) {
            await viewer.flush()
            let spent = await viewer.payments.manager.channels().reduce(0) { $0 + $1.spent }
            return await seller.payments.collector.earnings().totals.earned == spent
        }
        let spent = await viewer.payments.manager.channels().reduce(0) { $0 + $1.spent }
        // Nobody pays for what it did not receive: at most what is due, and at
        // most the early-payment point short of it (chunks are paid in arrears).
        #expect(spent <= due, "paid \(spent) for \(received) chunks at 1,000 (\(due) due)")
        #expect(spent + viewer.payments.accounting.config.earlyPaymentAt >= due, "paid \(spent) of \(due)")
        #expect(viewer.payments.accounting.debt(to: seller.key.address) == due - spent)
        await seller.close(); await viewer.close()
    }

    /// Random sequences (seeded, printed) of what a viewer lives through:
    /// fetching from two sellers at different prices, running dry and being
    /// cut off, being funded, restarting, restarting with the chain's RPC
    /// unreachable. At the end, per seller: what the viewer paid is never
    /// more than what it received × the price (plus, after a restart, at
    /// most one payment threshold of old debt taken on the seller's word),
    /// and never less than that minus what it may still owe; the seller
    /// accepted exactly what was paid; the code's own ledger agrees.
    @Test(arguments: [11, 23, 37] as [UInt64])
    func nobodyPaysForWhatItDidNotReceive(seed: UInt64) async throws {
        var rng = SeededGenerator(seed: seed)
        let deployed = try await Localnet.shared.deployProgram()
        let sellers = [try await Node(deployed, price: 1_000), try await Node(deployed, price: 3_000)]
        let prices: [UInt64] = [1_000, 3_000]
        let files = try sellers.map { try $0.store.addBytes(Self.randomBytes(60 * 64 << 10), name: "f").manifest.chunks }
        var viewer = try await Node(deployed, funded: false)
        let (key, dir) = (viewer.key, viewer.dir)
        var funded = false, restarts = 0, ops: [String] = []
        func link() async { for (i, s) in sellers.enumerated() { await viewer.link(to: s, price: prices[i]) } }
        await link()
        // Seller 1 is also a creator selling segment keys (2,000 each), bought
        // while its chunks are fetched: vouchers for both race to it.
        let creator = sellers[1], stream = "\(sellers[1].key.address)/paid", nonce = ContentKeys.newNonce()
        let keyPrice: UInt64 = 2_000, seconds = PaymentPurpose.seconds(stream: stream)
        let shop = SegmentKeyTests.Shop(creator: creator.key, stream: stream, nonce: nonce, price: keyPrice)
        creator.payments.sellKeys(from: shop)
        var nextKey: UInt64 = 0
        func buyKeys(_ count: Int) async {
            let send = PeerNode.sender(viewer.exchange), payments = viewer.payments, first = nextKey
            await withTaskGroup(of: Void.self) { group in
                for n in first..<first + UInt64(count) {
                    group.addTask {
                        _ = try? await payments.buyKey(stream: stream, creator: creator.key.address,
                                                       request: SegmentKeyRequest(nonce: nonce, sequence: n), price: keyPrice, send: send)
                    }
                }
            }
            nextKey += UInt64(count)
        }
        for _ in 0..<8 {
            switch Int.random(in: 0..<12, using: &rng) {
            case 10, 11:
                let count = Int.random(in: 1...4, using: &rng)
                let take = Array(files[1].filter { !viewer.store.hasChunk($0) }.prefix(10))
                ops.append("buy \(count) keys while fetching \(take.count) chunks from seller 1")
                let exchange = viewer.exchange
                let fetched = Task { try? await exchange.ensureAll(take) }
                await buyKeys(count)
                _ = await fetched.value
            case 0..<5:
                let i = Int.random(in: 0..<2, using: &rng)
                let missing = files[i].filter { !viewer.store.hasChunk($0) }
                let take = Array(missing.prefix(Int.random(in: 5...25, using: &rng)))
                ops.append("fetch \(take.count) from seller \(i)")
                for _ in 0..<30 where !take.allSatisfy({ viewer.store.hasChunk($0) }) {
                    try? await viewer.exchange.ensureAll(take)
                    if !funded { break }   // dry: cut off at the disconnect threshold
                    try await Task.sleep(for: .milliseconds(20))
                }
            case 5, 6:
                ops.append("fund")
                if !funded {
                    try await deployed.net.rpc.confirm(try await deployed.net.rpc.requestAirdrop(key.address, lamports: 2 * WellKnown.lamportsPerSol))
                    funded = true
                }
            default:
                let outage = Bool.random(using: &rng)
                ops.append(outage ? "restart with the RPC unreachable" : "restart")
                await viewer.close(keepingData: true)
                restarts += 1
                viewer = try await Node(deployed, funded: false, reuse: (key, dir)) { c in
                    if outage { c.chainRPC = "http://127.0.0.1:9" }
                }
                await link()
                if outage {
                    let i = Int.random(in: 0..<2, using: &rng)
                    try? await viewer.exchange.ensureAll(Array(files[i].filter { !viewer.store.hasChunk($0) }.prefix(10)))
                    await viewer.close(keepingData: true)
                    viewer = try await Node(deployed, funded: false, reuse: (key, dir))
                    await link()
                }
            }
        }
        // The end: funded, everything fetched, every voucher delivered.
        if !funded { try await deployed.net.rpc.confirm(try await deployed.net.rpc.requestAirdrop(key.address, lamports: 2 * WellKnown.lamportsPerSol)) }
        for _ in 0..<60 where !(files[0] + files[1]).allSatisfy({ viewer.store.hasChunk($0) }) {
            try? await viewer.exchange.ensureAll(files[0] + files[1])
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect((files[0] + files[1]).allSatisfy { viewer.store.hasChunk($0) }, "seed \(seed): \(ops)")
        // Every key paid for is asked for again (a paid one with its own
        // voucher, for nothing more): each one bought is then held, and
        // what was signed for keys is exactly what the keys held cost.
        let send = PeerNode.sender(viewer.exchange)
        var held: UInt64 = 0
        for n in 0..<nextKey {
            let request = SegmentKeyRequest(nonce: nonce, sequence: n)
            guard try viewer.payments.book.purchase(seconds, item: request.item) != nil else { continue }
            let bought = try await viewer.payments.buyKey(stream: stream, creator: creator.key.address, request: request,
                                                          price: keyPrice, send: send)
            #expect(bought == ContentKeys.key(creator.key, request), "seed \(seed): key \(n)")
            held += 1
        }
        #expect(try viewer.payments.book.spent(seconds) == held * keyPrice, "seed \(seed): signed for keys: \(ops)")
        try await waitUntil("seed \(seed): the creator counts every key voucher as paying for keys", timeout: 20) {
            await viewer.flush()
            return try creator.payments.book.paid(by: key.address, for: seconds) == held * keyPrice
        }
        #expect(try creator.payments.book.sold(to: key.address, for: seconds) == held * keyPrice, "seed \(seed): \(ops)")
        let threshold = viewer.payments.accounting.config.paymentThreshold
        for (i, seller) in sellers.enumerated() {
            let channels = await viewer.payments.manager.channels().filter { $0.payee == seller.key.address }
            let spent = channels.reduce(0) { $0 + $1.spent }
            try await waitUntil("seed \(seed): seller \(i) accepted every voucher", timeout: 20) {
                await viewer.flush()
                return await seller.payments.collector.earnings().totals.earned == spent
            }
            let due = UInt64(files[i].count) * prices[i]
            let allowance = UInt64(restarts) * threshold
            let forChunks = spent - (i == 1 ? held * keyPrice : 0)
            #expect(forChunks <= due + allowance, "seed \(seed), seller \(i): paid \(forChunks) for \(due) due (+\(allowance) after \(restarts) restarts): \(ops)")
            #expect(forChunks + UInt64(restarts + 1) * threshold >= due, "seed \(seed), seller \(i): paid \(forChunks) of \(due): \(ops)")
            let signedByKind = try viewer.payments.book.spentByKind()
            let allSpent = await viewer.payments.manager.channels().reduce(0) { $0 + $1.spent }
            #expect(signedByKind.chunks + signedByKind.seconds == allSpent, "seed \(seed): what the vouchers add up to = the channels' spent")
            let ledger = viewer.payments.chunkLedger(seller.key.address)
            #expect(ledger.paid <= ledger.received + ledger.allowance, "seed \(seed): the node's own ledger \(ledger)")
        }
        print("seed \(seed): \(ops.joined(separator: ", ")); \(restarts) restarts")
        await viewer.close()
        for s in sellers { await s.close() }
    }

    @Test func aRelayThatStopsServingStopsBeingPaidAndTheOtherIsPaidInstead() async throws {
        let deployed = try await Localnet.shared.deployProgram()
        let a = try await Node(deployed, price: 1_000), b = try await Node(deployed, price: 1_000)
        let viewer = try await Node(deployed)
        let data = Self.randomBytes(80 * 64 << 10)
        let added = try a.store.addBytes(data, name: "f")
        _ = try b.store.addBytes(data, name: "f")
        let first = Array(added.manifest.chunks.prefix(40)), rest = Array(added.manifest.chunks.dropFirst(40))
        await viewer.link(to: a, price: 1_000)
        try await viewer.exchange.ensureAll(first)
        await viewer.flush()
        // Everything the viewer paid A arrived (what it still owes is below the early-payment point).
        try await waitUntil("relay A got every voucher the viewer signed", timeout: 20) {
            await viewer.flush()
            let debt = viewer.payments.accounting.debt(to: a.key.address)
            return await a.payments.collector.earnings().totals.earned == 40_000 - debt && debt < 10_000
        }
        let paidToA = await a.payments.collector.earnings().totals.earned
        #expect(paidToA >= 30_000)
        await a.exchange.stop()                                 // A stops serving
        await viewer.exchange.removePeer(a.key.address)
        await viewer.link(to: b, price: 1_000)
        try await viewer.exchange.ensureAll(rest)
        await viewer.flush()
        try await waitUntil("relay B was paid", timeout: 20) {
            await viewer.flush()
            return await b.payments.collector.earnings().totals.earned >= 30_000
        }
        #expect(await a.payments.collector.earnings().totals.earned == paidToA, "A is not paid for what it did not serve")
        #expect(viewer.payments.accounting.debt(to: a.key.address) == 40_000 - paidToA)
        await a.close(); await b.close(); await viewer.close()
    }

    @Test func peersAboveTheViewersPriceLimitAreNeitherUsedNorPaid() async throws {
        let deployed = try await Localnet.shared.deployProgram()
        let dear = try await Node(deployed, price: 5_000), cheap = try await Node(deployed, price: 500)
        let viewer = try await Node(deployed) { $0.maxPricePerChunk = 1_000 }
        let data = Self.randomBytes(20 * 64 << 10)
        let added = try dear.store.addBytes(data, name: "f")
        await viewer.link(to: dear, price: 5_000)
        await #expect(throws: PeerNodeError.self) { try await viewer.exchange.ensure(added.manifest.chunks[0]) }
        _ = try cheap.store.addBytes(data, name: "f")
        await viewer.link(to: cheap, price: 500)
        try await viewer.exchange.ensureAll(added.manifest.chunks, for: "file")
        #expect(viewer.payments.chunkSpend("file") == 10_000)
        #expect(dear.metrics.value(.chunksServed) == 0)
        #expect(viewer.payments.accounting.debt(to: dear.key.address) == 0)
        await dear.close(); await cheap.close(); await viewer.close()
    }

    @Test func aForgedVoucherIsRefusedAndCountsNothing() async throws {
        let deployed = try await Localnet.shared.deployProgram()
        let seller = try await Node(deployed, price: 1_000), buyer = try await Node(deployed)
        let added = try seller.store.addBytes(Self.randomBytes(30 * 64 << 10), name: "f")
        await buyer.link(to: seller, price: 1_000)
        try await buyer.exchange.ensureAll(added.manifest.chunks)
        await buyer.flush()
        try await waitUntil("a first voucher arrived", timeout: 20) {
            await buyer.flush()
            return await seller.payments.collector.earnings().totals.earned > 0
        }
        let earned = await seller.payments.collector.earnings().totals.earned
        // A voucher on the buyer's real channel, signed by someone else, sent on the buyer's link.
        let last = try #require(await buyer.payments.manager.lastVoucher(to: seller.key.address)).voucher
        let forged = Voucher(channel: last.channel, opening: last.opening, amount: earned + 1_000_000, sequence: 999).signed(by: KeyPair.generate())
        let answer = try #require(await buyer.exchange.sendPayment(to: seller.key.address, voucher: forged, purpose: .chunks))
        #expect(!answer.error.isEmpty && answer.accepted == 0)
        #expect(await seller.payments.collector.earnings().totals.earned == earned)
        #expect(seller.metrics.value(.vouchersRejected) >= 1)
        await seller.close(); await buyer.close()
    }
}

/// A small deterministic generator (SplitMix64), so a failing seed repeats.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
