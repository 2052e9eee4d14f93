import ContentStore
import Foundation
import Identity

/// Fetching: content routing in the manner of a Bitswap session. A segment's
/// missing chunks are first asked about at once ("have?" to every peer); the
/// answers say who holds each chunk and who would forward a request for it.
/// Each chunk is then fetched from a holder (cheapest, then fastest, spread
/// over the holders), else from a forwarder, else from a peer that did not
/// answer. A retrieval ends when the chunk is stored, when its time
/// (`searchTimeout`) is up, or when no peer that could help is left: a crowd
/// of peers that lack the chunk costs one round trip, never the search.
extension ChunkExchange {
    /// How a peer can help with one chunk, best first.
    enum Route: Int, Comparable {
        case holds = 0, forwards = 1, unknown = 2
        static func < (a: Route, b: Route) -> Bool { a.rawValue < b.rawValue }
    }

    /// Makes sure the store holds `cid`, fetching and verifying it from a
    /// peer if needed. Concurrent calls for one CID share one retrieval.
    /// `account`: what a price paid for it counts toward (a stream, for the
    /// viewer's spending; the accounting keeps it), nil for nothing.
    public func ensure(_ cid: CID, hops: Int? = nil, excluding: Set<Address> = [],
                       for account: String? = nil) async throws(PeerNodeError) {
        if store.hasChunk(cid) { return }
        if let running = inflight[cid] {
            do { try await running.value } catch { throw error as? PeerNodeError ?? .unavailable("\(error)") }
            return
        }
        let hops = hops ?? tuning.forwardHops
        let task = Task<Void, any Error> { try await self.retrieve(cid, hops: hops, excluding: excluding, account: account) }
        inflight[cid] = task
        defer { inflight[cid] = nil }
        do { try await task.value } catch { throw error as? PeerNodeError ?? .unavailable("\(error)") }
    }

