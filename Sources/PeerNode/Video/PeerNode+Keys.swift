import ContentStore
import Foundation
import Gossip
import Identity
import LMDB

/// Encrypted (paid) streams on the node: the creator seals each segment and
/// sells its key; a viewer's node buys the key of each segment it plays, one
/// segment ahead of the player, and hands its player the plaintext
/// (docs/stream-encryption.md).
extension PeerNode: SegmentKeyShop {
    /// The file to store for a segment: the file itself for a free stream;
    /// for a paid one (`nonce`), its AES-128 ciphertext written beside it, and the IV.
    func sealSegment(path: String, sequence: UInt64, nonce: [UInt8]?) throws -> (path: String, iv: String?) {
        guard let nonce else { return (path, nil) }
        guard let plain = FileManager.default.contents(atPath: path) else { throw PeerNodeError.notFound("segment file \(path)") }
        let iv = SegmentCipher.randomIV()
        let key = ContentKeys.key(identity, SegmentKeyRequest(nonce: nonce, sequence: sequence))
        let sealed = try SegmentCipher.encrypt(Array(plain), key: key, iv: iv)
        let out = dataDirectory + "/tmp/sealed-\(UUID().uuidString).ts"
        try? FileManager.default.createDirectory(atPath: dataDirectory + "/tmp", withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: out, contents: Data(sealed)) else {
            throw PeerNodeError.diskFull(DiskFull(path: out, needed: UInt64(sealed.count),
                                                  free: DiskSpace.available(at: dataDirectory) ?? 0))
        }
        return (out, iv.map { String(format: "%02x", $0) }.joined())
    }

    /// A segment's plaintext for our player: the bytes as they are for a
    /// free stream, decrypted with its key for a paid one.
    func openSegment(_ bytes: [UInt8], _ segment: StreamManifest.Segment, of manifest: StreamManifest) async throws -> [UInt8] {
        guard manifest.encryption != nil else { return bytes }
        guard let iv = segment.iv.flatMap(hexBytes) else { throw PeerNodeError.badManifest("segment \(segment.sequence) has no IV") }
        let key = try await segmentKey(segment, of: manifest)
        return try SegmentCipher.decrypt(bytes, key: key, iv: iv)
    }

    /// The key of one segment: ours to derive for our own stream, else
    /// bought from the creator (one purchase at a time per segment).
    /// `package`: the paid-playback benchmark times it.
    package func segmentKey(_ segment: StreamManifest.Segment, of manifest: StreamManifest) async throws -> [UInt8] {
        guard let nonce = manifest.keyNonce else { throw PeerNodeError.badManifest("\(manifest.stream) is not encrypted") }
        let request = SegmentKeyRequest(nonce: nonce, sequence: segment.sequence)
        if manifest.creator == address { return ContentKeys.key(identity, request) }
        if let known = boughtKeys[request.item] { return known }
        if let pending = keyPurchases[request.item] { return try await pending.value }
        guard let payments else {
            throw PeerNodeError.paymentRequired("\(manifest.stream) costs \(manifest.pricePerSecond) lamports per second and this node has no payment program configured (set programId in config.json)")
        }
        payees.insert(manifest.creator)
        let (stream, creator) = (manifest.stream, manifest.creator)
        let price = SegmentKeyRequest.price(duration: segment.duration, pricePerSecond: manifest.pricePerSecond)
        let purchase = Task { [weak self] () throws -> [UInt8] in
            // A creator that restarts is unreachable for a moment: ask again
            // (a few times, a quarter second apart) before the player hears
            // of it. The purchase on disk makes every try pay once at most.
            for attempt in 1..<Self.keyAttempts {
                // The creator must be linked for the request to reach it.
                try? await self?.waitForLink(creator)
                do { return try await payments.buyKey(stream: stream, creator: creator, request: request, price: price) }
                catch PeerNodeError.unavailable { try await Task.sleep(for: .milliseconds(250 * attempt)) }
            }
            try? await self?.waitForLink(creator)
            return try await payments.buyKey(stream: stream, creator: creator, request: request, price: price)
        }
        keyPurchases[request.item] = purchase
        defer { keyPurchases[request.item] = nil }
        let key = try await purchase.value
        if boughtKeys.count >= 4096 { boughtKeys.removeAll() }   // the voucher book keeps them all
        boughtKeys[request.item] = key
        return key
    }

    /// Tries per key purchase when the creator's node does not answer.
    static let keyAttempts = 6

    /// Buys the key of the segment after `sequence` in the background, so
    /// the player's next request waits for no round trip to the creator.
    func buyKeyAhead(_ manifest: StreamManifest, after sequence: UInt64) {
        guard let next = manifest.segments.first(where: { $0.sequence == sequence + 1 }) else { return }
        buyKeyInBackground(next, of: manifest)
    }

    /// Starts buying one segment's key, within the viewer's limits, unless
    /// it is bought or being bought.
    func buyKeyInBackground(_ segment: StreamManifest.Segment, of manifest: StreamManifest) {
        guard manifest.encryption != nil, manifest.creator != address, payments != nil else { return }
        let cost = secondsCost(segment, of: manifest)
        guard cost > 0, (try? checkPlayable(manifest, nextCost: cost)) != nil else { return }
        Task { _ = try? await self.segmentKey(segment, of: manifest) }
    }

    /// The creator's offer for one key request: the segment's price and key,
    /// or why there is none (not our stream, another publication, a segment
    /// the stream does not list).
    func keyOffer(stream: String, request: SegmentKeyRequest) async -> Result<(price: UInt64, key: [UInt8]), PeerNodeError> {
        guard let id = try? StreamID(stream), let s = own[id] else { return .failure(.notFound("stream \(stream) of this node")) }
        guard let nonce = s.manifest.keyNonce else { return .failure(.badRequest("\(stream) is free: it has no keys")) }
        guard nonce == request.nonce else {
            return .failure(.notFound("keys of an earlier publication of \(stream): ask with the current manifest"))
        }
        guard let segment = s.manifest.segments.first(where: { $0.sequence == request.sequence }) else {
            return .failure(.notFound("segment \(request.sequence) of \(stream) (not in its manifest)"))
        }
        let price = SegmentKeyRequest.price(duration: segment.duration, pricePerSecond: s.manifest.pricePerSecond)
        return .success((price, ContentKeys.key(identity, request)))
    }
}

extension SegmentKeyRequest {
    /// A segment's key costs its seconds at the stream's price, rounded up,
    /// and at least 1 lamport (a voucher moves money or is refused).
    static func price(duration: Double, pricePerSecond: UInt64) -> UInt64 {
        max(1, UInt64((max(0, duration) * Double(pricePerSecond)).rounded(.up)))
    }
}

extension PeerNode {
    /// What playing `segment` still costs in seconds: nothing when its key
    /// was bought already (bought ahead, or before a restart), as that was
    /// counted in the stream's spending then.
    func secondsCost(_ segment: StreamManifest.Segment, of manifest: StreamManifest) -> UInt64 {
        guard let nonce = manifest.keyNonce else {
            return UInt64((segment.duration * Double(manifest.pricePerSecond)).rounded(.up))
        }
        let request = SegmentKeyRequest(nonce: nonce, sequence: segment.sequence)
        if boughtKeys[request.item] != nil || keyPurchases[request.item] != nil { return 0 }
        if (try? payments?.book.purchase(.seconds(stream: manifest.stream), item: request.item)) != nil { return 0 }
        return SegmentKeyRequest.price(duration: segment.duration, pricePerSecond: manifest.pricePerSecond)
    }
}
