import Foundation
import Gossip
import Identity
import PayChannel

/// Chat, tips and the money figures the API shows.
extension PeerNode {
    public struct ChatLine: Sendable, Codable, Equatable {
        public let author: String
        public let text: String
        /// Milliseconds since 1970, as the author stamped it.
        public let time: UInt64
        /// The tip's amount when the creator's receipt verifies (the line is
        /// highlighted); nil for plain chat or a tip claim that does not verify.
        public let tip: UInt64?
        /// Until when (ms) the line is pinned: a verified tip at or above the
        /// stream's pin price.
        public let pinnedUntil: UInt64?
    }

    public struct Chat: Sendable, Codable {
        public let stream: String
        public let lines: [ChatLine]
        /// Lines pinned now (also in `lines`).
        public let pinned: [ChatLine]
    }

    /// Starts following a stream's chat (history is fetched from peers and kept).
    func joinChat(_ id: StreamID) async {
        guard chatJoined.insert(id).inserted else { return }
        let messages = await gossip.subscribe(.chat(id))
        // History is stored by gossip; the live feed itself is not needed here.
        tasks.append(Task { for await _ in messages {} })
    }

    public func sendChat(stream text: String, message: String, tipReference: String? = nil) async throws -> String {
        let id = try parseStream(text)
        await joinChat(id)
        do { return try await gossip.sendChat(stream: id, text: message, tipReference: tipReference).description } catch {
            throw PeerNodeError.badRequest("\(error)")
        }
    }

    /// The stream's chat, each tip checked against the creator's receipt.
    public func chat(stream text: String, limit: Int? = nil) async throws -> Chat {
        let id = try parseStream(text)
        await joinChat(id)
        let manifest = try? await currentManifest(stream: text)
        let pinPrice = manifest?.tipPinPrice ?? 0, pinMillis = UInt64(max(0, manifest?.tipPinSeconds ?? 0)) * 1000
        let history: [GossipMessage]
        do { history = try await gossip.chatHistory(stream: id, limit: limit) } catch {
            throw PeerNodeError.unavailable("chat history: \(error)")
        }
        let now = UInt64(Date().timeIntervalSince1970 * 1000)
        var lines: [ChatLine] = []
        for message in history {
            guard case .chat(let chat) = message.content else { continue }
            var tip: UInt64?
            if let reference = chat.tipReference,
               let receipt = TipReceipt.parse(reference: reference, stream: id.description, author: message.author, text: chat.text),
               receipt.isSigned(by: id.creator) {
                tip = receipt.amount
            }
            var pinnedUntil: UInt64?
            if let tip, pinPrice > 0, tip >= pinPrice, pinMillis > 0 { pinnedUntil = message.envelope.timestamp + pinMillis }
            lines.append(ChatLine(author: message.author.base58, text: chat.text, time: message.envelope.timestamp,
                                  tip: tip, pinnedUntil: pinnedUntil))
        }
        return Chat(stream: id.description, lines: lines, pinned: lines.filter { ($0.pinnedUntil ?? 0) > now })
    }

    /// Pays a tip to the stream's creator; with a message, the chat line
    /// carries the creator's receipt so every node can highlight it.
    public func tip(stream text: String, amount: UInt64, message: String?) async throws -> NodePayments.TipResult {
        let id = try parseStream(text)
        guard let payments else {
            throw PeerNodeError.paymentRequired("this node has no payment program configured (set programId in config.json)")
        }
        payees.insert(id.creator)
        try await waitForLink(id.creator)
        let result = try await payments.tip(stream: id, amount: amount, message: message, send: Self.sender(exchange))
        if let message, let reference = result.reference {
            _ = try await sendChat(stream: text, message: message, tipReference: reference)
        }
        return result
    }

    /// Waits (bounded) until the exchange has a link to `peer`.
    func waitForLink(_ peer: Address) async throws {
        for _ in 0..<40 {
            if await exchange.peerAddresses().contains(peer) { return }
            await syncPeers()
            if await exchange.peerAddresses().contains(peer) { return }
            try? await Task.sleep(for: .milliseconds(100))
        }
        throw PeerNodeError.unavailable("no link to \(peer): its peer record has not reached this node yet")
    }

    public struct Channels: Sendable, Codable {
        /// Channels we pay into.
        public let outgoing: [OutgoingChannel]
        /// Channels we are paid on.
        public let incoming: [EarningsReport.IncomingChannel]
    }

    public struct Spending: Sendable, Codable {
        /// Per stream: seconds paid and owed, plus chunk fees while fetching it.
        public let byStream: [String: UInt64]
        /// What the vouchers this node signed add up to, per kind (the truth:
        /// `signed.total` equals `channelsSpent`).
        public let signed: SpentByKind
        /// The sum of `spent` over our outgoing channels (GET /v1/channels).
        public let channelsSpent: UInt64
    }

    /// The money path, or an error saying that this node has none and how
    /// to set it up; `what`: what was asked for ("earnings", ...).
    func requirePayments(_ what: String) throws(PeerNodeError) -> NodePayments {
        guard let payments else { throw .paymentsOff(what) }
        return payments
    }

    public func earnings() async throws -> EarningsReport {
        try await requirePayments("no earnings").collector.earnings()
    }

    public func channels() async throws -> Channels {
        let payments = try requirePayments("no channels")
        let outgoing = await payments.manager.channels()
        let incoming = await payments.collector.earnings().channels
        return Channels(outgoing: outgoing, incoming: incoming)
    }

    /// Claims every channel with anything unclaimed, now (whatever the fee).
    public func claimAll() async throws -> [Claim] {
        let payments = try requirePayments("nothing to claim")
        let claims = await payments.collector.settleAll()
        for claim in claims { payments.logClaim(claim) }
        return claims
    }

    public func spending() async throws -> Spending {
        let payments = try requirePayments("no spending")
        var streams = Set((try? payments.book.spentByStream())?.keys.map { $0 } ?? [])
        for s in await self.streams() { streams.insert(s.stream) }
        var out: [String: UInt64] = [:]
        for s in streams {
            let spent = await playback.spent(stream: s)
            if spent > 0 { out[s] = spent }
        }
        let signed = (try? payments.book.spentByKind()) ?? SpentByKind()
        let channelsSpent = await payments.manager.channels().reduce(UInt64(0)) { $0 &+ $1.spent }
        return Spending(byStream: out, signed: signed, channelsSpent: channelsSpent)
    }
}