    /// Ensures every CID is stored, `parallelFetches` at a time, after one
    /// "have?" round for those whose holders we do not know yet. `account`:
    /// as for `ensure`.
    public func ensureAll(_ cids: [CID], parallel: Int? = nil, for account: String? = nil) async throws(PeerNodeError) {
        let missing = cids.filter { !store.hasChunk($0) }
        guard !missing.isEmpty else { return }
        let unrouted = missing.filter { inflight[$0] == nil && bestRoute(for: $0, hops: tuning.forwardHops, excluding: []) != .holds }
        if !unrouted.isEmpty {
            await waitForPeers(until: Date().addingTimeInterval(tuning.requestTimeout))
            await discover(unrouted, hops: tuning.forwardHops, excluding: [])
        }
        let width = max(1, parallel ?? tuning.parallelFetches)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                var next = 0
                while next < missing.count && next < width {
                    let cid = missing[next]
                    group.addTask { try await self.ensure(cid, for: account) }
                    next += 1
                }
                while try await group.next() != nil {
                    if next < missing.count {
                        let cid = missing[next]
                        group.addTask { try await self.ensure(cid, for: account) }
                        next += 1
                    }
                }
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

    // MARK: Who has it

    /// Asks every peer (but `excluding`) at once which of `cids` it holds and
    /// whether it would forward a request for the others; records the
    /// answers. Ends when every peer answered, after `haveTimeout`, or soon
    /// after a usable holder or forwarder is known for every chunk asked
    /// about: answers that come as quickly as the first useful ones are still
    /// taken, so a segment is spread over every peer that is as close.
    /// Returns the peers that answered.
    @discardableResult
    func discover(_ cids: [CID], hops: Int, excluding: Set<Address>) async -> Set<Address> {
        let list = Array(cids.prefix(ExchangeFrame.maxListItems))
        let begun = Date()
        let targets = peers.filter { !excluding.contains($0.key) && !isBanned($0.value, begun) }.map(\.key)
        guard !list.isEmpty, !targets.isEmpty else { return [] }
        metrics.add(.haveRounds)
        let getHops = UInt8(clamping: max(0, hops - 1))
        let timeout = tuning.haveTimeout
        enum Outcome: Sendable { case answer(Address, Reply), enough }
        return await withTaskGroup(of: Outcome.self) { group in
            for peer in targets {
                group.addTask {
                    .answer(peer, await self.request(to: peer, cid: nil, timeout: timeout) {
                        .wantHave(id: $0, cids: list, hops: getHops)
                    })
                }
            }
            var answered = Set<Address>()
            // Once every chunk has a holder, answers as quick as that are
            // still taken; once every chunk has at least a forwarder, holders
            // get a little longer (a forwarded chunk costs a relay a fetch).
            var routedByHolders = false, routedByForwarders = false
            for await outcome in group {
                guard case .answer(let peer, let reply) = outcome else {
                    group.cancelAll()
                    break
                }
                guard case .have(let held, let forwards) = reply else { continue }
                answered.insert(peer)
                metrics.add(.haveAnswers)
                // Whether it forwards is news only when the GET would let it.
                noteAnswer(peer, asked: list, held: held, forwards: getHops > 0 ? forwards : nil)
                let routes = list.map { bestRoute(for: $0, hops: hops, excluding: excluding) ?? .unknown }
                let elapsed = Date().timeIntervalSince(begun)
                var grace: Double?
                if !routedByHolders, routes.allSatisfy({ $0 == .holds }) {
                    routedByHolders = true
                    grace = max(0.002, elapsed)
                } else if !routedByForwarders, routes.allSatisfy({ $0 < .unknown }) {
                    routedByForwarders = true
                    grace = max(0.01, 3 * elapsed)
                }
                if let grace {
                    group.addTask {
                        try? await Task.sleep(for: .seconds(min(grace, timeout)))
                        return .enough
                    }
                }
            }
            return answered
        }
    }

    /// `forwards`: what it said about forwarding; nil when the question
    /// could not tell (asked with no hops left).
    func noteAnswer(_ peer: Address, asked: [CID], held: [CID], forwards: Bool?) {
        let holds = Set(held)
        noteProviders(peer, asked.filter { holds.contains($0) })
        if let forwards { peers[peer]?.forwards = forwards }
        if lackers.count + asked.count > tuning.maxProviderEntries { lackers.removeAll(keepingCapacity: true) }
        for cid in asked where !holds.contains(cid) {
            providers[cid]?.remove(peer)
            if forwards != true { lackers[cid, default: []].insert(peer) }
        }
    }

    func noteProviders(_ peer: Address, _ cids: [CID]) {
        if providers.count + cids.count > tuning.maxProviderEntries { providers.removeAll(keepingCapacity: true) }
        for cid in cids {
            providers[cid, default: []].insert(peer)
            lackers[cid]?.remove(peer)
        }
    }

    func isBanned(_ state: PeerState, _ now: Date) -> Bool { (state.bannedUntil ?? .distantPast) > now }

    /// A free peer always; a priced one only when the money path allows it.
    func payable(_ peer: Address, _ price: UInt64) -> Bool {
        guard let accounting else { return price == 0 }
        return accounting.mayUse(peer, price: price)
    }

    /// How `peer` can help with `cid`: nil when it said it cannot.
    /// `hops`: our forwarding budget; a GET carries one less, so a forwarder
    /// helps only while that is above zero.
    func route(_ peer: Address, _ state: PeerState, for cid: CID, hops: Int) -> Route? {
        if providers[cid]?.contains(peer) == true { return .holds }
        if state.forwards && hops > 1 { return .forwards }
        if lackers[cid]?.contains(peer) == true { return nil }
        return .unknown
    }

    func bestRoute(for cid: CID, hops: Int, excluding: Set<Address>) -> Route? {
        ranked(cid, hops: hops, excluding: excluding).first?.route
    }

    /// The usable peers for `cid`, best first: holders, then forwarders, then
    /// peers we know nothing about; within each, well-behaved peers first,
    /// then the cheapest, then the fastest given what each already has in
    /// flight (which spreads a segment's chunks over its holders), then the
    /// least busy.
    func ranked(_ cid: CID, hops: Int, excluding: Set<Address>) -> [(peer: Address, route: Route)] {
        let now = Date()
        var out: [(peer: Address, route: Route, state: PeerState)] = []
        for (peer, state) in peers where !excluding.contains(peer) && !isBanned(state, now) && payable(peer, state.price) {
            if let route = route(peer, state, for: cid, hops: hops) { out.append((peer, route, state)) }
        }
        // A peer not measured yet counts as fast (optimism, as in bandit
        // exploration): every holder gets tried, so a slow or lying one is
        // found out rather than never asked; ties go at random, not by address.
        func wait(_ s: PeerState) -> Double { (s.roundTrip ?? 0) * Double(1 + s.inFlight) }
        let ranked = out.map { ($0, UInt32.random(in: 0...UInt32.max)) }.sorted { x, y in
            let (a, b) = (x.0, y.0)
            if a.route != b.route { return a.route < b.route }
            let ga = a.state.score >= 0, gb = b.state.score >= 0
            if ga != gb { return ga }
            if a.state.price != b.state.price { return a.state.price < b.state.price }
            if wait(a.state) != wait(b.state) { return wait(a.state) < wait(b.state) }
            if a.state.inFlight != b.state.inFlight { return a.state.inFlight < b.state.inFlight }
            return x.1 < y.1
        }
        return ranked.map { ($0.0.peer, $0.0.route) }
    }

    /// Just started, or links still being set up: wait (bounded) for a first peer.
    func waitForPeers(until deadline: Date) async {
        while peers.isEmpty && Date() < deadline && !stopped {
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    // MARK: Fetching one chunk

    /// How many times one retrieval asks again a peer that wanted payment first.
    static let paymentRetries = 3

    func retrieve(_ cid: CID, hops: Int, excluding: Set<Address>, account: String?) async throws(PeerNodeError) {
        let started = Date()
        let deadline = started.addingTimeInterval(tuning.searchTimeout)
        await waitForPeers(until: started.addingTimeInterval(tuning.requestTimeout))
        // This retrieval's own findings: peers that refused the chunk (DONT_HAVE,
        // payment first) or sent wrong bytes are not asked again for it; one
        // that timed out is, but only when nobody else is left.
        var refused = Set<Address>(), timedOut = Set<Address>(), asked = Set<Address>()
        var wantPayment: [Address: String] = [:]
        var paymentRetries = 0
        var lastRound: Date?
        var nobodySince: Date?
        while !stopped && Date() < deadline {
            let order = ranked(cid, hops: hops, excluding: excluding.union(refused))
            let fresh = order.filter { !timedOut.contains($0.peer) }
            // Holders and forwarders at once; peers that did not answer a
            // "have?" only after one was asked; peers that timed out last.
            let pick = fresh.first { $0.route != .unknown || lastRound != nil || fresh.count == 1 }
                ?? (lastRound != nil ? order.first : nil)
            if let pick {
                nobodySince = nil
                asked.insert(pick.peer)
                if try await fetch(cid, from: pick.peer, hops: hops, account: account, refused: &refused,
                                   timedOut: &timedOut, wantPayment: &wantPayment) {
                    return
                }
                // A peer that wants payment first, and we are paying it (no
                // problem noted): once our voucher has had a moment to reach
                // it, it is asked again, a few times at most, before the
                // search gives up on it (a fast transfer outruns its vouchers).
                if wantPayment[pick.peer] != nil, accounting?.paymentProblem(with: pick.peer) == nil,
                   paymentRetries < Self.paymentRetries {
                    paymentRetries += 1
                    try? await Task.sleep(for: .seconds(tuning.soloPaymentDelay / 2))
                    refused.remove(pick.peer)
                }
                continue
            }
            if lastRound.map({ Date().timeIntervalSince($0) >= tuning.haveRetryInterval }) ?? true {
                lastRound = Date()
                await discover([cid], hops: hops, excluding: excluding.union(refused))
                continue
            }
            // Nobody can help now. A moment's grace (a live segment still on
            // its way to our peers, a link being set up), then a clear answer.
            let since = nobodySince ?? Date()
            nobodySince = since
            if Date().timeIntervalSince(since) >= 2 * tuning.haveTimeout { break }
            try? await Task.sleep(for: .seconds(tuning.haveRetryInterval))
        }
        metrics.add(.fetchFailures)
        throw failure(cid, asked: asked, refused: refused, timedOut: timedOut, wantPayment: wantPayment,
                      excluding: excluding, seconds: Date().timeIntervalSince(started))
    }

    /// One GET to one peer, carrying the voucher due to it if one waits.
    /// True when the chunk arrived and verified; false (with the peer noted)
    /// when it did not.
    private func fetch(_ cid: CID, from peer: Address, hops: Int, account: String?, refused: inout Set<Address>,
                       timedOut: inout Set<Address>, wantPayment: inout [Address: String]) async throws(PeerNodeError) -> Bool {
        peers[peer]?.inFlight += 1
        let voucher = outbox.take(for: peer)
        let sent = Date()
        let reply = await request(to: peer, cid: cid, timeout: tuning.requestTimeout) {
            .get(id: $0, cid: cid, hops: UInt8(clamping: max(0, hops - 1)), voucher: voucher)
        }
        peers[peer]?.inFlight -= 1
        switch reply {
        case .block(let bytes):
            do {
                try await Self.verifyAndStore(store, bytes, cid)
            } catch ContentStoreError.chunkMismatch {
                penalize(peer, tuning.badChunkPenalty, "sent bytes that do not match \(cid)")
                peers[peer]?.bad += 1
                providers[cid]?.remove(peer)
                metrics.add(.badChunks)
                refused.insert(peer)
                return false
            } catch {
                throw .unavailable("cannot store \(cid): \(error)")
            }
            if var s = peers[peer] {
                s.score = min(tuning.maxScore, s.score + tuning.goodChunkReward)
                s.received += 1
                let took = Date().timeIntervalSince(sent)
                s.roundTrip = s.roundTrip.map { 0.8 * $0 + 0.2 * took } ?? took
                peers[peer] = s
            }
            metrics.add(.chunksFetched)
            metrics.add(.bytesFetched, UInt64(bytes.count))
            noteProviders(peer, [cid])
            toAnnounce.append(cid)
            let price = peers[peer]?.price ?? 0
            if price > 0 { accounting?.received(from: peer, price: price, for: account) }
            return true
        case .paymentRequired(let owed, let reason):
            quieter.log("wants payment \(peer)", logger, .notice, "peer wants payment first",
                        ["peer": "\(peer)", "owed": "\(owed)", "why": "\(reason)"])
            accounting?.refused(by: peer, owed: owed)
            outbox.hurry(peer)
            refused.insert(peer)
            wantPayment[peer] = reason
        case .dontHave, .have, .streams, .paid, .record:
            providers[cid]?.remove(peer)
            refused.insert(peer)
        case .timeout:
            // The voucher it carried may never have arrived: it waits again.
            if let voucher { outbox.putBack(voucher, to: peer) }
            timedOut.insert(peer)
            peers[peer]?.timeouts += 1
            metrics.add(.requestTimeouts)
            penalize(peer, tuning.timeoutPenalty, "did not answer for \(cid) within \(tuning.requestTimeout) s")
        }
        return false
    }

    /// Why a retrieval failed, in words a user can act on: a holder we may
    /// not use (its price, or we cannot pay) is a payment matter (402);
    /// anything else is unavailability (503).
    private func failure(_ cid: CID, asked: Set<Address>, refused: Set<Address>, timedOut: Set<Address>,
                         wantPayment: [Address: String], excluding: Set<Address>, seconds: Double) -> PeerNodeError {
        let now = Date()
        // Peers that would serve us once paid, and we could not pay them: say why and what to do.
        if let (peer, reason) = wantPayment.sorted(by: { $0.key < $1.key }).first {
            let problem = accounting?.paymentProblem(with: peer)
            return .paymentRequired("\(peer) wants payment before it serves \(cid) (\(reason))"
                + (problem.map { "; this node could not pay it: \($0)" } ?? "; this node is paying it now, try again in a moment"))
        }
        let priced = (providers[cid] ?? []).compactMap { peer -> (Address, UInt64)? in
            guard !excluding.contains(peer), let s = peers[peer], !isBanned(s, now), !payable(peer, s.price) else { return nil }
            return (peer, s.price)
        }.sorted { $0.1 < $1.1 }
        if let cheapest = priced.first {
            let limit: String
            if accounting == nil {
                limit = "this node has no payment program configured (set programId in config.json)"
            } else if let max = config.maxPricePerChunk, cheapest.1 > max {
                limit = "your maxPricePerChunk is \(max)"
            } else {
                limit = "this node cannot pay it now"
            }
            return .paymentRequired("chunk \(cid) is held only by peers this node may not use: \(cheapest.0) charges \(cheapest.1) lamports per chunk and \(limit)")
        }
        if peers.isEmpty { return .unavailable("no peer to ask for \(cid): this node has no exchange links yet (check bootstrap in config.json)") }
        if asked.isEmpty {
            return .unavailable("no peer holds or forwards \(cid) (asked \(peers.count) peers who has it; none does)")
        }
        return .unavailable("no peer provided \(cid) within \(String(format: "%.1f", seconds)) s (\(asked.count) asked: \(refused.count) refused, \(timedOut.count) timed out)")
    }

    func penalize(_ peer: Address, _ amount: Double, _ why: String) {
        guard var s = peers[peer] else { return }
        s.score += amount
        if s.score <= tuning.banThreshold {
            s.bannedUntil = Date().addingTimeInterval(tuning.banSeconds)
            logger.warning("exchange peer banned", metadata: ["peer": "\(peer)", "why": "\(why)", "score": "\(s.score)"])
        } else {
            logger.notice("exchange peer scored down", metadata: ["peer": "\(peer)", "why": "\(why)", "score": "\(s.score)"])
        }
        peers[peer] = s
    }
}
