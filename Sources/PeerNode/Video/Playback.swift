import Foundation
import Identity
import PayChannel

/// A viewer's money for what its player plays, in one place: the viewer's
/// limits, what each stream cost so far, and paying the creator for the
/// seconds of each segment, by buying the segment's key (an encrypted, paid
/// stream: docs/stream-encryption.md) or, for a paid stream published before
/// encryption, with a voucher once the segment is played. The chunks'
/// own prices are the exchange's and the wallet's (NodePayments+Chunks.swift);
/// their total per stream counts here toward the stream's cap.
package actor Playback {
    let address: Address
    let identity: KeyPair
    /// The wallet; nil on a node with no payment program (it plays free streams only).
    let payments: NodePayments?
    /// Delivers a voucher now (or keeps it for later): the exchange's.
    let send: PaymentSender
    /// Keeps a creator linked (we pay it even without a gossip link) and
    /// waits, bounded, until it is.
    let link: @Sendable (Address) async -> Void

    /// Segment keys bought this run, by purchase item (the voucher book
    /// keeps them across restarts), and the purchases under way.
    var boughtKeys: [UInt64: [UInt8]] = [:]
    var keyPurchases: [UInt64: Task<[UInt8], any Error>] = [:]
    /// Unencrypted paid streams: segments already paid per stream (a player
    /// may fetch one twice), and seconds owed to creators not yet in a voucher.
    var played: [String: Set<UInt64>] = [:]
    var owedSeconds: [String: (creator: Address, amount: UInt64)] = [:]
    var payingSeconds: Set<String> = []

    /// Tries per key purchase when the creator's node does not answer.
    static let keyAttempts = 6
    /// Streams whose played segments we remember (to pay each segment once).
    static let maxPlayedStreams = 256

    init(identity: KeyPair, payments: NodePayments?, send: @escaping PaymentSender,
         link: @escaping @Sendable (Address) async -> Void) {
        self.identity = identity
        self.address = identity.address
        self.payments = payments
        self.send = send
        self.link = link
    }

    // MARK: Limits

    /// Refuses, with the reason and the fix, a segment the viewer's limits
    /// or wallet do not allow; `segment` nil: the stream as a whole.
    func check(_ manifest: StreamManifest, _ segment: StreamManifest.Segment?) throws(PeerNodeError) {
        guard manifest.creator != address else { return }
        guard let payments else {
            if manifest.pricePerSecond > 0 {
                throw .paymentRequired("\(manifest.stream) costs \(manifest.pricePerSecond) lamports per second and this node has no payment program configured (set programId in config.json)")
            }
            return
        }
        let limits = payments.limits
        guard manifest.pricePerSecond > 0 || limits.spendingCapPerStream != nil else { return }
        if let max = limits.maxPricePerSecond, manifest.pricePerSecond > max {
            throw .paymentRequired("\(manifest.stream) costs \(manifest.pricePerSecond) lamports per second, above this node's maxPricePerSecond of \(max)")
        }
        if let cap = limits.spendingCapPerStream {
            let spent = spent(stream: manifest.stream)
            let next = segment.map { cost($0, of: manifest) } ?? 0
            if spent + next > cap {
                throw .paymentRequired("the spending cap of \(cap) lamports for \(manifest.stream) is reached (spent \(spent), the next segment costs \(next)); raise spendingCapPerStream to keep watching")
            }
        }
    }

    func allows(_ manifest: StreamManifest, _ segment: StreamManifest.Segment?) -> Bool {
        (try? check(manifest, segment)) != nil
    }

    /// What playing `segment` still costs in seconds: nothing when its key
    /// was bought already (bought ahead, or before a restart), as that was
    /// counted in the stream's spending then.
    func cost(_ segment: StreamManifest.Segment, of manifest: StreamManifest) -> UInt64 {
        guard let nonce = manifest.keyNonce else {
            return played[manifest.stream]?.contains(segment.sequence) == true
                ? 0 : manifest.secondsCost(segment.duration)
        }
        let request = SegmentKeyRequest(nonce: nonce, sequence: segment.sequence)
        if boughtKeys[request.item] != nil || keyPurchases[request.item] != nil { return 0 }
        if (try? payments?.book.purchase(.seconds(stream: manifest.stream), item: request.item)) != nil { return 0 }
        return SegmentKeyRequest.price(of: segment, in: manifest)
    }

    /// What watching a stream cost: seconds paid (durable, keys included),
    /// seconds owed, and chunk fees paid while fetching it (this run).
    func spent(stream: String) -> UInt64 {
        guard let payments else { return 0 }
        let seconds = (try? payments.book.spent(.seconds(stream: stream))) ?? 0
        return seconds + (owedSeconds[stream]?.amount ?? 0) + payments.chunkSpend(stream)
    }

    /// Before playing: whether this node can pay for the stream (its limits,
    /// a payment program, lamports for a channel to the creator); nil when
    /// it can, else what will stop playback and the fix.
    func warning(for manifest: StreamManifest) async -> String? {
        guard manifest.creator != address, manifest.pricePerSecond > 0 else { return nil }
        do { try check(manifest, nil) } catch { return "\(error)" }
        guard let payments else { return nil }
        let whole = manifest.kind == .vod
            ? manifest.secondsCost(manifest.totalDuration) : manifest.secondsCost(60)
        return await payments.manager.readiness(toPay: whole, to: manifest.creator)
    }

    // MARK: Playing

    /// A fetched segment's bytes for the player, paid for: decrypted with
    /// its key (bought now if it was not ahead, and the next one bought
    /// while it plays), or, unencrypted, its seconds owed to the creator.
    func open(_ bytes: [UInt8], _ segment: StreamManifest.Segment, of manifest: StreamManifest) async throws -> [UInt8] {
        guard manifest.encryption != nil else {
            owe(segment, of: manifest)
            return bytes
        }
        guard let iv = segment.iv.flatMap(hexBytes) else { throw PeerNodeError.badManifest("segment \(segment.sequence) has no IV") }
        let key = try await key(segment, of: manifest)
        let plain = try SegmentCipher.decrypt(bytes, key: key, iv: iv)
        if let next = manifest.segments.first(where: { $0.sequence == segment.sequence + 1 }) { buyKeyAhead(next, of: manifest) }
        return plain
    }

    /// Starts buying one segment's key, within the viewer's limits, unless
    /// it is bought or being bought (so the player waits for no round trip).
    func buyKeyAhead(_ segment: StreamManifest.Segment, of manifest: StreamManifest) {
        guard manifest.encryption != nil, manifest.creator != address, payments != nil else { return }
        guard cost(segment, of: manifest) > 0, allows(manifest, segment) else { return }
        Task { _ = try? await self.key(segment, of: manifest) }
    }

    /// The key of one segment: ours to derive for our own stream, else
    /// bought from the creator (one purchase at a time per segment).
    package func key(_ segment: StreamManifest.Segment, of manifest: StreamManifest) async throws -> [UInt8] {
        guard let nonce = manifest.keyNonce else { throw PeerNodeError.badManifest("\(manifest.stream) is not encrypted") }
        let request = SegmentKeyRequest(nonce: nonce, sequence: segment.sequence)
        if manifest.creator == address { return ContentKeys.key(identity, request) }
        if let known = boughtKeys[request.item] { return known }
        if let pending = keyPurchases[request.item] { return try await pending.value }
        guard let payments else {
            throw PeerNodeError.paymentRequired("\(manifest.stream) costs \(manifest.pricePerSecond) lamports per second and this node has no payment program configured (set programId in config.json)")
        }
        let (stream, creator, send, link) = (manifest.stream, manifest.creator, send, link)
        let price = SegmentKeyRequest.price(of: segment, in: manifest)
        let purchase = Task { () throws -> [UInt8] in
            // A creator that restarts is unreachable for a moment: ask again
            // (a few times, longer apart each time) before the player hears
            // of it. The purchase on disk makes every try pay once at most.
            for attempt in 1..<Self.keyAttempts {
                await link(creator)
                do { return try await payments.buyKey(stream: stream, creator: creator, request: request, price: price, send: send) }
                catch PeerNodeError.unavailable { try await Task.sleep(for: .milliseconds(250 * attempt)) }
            }
            await link(creator)
            return try await payments.buyKey(stream: stream, creator: creator, request: request, price: price, send: send)
        }
        keyPurchases[request.item] = purchase
        defer { keyPurchases[request.item] = nil }
        let key = try await purchase.value
        if boughtKeys.count >= 4096 { boughtKeys.removeAll() }   // the voucher book keeps them all
        boughtKeys[request.item] = key
        return key
    }

    /// An unencrypted paid segment was handed to the player: owe the creator
    /// its seconds (once per segment) and pay them, one voucher at a time per stream.
    func owe(_ segment: StreamManifest.Segment, of manifest: StreamManifest) {
        let (stream, creator) = (manifest.stream, manifest.creator)
        guard creator != address, manifest.pricePerSecond > 0, let payments else { return }
        if played[stream] == nil, played.count >= Self.maxPlayedStreams { played.removeAll() }
        guard played[stream, default: []].insert(segment.sequence).inserted else { return }
        let amount = manifest.secondsCost(segment.duration)
        owedSeconds[stream] = (creator, (owedSeconds[stream]?.amount ?? 0) + amount)
        guard payingSeconds.insert(stream).inserted, !payments.neverPay else { return }
        Task { await self.paySeconds(stream) }
    }

    private func paySeconds(_ stream: String) async {
        defer { payingSeconds.remove(stream) }
        guard let payments else { return }
        for _ in 0..<64 {
            guard let owed = owedSeconds[stream], owed.amount > 0 else { return }
            let purpose = PaymentPurpose.seconds(stream: stream)
            let send = self.send
            let signed: SignedVoucher? = await payments.serially(owed.creator) {
                guard let voucher = try? await payments.sign(owed.creator, amount: owed.amount, purpose: purpose) else { return nil }
                await self.signed(owed.amount, for: stream)
                // Delivered now, or kept by the sender for later: it is paid either way.
                _ = await send(DueVoucher(peer: owed.creator, voucher: voucher, purpose: purpose), [])
                return voucher
            }
            guard signed != nil else { return }
        }
    }

    /// Signed: the book counts it from now on, so it is owed no more (counted
    /// in both while the voucher travelled, the stream's spending looked
    /// higher by it and a viewer near its cap was refused a segment it could afford).
    private func signed(_ amount: UInt64, for stream: String) {
        guard let owed = owedSeconds[stream] else { return }
        let left = owed.amount - min(owed.amount, amount)
        owedSeconds[stream] = left > 0 ? (owed.creator, left) : nil
    }
}
