import ContentStore
import Foundation
import Gossip
import Identity
import Transport

/// Answering peers: a GET from the store (framed off the actor), or
/// forwarded through our own retrieval when we are a relay; a "have?" with
/// what we hold and whether we would forward the rest.
extension ChunkExchange {
    /// Whether we fetch chunks we lack for others: a relay that charges (or
    /// any node without a money path), with hops left and someone else to ask.
    func wouldForward(hops: Int, for requester: Address?) -> Bool {
        guard hops > 0, accounting.map({ $0.forwardsForOthers }) ?? true else { return false }
        let now = Date()
        return peers.contains { $0.key != requester && !isBanned($0.value, now) }
    }

    func sendDontHave(id: UInt64, cid: CID, to link: DirectChannel.Peer) {
        metrics.add(.requestsMissed)
        channel.send(ExchangeFrame.dontHave(id: id, cid: cid).encoded(), to: link)
    }

    func answerWantHave(id: UInt64, cids: [CID], hops: Int, to link: DirectChannel.Peer, requester: Address?) {
        let held = cids.filter { store.hasChunk($0) }
        let forwards = held.count < cids.count && wouldForward(hops: hops, for: requester)
        channel.send(ExchangeFrame.have(id: id, cids: held, forwards: forwards).encoded(), to: link)
        guard forwards else { return }
        // The GETs for the rest follow: find who holds them now, in one round
        // for them all, so each forwarded GET goes straight to a holder.
        let excluding: Set<Address> = requester.map { [$0] } ?? []
        let lacking = cids.filter { cid in
            !store.hasChunk(cid) && !locating.contains(cid) && inflight[cid] == nil
                && bestRoute(for: cid, hops: hops, excluding: excluding) != .holds
        }
        guard !lacking.isEmpty else { return }
        locating.formUnion(lacking)
        Task {
            await self.discover(lacking, hops: hops, excluding: excluding)
            self.locating.subtract(lacking)
        }
    }

    /// `charged`: the requester was booked for this chunk, so a refusal gives it back.
    func serve(id: UInt64, cid: CID, hops: Int, to link: DirectChannel.Peer, requester: Address?, charged: Bool) {
        let refund: @Sendable () -> Void = { [accounting] in
            if charged, let requester { accounting?.notServed(requester) }
        }
        if serveStored(id: id, cid: cid, to: link, onMissing: refund) { return }
        // A node that charges nothing does not buy chunks to give them away:
        // it serves from its store only (a free viewer is no relay).
        guard wouldForward(hops: hops, for: requester) else {
            refund()
            sendDontHave(id: id, cid: cid, to: link)
            return
        }
        // Forward: fetch it ourselves (verifying, caching and paying for it), then pass it on.
        Task {
            do {
                try await self.ensure(cid, hops: hops, excluding: requester.map { [$0] } ?? [])
                self.forwarded(id: id, cid: cid, to: link, onMissing: refund)
            } catch {
                refund()
                self.sendDontHave(id: id, cid: cid, to: link)
            }
        }
    }

    func forwarded(id: UInt64, cid: CID, to link: DirectChannel.Peer, onMissing: @Sendable () -> Void) {
        metrics.add(.chunksForwarded)
        if !sendBlock(id: id, cid: cid, to: link) {
            onMissing()
            sendDontHave(id: id, cid: cid, to: link)
        }
    }

    /// Hashing and the LMDB write run off the actor, so several chunks
    /// are verified at once while the actor keeps routing frames.
    @concurrent
    nonisolated static func verifyAndStore(_ store: ChunkStore, _ bytes: ArraySlice<UInt8>, _ cid: CID) async throws {
        try store.putChunk(bytes, expected: cid)
    }

    /// Serves a GET: from the store when we have it (framed off the actor),
    /// else forwarded or refused.
    func serveStored(id: UInt64, cid: CID, to link: DirectChannel.Peer,
                     onMissing: @escaping @Sendable () -> Void) -> Bool {
        guard store.hasChunk(cid) else { return false }
        let (store, channel, metrics, wrong) = (store, channel, metrics, config.faultServeWrongBytes)
        Task.detached {
            if !Self.sendBlock(store: store, channel: channel, metrics: metrics, wrong: wrong, id: id, cid: cid, to: link) {
                onMissing()
                metrics.add(.requestsMissed)
                channel.send(ExchangeFrame.dontHave(id: id, cid: cid).encoded(), to: link)
            }
        }
        return true
    }

    func sendBlock(id: UInt64, cid: CID, to link: DirectChannel.Peer) -> Bool {
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

}
