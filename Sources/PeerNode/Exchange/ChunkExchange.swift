import ContentStore
import Foundation
import Gossip
import Identity
import Logging
import PayChannel

/// Retrieval of chunks between daemons, in the spirit of Swarm's retrieval
/// protocol and Bitswap: ask a peer for a chunk by CID; a peer that lacks it
/// may forward the request (`hops`) and caches what it passes on; every
/// chunk is verified against its CID before it is stored or passed on; a
/// peer that times out or sends wrong bytes is scored down and the next
/// one asked. Relays announce what they cached (`have`) so peers prefer them.
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
    }

    enum Reply {
        case block(ArraySlice<UInt8>)
        case dontHave
        case have([CID])
        case streams([CID])
        case paymentRequired(owed: UInt64, reason: String)
        case paid(PaymentAnswer)
        case timeout
    }

    /// Answers `listStreams`: the manifest CIDs this node can vouch for.
    public typealias Catalog = @Sendable () async -> [CID]
    var catalog: Catalog = { [] }

    struct Pending {
        let continuation: CheckedContinuation<Reply, Never>
        let peer: Address
        let cid: CID?
    }

    /// Score parameters (documented once here).
    static let goodChunkReward = 1.0, maxScore = 50.0
    static let badChunkPenalty = -30.0, timeoutPenalty = -5.0
    static let banThreshold = -50.0, banSeconds = 600.0
    static let maxProviderEntries = 200_000
    /// Requests for one chunk before giving up (across peers, or the same one again).
    static let maxAttempts = 6
    static let announceInterval = 0.5
    /// Addresses learnt from HELLO frames (by proven CURVE key), at most this many.
    static let maxLearnedKeys = 10_000

    public nonisolated let endpoint: String
    public nonisolated let address: Address
    nonisolated let channel: DirectChannel
    nonisolated let store: ChunkStore
    let config: NodeConfig
    let metrics: NodeMetrics
    let logger: Logger

    var peers: [Address: PeerState] = [:]
    var byCurveKey: [String: Address] = [:]
    /// Inbound links whose HELLO proved an address (peers we did not dial too).
    var learnedKeys: [String: Address] = [:]
    /// The money path; nil: everything is free (a node without a wallet).
    var payments: (any ExchangePayments)?
    var providers: [CID: Set<Address>] = [:]
    var pending: [UInt64: Pending] = [:]
    var nextID: UInt64 = 1
    var inflight: [CID: Task<UInt64, any Error>] = [:]
    var toAnnounce: [CID] = []
    var tasks: [Task<Void, Never>] = []
    var stopped = false

    /// `payments`: the node's money path, wired both ways (nil: everything free).
    public static func start(identity: KeyPair, store: ChunkStore, config: NodeConfig, metrics: NodeMetrics,
                             logger: Logger, payments: NodePayments? = nil) async throws -> ChunkExchange {
        var options = DirectChannel.Options()
        options.listen = config.exchangeListen
        options.maxMessageBytes = ExchangeFrame.maxBlockBytes + 1024
        let channel: DirectChannel
        do { channel = try await DirectChannel.start(identity: identity, options: options) } catch {
            throw PeerNodeError.listenFailed("chunk exchange on \(config.exchangeListen): \(error)")
        }
        let exchange = ChunkExchange(address: identity.address, channel: channel, store: store, config: config,
                                     metrics: metrics, logger: logger)
        await exchange.begin(payments: payments)
        return exchange
    }

    init(address: Address, channel: DirectChannel, store: ChunkStore, config: NodeConfig, metrics: NodeMetrics,
         logger: Logger) {
        self.address = address
        self.endpoint = channel.endpoint
        self.channel = channel
        self.store = store
        self.config = config
        self.metrics = metrics
        self.logger = logger
    }

    private func begin(payments: NodePayments?) {
        self.payments = payments
        payments?.attach(self)
        let messages = channel.messages
        tasks.append(Task { [weak self] in
            for await message in messages {
                guard let self else { return }
                await self.handle(message)
            }
        })
        tasks.append(Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(ChunkExchange.announceInterval))
                await self?.flushAnnouncements()
            }
        })
    }

    public func stop() {
        guard !stopped else { return }
        stopped = true
        (payments as? NodePayments)?.attach(nil)
        for task in tasks { task.cancel() }
        for (_, p) in pending { p.continuation.resume(returning: .timeout) }
        pending.removeAll()
        channel.stop()
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

    // MARK: Fetching

    /// Makes sure the store holds `cid`, fetching and verifying it from a
    /// peer if needed. Concurrent calls for one CID share one retrieval.
    /// Returns the price this call's retrieval cost (0 when stored or shared).
    @discardableResult
    public func ensure(_ cid: CID, hops: Int? = nil, excluding: Set<Address> = []) async throws(PeerNodeError) -> UInt64 {
        if store.hasChunk(cid) { return 0 }
        if let running = inflight[cid] {
            do { _ = try await running.value } catch { throw error as? PeerNodeError ?? .unavailable("\(error)") }
            return 0
        }
        let hops = hops ?? config.forwardHops
        let task = Task<UInt64, any Error> { try await self.retrieve(cid, hops: hops, excluding: excluding) }
        inflight[cid] = task
        defer { inflight[cid] = nil }
        do { return try await task.value } catch { throw error as? PeerNodeError ?? .unavailable("\(error)") }
    }

    /// Ensures every CID is stored, `parallelChunkFetches` at a time;
    /// returns what the retrievals cost (the sum of the serving peers' prices).
    @discardableResult
    public func ensureAll(_ cids: [CID], parallel: Int? = nil) async throws(PeerNodeError) -> UInt64 {
        let width = max(1, parallel ?? config.parallelChunkFetches)
        do {
            return try await withThrowingTaskGroup(of: UInt64.self) { group in
                var next = 0, cost: UInt64 = 0
                while next < cids.count && next < width {
                    let cid = cids[next]
                    group.addTask { try await self.ensure(cid) }
                    next += 1
                }
                while let paid = try await group.next() {
                    cost &+= paid
                    if next < cids.count {
                        let cid = cids[next]
                        group.addTask { try await self.ensure(cid) }
                        next += 1
                    }
                }
                return cost
            }
        } catch { throw error as? PeerNodeError ?? .unavailable("\(error)") }
    }

    /// The chunk's bytes, from the store or fetched.
    public func chunkBytes(_ cid: CID) async throws(PeerNodeError) -> [UInt8] {
        for _ in 0..<3 {
            try await ensure(cid)
            // A tiny quota may evict the chunk at once; fetch again (bounded).
            if let bytes = try? store.chunk(cid) { return bytes }
        }
        throw .unavailable("chunk \(cid) was evicted right after it was fetched; raise quotaBytes")
    }

    /// Asks every peer which of `cids` it holds; records the answers.
    public func findProviders(_ cids: [CID], timeout: Double = 1.0) async {
        let list = Array(cids.prefix(ExchangeFrame.maxListItems))
        guard !list.isEmpty else { return }
        let targets = Array(peers.keys)
        await withTaskGroup(of: Void.self) { group in
            for peer in targets {
                group.addTask {
                    let reply = await self.request(to: peer, cid: nil, timeout: timeout) { .wantHave(id: $0, cids: list) }
                    if case .have(let held) = reply { await self.noteProviders(peer, held) }
                }
            }
        }
    }

    func noteProviders(_ peer: Address, _ cids: [CID]) {
        if providers.count + cids.count > Self.maxProviderEntries { providers.removeAll(keepingCapacity: true) }
        for cid in cids { providers[cid, default: []].insert(peer) }
    }

    /// The peers to ask for `cid`, best first: known holders, then by score,
    /// fewest requests in flight (spreading parallel fetches), banned ones never.
    func candidates(for cid: CID, excluding: Set<Address>) -> [Address] {
        let now = Date()
        let holders = providers[cid] ?? []
        return peers.filter { !excluding.contains($0.key) && ($0.value.bannedUntil ?? .distantPast) <= now
                              && payable($0.key, $0.value.price) }
            .sorted { a, b in
                // Peers that misbehaved go last; then the cheapest; then known holders; then the least busy.
                let ga = a.value.score >= 0, gb = b.value.score >= 0
                if ga != gb { return ga }
                if a.value.price != b.value.price { return a.value.price < b.value.price }
                let ha = holders.contains(a.key), hb = holders.contains(b.key)
                if ha != hb { return ha }
                if a.value.inFlight != b.value.inFlight { return a.value.inFlight < b.value.inFlight }
                if a.value.score != b.value.score { return a.value.score > b.value.score }
                return a.key < b.key
            }.map(\.key)
    }

    /// A free peer always; a priced one only when the money path allows it.
    func payable(_ peer: Address, _ price: UInt64) -> Bool {
        guard let payments else { return price == 0 }
        return payments.mayUse(peer, price: price)
    }

    private func retrieve(_ cid: CID, hops: Int, excluding: Set<Address>) async throws(PeerNodeError) -> UInt64 {
        // Peers that refused this chunk (DONT_HAVE) or sent wrong bytes are not asked again for it;
        // one that timed out is, but only when nobody else is left (a slow link under load).
        var refused = Set<Address>(), tried = Set<Address>()
        var attempts = 0
        // Just started, or links still being set up: wait (bounded) for a first peer.
        var waits = Int(config.requestTimeout / 0.05)
        while candidates(for: cid, excluding: excluding).isEmpty && waits > 0 && !stopped {
            waits -= 1
            try? await Task.sleep(for: .milliseconds(50))
        }
        while attempts < Self.maxAttempts, !stopped {
            let order = candidates(for: cid, excluding: excluding.union(refused))
            guard let peer = order.first(where: { !tried.contains($0) }) ?? order.first else { break }
            attempts += 1
            tried.insert(peer)
            peers[peer]?.inFlight += 1
            let voucher = payments?.takeVoucher(for: peer)
            let reply = await request(to: peer, cid: cid, timeout: config.requestTimeout) {
                .get(id: $0, cid: cid, hops: UInt8(clamping: max(0, hops - 1)), voucher: voucher)
            }
            peers[peer]?.inFlight -= 1
            switch reply {
            case .block(let bytes):
                do {
                    try await Self.verifyAndStore(store, bytes, cid)
                } catch ContentStoreError.chunkMismatch {
                    penalize(peer, Self.badChunkPenalty, "sent bytes that do not match \(cid)")
                    peers[peer]?.bad += 1
                    metrics.add(.badChunks)
                    refused.insert(peer)
                    continue
                } catch {
                    throw .unavailable("cannot store \(cid): \(error)")
                }
                if var s = peers[peer] {
                    s.score = min(Self.maxScore, s.score + Self.goodChunkReward)
                    s.received += 1
                    peers[peer] = s
                }
                metrics.add(.chunksFetched)
                metrics.add(.bytesFetched, UInt64(bytes.count))
                noteProviders(peer, [cid])
                toAnnounce.append(cid)
                let price = peers[peer]?.price ?? 0
                if price > 0 { payments?.received(from: peer, price: price) }
                return price
            case .paymentRequired(let owed, let reason):
                logger.notice("peer wants payment first", metadata: ["peer": "\(peer)", "owed": "\(owed)", "why": "\(reason)"])
                payments?.refused(by: peer, owed: owed)
                refused.insert(peer)
            case .dontHave, .have, .streams, .paid:
                providers[cid]?.remove(peer)
                refused.insert(peer)
            case .timeout:
                peers[peer]?.timeouts += 1
                metrics.add(.requestTimeouts)
                penalize(peer, Self.timeoutPenalty, "did not answer for \(cid) within \(config.requestTimeout) s")
            }
        }
        metrics.add(.fetchFailures)
        if tried.isEmpty { throw .unavailable("no peer to ask for \(cid)") }
        throw .unavailable("no peer provided \(cid) (\(attempts) attempts, \(tried.count) peers)")
    }

    private func penalize(_ peer: Address, _ amount: Double, _ why: String) {
        guard var s = peers[peer] else { return }
        s.score += amount
        if s.score <= Self.banThreshold {
            s.bannedUntil = Date().addingTimeInterval(Self.banSeconds)
            logger.warning("exchange peer banned", metadata: ["peer": "\(peer)", "why": "\(why)", "score": "\(s.score)"])
        } else {
            logger.notice("exchange peer scored down", metadata: ["peer": "\(peer)", "why": "\(why)", "score": "\(s.score)"])
        }
        peers[peer] = s
    }

    private func request(to peer: Address, cid: CID?, timeout: Double,
                         _ frame: (UInt64) -> ExchangeFrame) async -> Reply {
        let id = nextID
        nextID &+= 1
        let bytes = frame(id).encoded()
        return await withCheckedContinuation { continuation in
            pending[id] = Pending(continuation: continuation, peer: peer, cid: cid)
            channel.send(bytes, to: .outbound(peer))
            Task { [weak self] in
                try? await Task.sleep(for: .seconds(timeout))
                await self?.expire(id)
            }
        }
    }

    private func expire(_ id: UInt64) {
        pending.removeValue(forKey: id)?.continuation.resume(returning: .timeout)
    }

    // MARK: Serving

    private func handle(_ message: DirectChannel.Message) {
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
            guard let payments else {
                serve(id: id, cid: cid, hops: Int(hops), to: message.from, requester: requester, charged: false)
                return
            }
            let from = message.from
            // Serve at once when the peer's credit allows it; the voucher that
            // rode along (checked against the chain, written to disk) is
            // recorded meanwhile. Only a peer at its limit waits for it.
            guard let refusal = payments.admit(requester) else {
                serve(id: id, cid: cid, hops: Int(hops), to: from, requester: requester, charged: true)
                if let voucher, let requester { Task { await payments.credit(voucher, from: requester) } }
                return
            }
            Task {
                var refused: PaymentRefusal? = refusal
                if let voucher, let requester {
                    await payments.credit(voucher, from: requester)
                    refused = payments.admit(requester)
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
        case .pay(let id, let voucher, let purpose, let note):
            let from = message.from
            guard let payments else {
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
                let answer = await payments.receive(voucher, purpose: purpose, note: note, from: payer)
                self.channel.send(ExchangeFrame.paid(id: id, accepted: answer.accepted, receipt: answer.receipt,
                                                     error: answer.error).encoded(), to: from)
            }
        case .paid(let id, let accepted, let receipt, let error):
            answer(id, from: message.from, cid: nil,
                   .paid(PaymentAnswer(accepted: accepted, receipt: receipt, error: error)))
        case .paymentRequired(let id, let cid, let owed, let reason):
            answer(id, from: message.from, cid: cid, .paymentRequired(owed: owed, reason: reason))
        case .wantHave(let id, let cids):
            channel.send(ExchangeFrame.have(id: id, cids: cids.filter { store.hasChunk($0) }).encoded(), to: message.from)
        case .have(let id, let cids):
            if id == 0 {
                if let peer = sender(of: message) { noteProviders(peer, cids) }
            } else {
                answer(id, from: message.from, cid: nil, .have(cids))
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
    private func sender(of message: DirectChannel.Message) -> Address? {
        switch message.from {
        case .outbound(let a): return a
        case .inbound: return message.curveKeyHex.flatMap { byCurveKey[$0] ?? learnedKeys[$0] }
        }
    }

    /// `claimed`, if the message's link proved the CURVE key derived from it.
    private func proven(_ claimed: Address, _ message: DirectChannel.Message) -> Address? {
        guard let key = message.curveKeyHex, key == DirectChannel.curveKeyHex(of: claimed) else { return nil }
        return claimed
    }

    private func learn(_ claimed: Address, from message: DirectChannel.Message) {
        guard let peer = proven(claimed, message), let key = message.curveKeyHex else {
            metrics.add(.malformedFrames)  // a HELLO for an address the link did not prove
            return
        }
        if learnedKeys.count >= Self.maxLearnedKeys { learnedKeys.removeAll(keepingCapacity: true) }
        learnedKeys[key] = peer
    }

    private func answer(_ id: UInt64, from: DirectChannel.Peer, cid: CID?, _ reply: Reply) {
        guard let p = pending[id], from == .outbound(p.peer), p.cid == cid else {
            metrics.add(.malformedFrames)  // an answer nobody asked for (or a late one)
            return
        }
        pending[id] = nil
        p.continuation.resume(returning: reply)
    }

    /// `charged`: the requester was booked for this chunk, so a refusal gives it back.
    private func serve(id: UInt64, cid: CID, hops: Int, to link: DirectChannel.Peer, requester: Address?, charged: Bool) {
        let refund: @Sendable () -> Void = { [payments] in
            if charged, let requester { payments?.notServed(requester) }
        }
        if serveStored(id: id, cid: cid, to: link, onMissing: refund) { return }
        let others = Set(peers.keys).subtracting(requester.map { [$0] } ?? [])
        // A node that charges nothing does not buy chunks to give them away:
        // it serves from its store only (a free viewer is no relay).
        let forwards = payments.map { $0.forwardsForOthers } ?? true
        guard hops > 0, !others.isEmpty, forwards else {
            refund()
            channel.send(ExchangeFrame.dontHave(id: id, cid: cid).encoded(), to: link)
            return
        }
        // Forward: fetch it ourselves (verifying, caching and paying for it), then pass it on.
        Task {
            do {
                try await self.ensure(cid, hops: hops, excluding: requester.map { [$0] } ?? [])
                self.forwarded(id: id, cid: cid, to: link, onMissing: refund)
            } catch {
                refund()
                self.channel.send(ExchangeFrame.dontHave(id: id, cid: cid).encoded(), to: link)
            }
        }
    }

    private func forwarded(id: UInt64, cid: CID, to link: DirectChannel.Peer, onMissing: @Sendable () -> Void) {
        metrics.add(.chunksForwarded)
        if !sendBlock(id: id, cid: cid, to: link) {
            onMissing()
            channel.send(ExchangeFrame.dontHave(id: id, cid: cid).encoded(), to: link)
        }
    }

    /// Sends the stored chunk as a BLOCK; false when the store lacks it.
    /// Hashing and the LMDB write run off the actor, so several chunks
    /// are verified at once while the actor keeps routing frames.
    @concurrent
    nonisolated static func verifyAndStore(_ store: ChunkStore, _ bytes: ArraySlice<UInt8>, _ cid: CID) async throws {
        try store.putChunk(bytes, expected: cid)
    }

    /// Serves a GET: from the store when we have it (framed off the actor),
    /// else forwarded or refused.
    private func serveStored(id: UInt64, cid: CID, to link: DirectChannel.Peer,
                             onMissing: @escaping @Sendable () -> Void) -> Bool {
        guard store.hasChunk(cid) else { return false }
        let (store, channel, metrics, wrong) = (store, channel, metrics, config.faultServeWrongBytes)
        Task.detached {
            if !Self.sendBlock(store: store, channel: channel, metrics: metrics, wrong: wrong, id: id, cid: cid, to: link) {
                onMissing()
                channel.send(ExchangeFrame.dontHave(id: id, cid: cid).encoded(), to: link)
            }
        }
        return true
    }

    private func sendBlock(id: UInt64, cid: CID, to link: DirectChannel.Peer) -> Bool {
        Self.sendBlock(store: store, channel: channel, metrics: metrics, wrong: config.faultServeWrongBytes,
                       id: id, cid: cid, to: link)
    }

    /// Sends the stored chunk as a BLOCK; false when the store lacks it.
    nonisolated static func sendBlock(store: ChunkStore, channel: DirectChannel, metrics: NodeMetrics, wrong: Bool,
                                      id: UInt64, cid: CID, to link: DirectChannel.Peer) -> Bool {
        guard let frame = try? store.withChunk(cid, { bytes -> [UInt8] in
            var frame = ExchangeFrame.blockFrame(id: id, cid: cid, bytes: bytes)
            if wrong, !bytes.isEmpty { frame[frame.count - 1] ^= 0xff }
            return frame
        }) else { return false }
        channel.send(frame, to: link)
        metrics.add(.chunksServed)
        metrics.add(.bytesServed, UInt64(frame.count))
        return true
    }

    // MARK: Payments

    /// Sends a voucher on its own (per-second pay, a tip, or one no request
    /// carried) and waits for the payee's answer; nil when it did not answer.
    public func sendPayment(to peer: Address, voucher: SignedVoucher, purpose: PaymentPurpose, note: [UInt8] = [],
                            timeout: Double? = nil) async -> PaymentAnswer? {
        guard peers[peer] != nil else { return nil }
        let reply = await request(to: peer, cid: nil, timeout: timeout ?? config.requestTimeout) {
            .pay(id: $0, voucher: voucher, purpose: purpose.encoded(), note: note)
        }
        if case .paid(let answer) = reply { return answer }
        return nil
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
