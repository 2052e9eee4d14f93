import ContentStore
import Foundation
import Gossip
import Identity
import Logging
import PayChannel
import Transport

/// Retrieval of chunks between daemons, in the spirit of Bitswap sessions
/// and Swarm's forwarding retrieval: ask many peers at once who holds a
/// chunk ("have?"), then fetch it from the holders (cheapest and fastest
/// first), else from a relay that says it would forward the request
/// (`hops`) and caches what it passes on. Every chunk is verified against
/// its CID before it is stored or passed on; a peer that times out or sends
/// wrong bytes is scored down and another one asked. Nodes announce what
/// they cached (`have`) so peers know whom to ask.
///
/// The core (links, frames, requests) is here; fetching is in
/// ChunkExchange+Retrieval.swift, answering peers in ChunkExchange+Serving.swift.
public actor ChunkExchange {
    /// What the node knows about one exchange peer.
    public struct PeerInfo: Sendable, Codable {
        public let address: String
        public let endpoint: String
        public let score: Double
        public let banned: Bool
        public let chunksReceived: Int
        public let badChunks: Int
        public let timeouts: Int
        /// Its price per chunk, from its signed peer record.
        public let pricePerChunk: UInt64
    }

    struct PeerState {
        var endpoint: String
        var curveKeyHex: String
        var score = 0.0
        var inFlight = 0
        var bannedUntil: Date?
        var received = 0
        var bad = 0
        var timeouts = 0
        var price: UInt64 = 0
        /// Whether it said (in its last HAVE answer) that it forwards what it lacks.
        var forwards = false
        /// Smoothed seconds from a GET to its verified BLOCK (nil: none yet).
        var roundTrip: Double?
    }

    enum Reply {
        case block(ArraySlice<UInt8>)
        case dontHave
        case have([CID], forwards: Bool)
        case streams([CID])
        case paymentRequired(owed: UInt64, reason: String)
        case paid(PaymentAnswer)
        case record([UInt8])
        case timeout
    }

    /// Answers `listStreams`: the manifest CIDs this node can vouch for.
    public typealias Catalog = @Sendable () async -> [CID]
    var catalog: Catalog = { [] }
    /// Answers `findPeer`: the signed record of an address, as gossip holds it.
    public typealias RecordLookup = @Sendable (Address) async -> [UInt8]?
    var recordLookup: RecordLookup = { _ in nil }

    struct Pending {
        let continuation: CheckedContinuation<Reply, Never>
        let peer: Address
        let cid: CID?
    }

    public nonisolated let endpoint: String
    public nonisolated let address: Address
    nonisolated let channel: DirectChannel
    nonisolated let store: ChunkStore
    let config: NodeConfig
    /// The tunables (timeouts, scores, limits): ExchangeConfig.swift.
    let tuning: ExchangeConfig
    let metrics: NodeMetrics
    let logger: Logger
    /// Lines that could repeat hundreds of times a second are said once per peer and 10 s.
    let quieter = LogLimiter()

    var peers: [Address: PeerState] = [:]
    var byCurveKey: [String: Address] = [:]
    /// Inbound links whose HELLO proved an address (peers we did not dial too).
    var learnedKeys: [String: Address] = [:]
    /// The money path; nil: everything is free (a node without a wallet).
    var accounting: (any ExchangeAccounting)?
    /// Vouchers on their way to payees (every payment frame leaves from here).
    var outbox = PaymentOutbox()
    /// Payees a solo PAY is on its way to (one at a time per payee).
    var paying: Set<Address> = []
    /// Who holds which chunk: from HAVE answers, announcements and fetches.
    var providers: [CID: Set<Address>] = [:]
    /// Who said it neither holds nor forwards a chunk (until it announces it).
    var lackers: [CID: Set<Address>] = [:]
    /// Chunks a "have?" round started for a peer's question is looking for.
    var locating: Set<CID> = []
    var pending: [UInt64: Pending] = [:]
    var nextID: UInt64 = 1
    var inflight: [CID: Task<Void, any Error>] = [:]
    var toAnnounce: [CID] = []
    var tasks: [Task<Void, Never>] = []
    var stopped = false

    /// `accounting`: the node's money path as the exchange sees it (nil:
    /// everything free); the exchange reads its vouchers, it never sees us.
    /// `tuning`: the exchange's tunables; nil: config.json's, the rest defaults.
    public static func start(identity: KeyPair, store: ChunkStore, config: NodeConfig, metrics: NodeMetrics,
                             logger: Logger, accounting: (any ExchangeAccounting)? = nil,
                             tuning: ExchangeConfig? = nil, shaper: LinkShaper? = nil) async throws -> ChunkExchange {
        let tuning = tuning ?? ExchangeConfig(config)
        try tuning.validate()
        var options = DirectChannel.Options()
        options.listen = config.exchangeListen
        options.maxMessageBytes = ExchangeFrame.maxBlockBytes + 1024
        options.shaper = shaper
        let channel: DirectChannel
        do { channel = try await DirectChannel.start(identity: identity, options: options) } catch {
            throw PeerNodeError.listenFailed("chunk exchange on \(config.exchangeListen): \(error)")
        }
        let exchange = ChunkExchange(address: identity.address, channel: channel, store: store, config: config,
                                     tuning: tuning, metrics: metrics, logger: logger)
        await exchange.begin(accounting: accounting)
        return exchange
    }

    init(address: Address, channel: DirectChannel, store: ChunkStore, config: NodeConfig, tuning: ExchangeConfig,
         metrics: NodeMetrics, logger: Logger) {
        self.tuning = tuning
        self.address = address
        self.endpoint = channel.endpoint
        self.channel = channel
        self.store = store
        self.config = config
        self.metrics = metrics
        self.logger = logger
    }

    private func begin(accounting: (any ExchangeAccounting)?) {
        self.accounting = accounting
        if let vouchers = accounting?.vouchers {
            tasks.append(Task { [weak self] in
                for await due in vouchers {
                    guard let self else { return }
                    await self.queue(due)
                }
            })
            let pass = tuning.soloPaymentDelay / 4
            tasks.append(Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(pass))
                    await self?.sendDuePayments()
                }
            })
        }
        let messages = channel.messages
        tasks.append(Task { [weak self] in
            for await message in messages {
                guard let self else { return }
                await self.handle(message)
            }
        })
        let interval = tuning.announceInterval
        tasks.append(Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(interval))
                await self?.flushAnnouncements()
            }
        })
    }

    /// Stops, and returns once no retrieval is under way: the caller may
    /// close the store next (a retrieval still writing into a closed LMDB
    /// environment crashed the process).
    public func stop() async {
        guard !stopped else { return }
        stopped = true
        for task in tasks { task.cancel() }
        for (_, p) in pending { p.continuation.resume(returning: .timeout) }
        pending.removeAll()
        channel.stop()
        // They end at once now: no request waits for an answer any more.
        for task in Array(inflight.values) { _ = try? await task.value }
    }

    // MARK: Peers

    /// Adds (or updates) a peer and dials its exchange endpoint.
    public func addPeer(_ peer: Address, endpoint: String, price: UInt64 = 0) {
        guard peer != address else { return }
        if let known = peers[peer], known.endpoint == endpoint {
            peers[peer]?.price = price
            return
        }
        guard let key = DirectChannel.curveKeyHex(of: peer) else { return }
        do { try channel.connect(peer, endpoint: endpoint) } catch {
            logger.warning("cannot dial exchange peer", metadata: ["peer": "\(peer)", "error": "\(error)"])
            return
        }
        var state = peers[peer] ?? PeerState(endpoint: endpoint, curveKeyHex: key)
        state.endpoint = endpoint
        state.price = price
        peers[peer] = state
        byCurveKey[key] = peer
        // Say who we are first: ZeroMQ keeps order on a link, so the peer knows
        // whom to charge before our first request arrives.
        channel.send(ExchangeFrame.hello(id: 0, address: address).encoded(), to: .outbound(peer))
        metrics.set(.exchangePeers, Int64(peers.count))
        logger.info("exchange peer added", metadata: ["peer": "\(peer)", "endpoint": "\(endpoint)"])
    }

    public func removePeer(_ peer: Address) {
        guard let state = peers.removeValue(forKey: peer) else { return }
        byCurveKey[state.curveKeyHex] = nil
        channel.disconnect(peer)
        metrics.set(.exchangePeers, Int64(peers.count))
        logger.info("exchange peer removed", metadata: ["peer": "\(peer)"])
    }

    public func peerAddresses() -> Set<Address> { Set(peers.keys) }

    public func setCatalog(_ catalog: @escaping Catalog) { self.catalog = catalog }

    public func setRecordLookup(_ lookup: @escaping RecordLookup) { recordLookup = lookup }

    /// Asks every peer at once for the signed record of `address`; the first
    /// answer that is one (checked by `accept`, e.g. its signature) wins.
    public func findPeerRecord(_ address: Address, timeout: Double = 2.0,
                               accept: @escaping @Sendable ([UInt8]) async -> Bool) async -> Bool {
        let targets = peers.keys.filter { $0 != address }
        guard !targets.isEmpty else { return false }
        return await withTaskGroup(of: [UInt8]?.self) { group in
            for peer in targets {
                group.addTask {
                    if case .record(let wire) = await self.request(to: peer, cid: nil, timeout: timeout, { .findPeer(id: $0, address: address) }),
                       !wire.isEmpty { return wire }
                    return nil
                }
            }
            for await wire in group {
                if let wire, await accept(wire) {
                    group.cancelAll()
                    return true
                }
            }
            return false
        }
    }


    /// Asks every peer which streams it knows; returns the manifest CIDs heard.
    public func listStreams(timeout: Double = 2.0) async -> Set<CID> {
        let targets = Array(peers.keys)
        return await withTaskGroup(of: [CID].self) { group in
            for peer in targets {
                group.addTask {
                    if case .streams(let cids) = await self.request(to: peer, cid: nil, timeout: timeout, { .listStreams(id: $0) }) {
                        return cids
                    }
                    return []
                }
            }
            var all = Set<CID>()
            for await cids in group { all.formUnion(cids) }
            return all
        }
    }

    public func peerList() -> [PeerInfo] {
        let now = Date()
        return peers.sorted { $0.key < $1.key }.map { address, s in
            PeerInfo(address: address.base58, endpoint: s.endpoint, score: s.score,
                     banned: (s.bannedUntil ?? .distantPast) > now, chunksReceived: s.received,
                     badChunks: s.bad, timeouts: s.timeouts, pricePerChunk: s.price)
        }
    }

    public func score(of peer: Address) -> Double? { peers[peer]?.score }

    /// Sends a request and waits for its answer (or `.timeout`). A request
    /// whose task is cancelled (a "have?" round that already found what it
    /// needed) ends at once instead of at its time-out.
    func request(to peer: Address, cid: CID?, timeout: Double,
                 _ frame: (UInt64) -> ExchangeFrame) async -> Reply {
        guard !stopped else { return .timeout }
        let id = nextID
        nextID &+= 1
        let bytes = frame(id).encoded()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                guard !Task.isCancelled else { return continuation.resume(returning: .timeout) }
                pending[id] = Pending(continuation: continuation, peer: peer, cid: cid)
                channel.send(bytes, to: .outbound(peer))
                Task { [weak self] in
                    try? await Task.sleep(for: .seconds(timeout))
                    await self?.expire(id)
                }
            }
        } onCancel: {
            Task { [weak self] in await self?.expire(id) }
        }
    }

    private func expire(_ id: UInt64) {
        pending.removeValue(forKey: id)?.continuation.resume(returning: .timeout)
    }

    // MARK: Frames

    func handle(_ message: DirectChannel.Message) {
        defer { channel.handled(bytes: message.bytes.count) }
        let frame: ExchangeFrame
        do { frame = try ExchangeFrame.decode(message.bytes) } catch {
            metrics.add(.malformedFrames)
            logger.debug("dropped a malformed exchange frame", metadata: ["error": "\(error)"])
            return
        }
        switch frame {
        case .get(let id, let cid, let hops, let voucher):
            let requester = sender(of: message)
            guard let accounting else {
                serve(id: id, cid: cid, hops: Int(hops), to: message.from, requester: requester, charged: false)
                return
            }
            let from = message.from
            // Serve at once when the peer's credit allows it; the voucher that
            // rode along (checked against the chain, written to disk) is
            // recorded meanwhile. Only a peer at its limit waits for it.
            guard let refusal = accounting.admit(requester) else {
                serve(id: id, cid: cid, hops: Int(hops), to: from, requester: requester, charged: true)
                if let voucher, let requester { Task { await accounting.credit(voucher, from: requester) } }
                return
            }
            Task {
                var refused: PaymentRefusal? = refusal
                if let voucher, let requester {
                    await accounting.credit(voucher, from: requester)
                    refused = accounting.admit(requester)
                }
                if let refused {
                    self.metrics.add(.paymentRefusals)
                    self.channel.send(ExchangeFrame.paymentRequired(id: id, cid: cid, owed: refused.owed,
                                                                    reason: refused.reason).encoded(), to: from)
                } else {
                    self.serve(id: id, cid: cid, hops: Int(hops), to: from, requester: requester, charged: true)
                }
            }
        case .hello(_, let claimed):
            learn(claimed, from: message)
        case .findPeer(let id, let address):
            let (from, lookup) = (message.from, recordLookup)
            Task {
                let wire = await lookup(address) ?? []
                self.channel.send(ExchangeFrame.peer(id: id, record: wire.count <= ExchangeFrame.maxRecordBytes ? wire : []).encoded(),
                                  to: from)
            }
        case .peer(let id, let record):
            answer(id, from: message.from, cid: nil, .record(record))
        case .pay(let id, let voucher, let purpose, let note):
            let from = message.from
            guard let accounting else {
                channel.send(ExchangeFrame.paid(id: id, accepted: 0, receipt: [],
                                                error: "this node takes no payments").encoded(), to: from)
                return
            }
            guard let payer = sender(of: message) ?? proven(voucher.payer, message) else {
                channel.send(ExchangeFrame.paid(id: id, accepted: 0, receipt: [],
                                                error: "the link is not the voucher's payer").encoded(), to: from)
                return
            }
            Task {
                let answer = await accounting.receive(voucher, purpose: purpose, note: note, from: payer)
                self.channel.send(ExchangeFrame.paid(id: id, accepted: answer.accepted, receipt: answer.receipt,
                                                     error: answer.error).encoded(), to: from)
            }
        case .paid(let id, let accepted, let receipt, let error):
            answer(id, from: message.from, cid: nil,
                   .paid(PaymentAnswer(accepted: accepted, receipt: receipt, error: error)))
        case .paymentRequired(let id, let cid, let owed, let reason):
            answer(id, from: message.from, cid: cid, .paymentRequired(owed: owed, reason: reason))
        case .wantHave(let id, let cids, let hops):
            answerWantHave(id: id, cids: cids, hops: Int(hops), to: message.from, requester: sender(of: message))
        case .have(let id, let cids, let forwards):
            if id == 0 {
                if let peer = sender(of: message) { noteProviders(peer, cids) }
            } else {
                answer(id, from: message.from, cid: nil, .have(cids, forwards: forwards))
            }
        case .listStreams(let id):
            let from = message.from
            Task {
                let cids = Array(await self.catalog().prefix(ExchangeFrame.maxListItems))
                self.channel.send(ExchangeFrame.streams(id: id, manifests: cids).encoded(), to: from)
            }
        case .streams(let id, let cids):
            answer(id, from: message.from, cid: nil, .streams(cids))
        case .block(let id, let cid, let bytes):
            answer(id, from: message.from, cid: cid, .block(bytes))
        case .dontHave(let id, let cid):
            answer(id, from: message.from, cid: cid, .dontHave)
        }
    }

    /// The address behind a message: the dialled peer, or a known peer
    /// (or one whose HELLO we believed) whose CURVE key the sender proved.
    func sender(of message: DirectChannel.Message) -> Address? {
        switch message.from {
        case .outbound(let a): return a
        case .inbound: return message.curveKeyHex.flatMap { byCurveKey[$0] ?? learnedKeys[$0] }
        }
    }

    /// `claimed`, if the message's link proved the CURVE key derived from it.
    func proven(_ claimed: Address, _ message: DirectChannel.Message) -> Address? {
        guard let key = message.curveKeyHex, key == DirectChannel.curveKeyHex(of: claimed) else { return nil }
        return claimed
    }

    func learn(_ claimed: Address, from message: DirectChannel.Message) {
        guard let peer = proven(claimed, message), let key = message.curveKeyHex else {
            metrics.add(.malformedFrames)  // a HELLO for an address the link did not prove
            return
        }
        if learnedKeys.count >= tuning.maxLearnedKeys { learnedKeys.removeAll(keepingCapacity: true) }
        learnedKeys[key] = peer
    }

    func answer(_ id: UInt64, from: DirectChannel.Peer, cid: CID?, _ reply: Reply) {
        guard let p = pending[id], from == .outbound(p.peer), p.cid == cid else {
            metrics.add(.malformedFrames)  // an answer nobody asked for (or a late one)
            return
        }
        pending[id] = nil
        p.continuation.resume(returning: reply)
    }

    // MARK: Payments

    /// Sends a voucher on its own (per-second pay, a tip, a key's price, or
    /// one no request carried) and waits for the payee's answer; nil when it
    /// did not answer. An answer, whatever it says, means the voucher arrived.
    public func sendPayment(to peer: Address, voucher: SignedVoucher, purpose: PaymentPurpose, note: [UInt8] = [],
                            timeout: Double? = nil) async -> PaymentAnswer? {
        guard peers[peer] != nil else { return nil }
        let reply = await request(to: peer, cid: nil, timeout: timeout ?? config.requestTimeout) {
            .pay(id: $0, voucher: voucher, purpose: purpose.encoded(), note: note)
        }
        guard case .paid(let answer) = reply else { return nil }
        outbox.delivered(voucher, to: peer)
        if !answer.error.isEmpty {
            quieter.log("payee refused \(peer)", logger, .warning, "payee refused a voucher",
                        ["payee": "\(peer)", "error": "\(answer.error)"])
        }
        return answer
    }

    /// A voucher to deliver: it rides with the next request to its payee or
    /// goes on its own soon after (at once when urgent). Also for payments
    /// whose own delivery found the payee unreachable: they wait here.
    public func queue(_ due: DueVoucher) {
        if let replaced = outbox.add(due) {
            Task { _ = await self.sendPayment(to: replaced.peer, voucher: replaced.voucher, purpose: replaced.purpose) }
        }
        if due.urgent { sendDuePayments() }
    }

    /// Sends the voucher waiting for `peer` now, before a payment that goes
    /// straight to it (a tip, a key's price): the payee then takes them in
    /// the order they were signed, each under its own purpose.
    public func sendWaiting(to peer: Address) async {
        guard let due = outbox.waiting(for: peer) else { return }
        _ = await sendPayment(to: peer, voucher: due.voucher, purpose: due.purpose)
    }

    /// Sends, one PAY per payee at a time, every voucher that waited long
    /// enough (or is urgent); one without an answer waits for the next pass.
    func sendDuePayments() {
        guard !stopped else { return }
        for due in outbox.ready(soloDelay: tuning.soloPaymentDelay) where paying.insert(due.peer).inserted {
            Task {
                _ = await self.sendPayment(to: due.peer, voucher: due.voucher, purpose: due.purpose)
                self.paymentSent(to: due.peer)
            }
        }
    }

    private func paymentSent(to peer: Address) { paying.remove(peer) }

    /// Delivers every voucher waiting now (a test's or a benchmark's flush).
    public func flushPayments() async {
        for due in outbox.ready(soloDelay: 0) {
            _ = await sendPayment(to: due.peer, voucher: due.voucher, purpose: due.purpose)
        }
    }

    /// Tells every peer which chunks we cached since the last announcement.
    public func announce(_ cids: [CID]) { toAnnounce.append(contentsOf: cids) }

    private func flushAnnouncements() {
        guard !toAnnounce.isEmpty, !stopped else { return }
        var batch = toAnnounce
        toAnnounce.removeAll()
        while !batch.isEmpty {
            let part = Array(batch.prefix(ExchangeFrame.maxListItems))
            batch.removeFirst(part.count)
            let bytes = ExchangeFrame.have(id: 0, cids: part).encoded()
            for peer in peers.keys { channel.send(bytes, to: .outbound(peer)) }
        }
    }
}
