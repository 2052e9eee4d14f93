import ContentStore
import Gossip
import Foundation
import Identity
import PayChannel
import TestSupport
import Testing
@testable import PeerNode

/// Paid streams' segment keys: the cipher, the keys, and their sale through
/// real channels on localnet between exchanges in this process.
@Suite(.serialized) struct SegmentKeyTests {
    @Test func segmentsRoundTripAndAWrongKeyIsAClearError() throws {
        let creator = KeyPair.generate()
        let nonce = ContentKeys.newNonce()
        let plain = PaidExchangeTests.randomBytes(188 * 1000 + 7)
        let key = ContentKeys.key(creator, SegmentKeyRequest(nonce: nonce, sequence: 3))
        let iv = SegmentCipher.randomIV()
        let sealed = try SegmentCipher.encrypt(plain, key: key, iv: iv)
        #expect(sealed.count % 16 == 0 && sealed.count > plain.count && sealed != Array(plain.prefix(sealed.count)))
        #expect(try SegmentCipher.decrypt(sealed, key: key, iv: iv) == plain)
        let other = ContentKeys.key(creator, SegmentKeyRequest(nonce: nonce, sequence: 4))
        #expect(throws: PeerNodeError.self) { _ = try SegmentCipher.decrypt(sealed, key: other, iv: iv) == plain }
        #expect(throws: PeerNodeError.self) { _ = try SegmentCipher.decrypt(Array(sealed.dropLast(3)), key: key, iv: iv) }
    }

    @Test func keysNeverRepeatAcrossSegmentsStreamsOrCreators() {
        let a = KeyPair.generate(), b = KeyPair.generate()
        let nonces = (0..<3).map { _ in ContentKeys.newNonce() }
        var keys = Set<[UInt8]>(), items = Set<UInt64>()
        for creator in [a, b] {
            for nonce in nonces {
                for sequence in 0..<50 as Range<UInt64> {
                    let request = SegmentKeyRequest(nonce: nonce, sequence: sequence)
                    keys.insert(ContentKeys.key(creator, request))
                    if creator.address == a.address { items.insert(request.item) }
                }
            }
        }
        #expect(keys.count == 2 * 3 * 50)
        #expect(items.count == 3 * 50)
        // Derived again (a restart): the same key.
        let request = SegmentKeyRequest(nonce: nonces[0], sequence: 7)
        #expect(ContentKeys.key(a, request) == ContentKeys.key(try! KeyPair(secretKey: a.secretKeyBytes), request))
        #expect(SegmentKeyRequest(request.encoded) == request)
        #expect(SegmentKeyRequest(Array(request.encoded.dropLast())) == nil)
    }

    @Test func anEncryptedManifestMustNameItsMethodNonceAndIVs() throws {
        let creator = KeyPair.generate()
        let id = try StreamID(creator: creator.address, name: "paid")
        let segment = StreamManifest.Segment(sequence: 0, duration: 2, size: 32, chunks: [CID.hashing([1])],
                                             iv: String(repeating: "ab", count: 16))
        var manifest = StreamManifest(kind: .vod, stream: id, title: "t", pricePerSecond: 10, sequence: 1, ended: true,
                                      segments: [segment])
        manifest.encrypt(nonce: ContentKeys.newNonce())
        try manifest.sign(with: creator)
        let decoded = try StreamManifest.decode(manifest.encoded())
        #expect(decoded.encryption?.method == "AES-128" && decoded.version == 2 && decoded.keyNonce?.count == 16)

        var noIV = manifest
        noIV.segments[0].iv = nil
        try noIV.sign(with: creator)
        #expect(throws: PeerNodeError.self) { try StreamManifest.decode(noIV.encoded()) }
        var otherMethod = manifest
        otherMethod.encryption?.method = "SAMPLE-AES"
        try otherMethod.sign(with: creator)
        #expect(throws: PeerNodeError.self) { try StreamManifest.decode(otherMethod.encoded()) }
    }

    /// The creator's side for these tests: every segment of one stream costs `price`.
    final class Shop: SegmentKeyShop {
        let creator: KeyPair, stream: String, nonce: [UInt8], price: UInt64
        init(creator: KeyPair, stream: String, nonce: [UInt8], price: UInt64) {
            (self.creator, self.stream, self.nonce, self.price) = (creator, stream, nonce, price)
        }
        func keyOffer(stream: String, request: SegmentKeyRequest) async -> Result<(price: UInt64, key: [UInt8]), PeerNodeError> {
            guard stream == self.stream, request.nonce == nonce, request.sequence < 100 else { return .failure(.notFound("segment")) }
            return .success((price, ContentKeys.key(creator, request)))
        }
    }

    @Test func keysAreSoldForTheirVoucherOnlyAndNobodyPaysTwiceAcrossRestarts() async throws {
        let deployed = try await Localnet.shared.deployProgram()
        var seller = try await PaidExchangeTests.Node(deployed)
        var buyer = try await PaidExchangeTests.Node(deployed)
        let stream = "\(seller.key.address)/paid", nonce = ContentKeys.newNonce(), price: UInt64 = 3_000
        var shop = Shop(creator: seller.key, stream: stream, nonce: nonce, price: price)
        seller.payments.sellKeys(from: shop)
        await buyer.link(to: seller, price: 0)
        let seconds = PaymentPurpose.seconds(stream: stream)
        func request(_ n: UInt64) -> SegmentKeyRequest { SegmentKeyRequest(nonce: nonce, sequence: n) }
        var send = PeerNode.sender(buyer.exchange)

        // Bought: the right key, paid once.
        for n in 0..<3 as Range<UInt64> {
            let key = try await buyer.payments.buyKey(stream: stream, creator: seller.key.address, request: request(n), price: price, send: send)
            #expect(key == ContentKeys.key(seller.key, request(n)))
        }
        #expect(try buyer.payments.book.spent(seconds) == 3 * price)
        #expect(try seller.payments.book.sold(to: buyer.key.address, for: seconds) == 3 * price)
        // Asked again: from the book, no voucher.
        _ = try await buyer.payments.buyKey(stream: stream, creator: seller.key.address, request: request(1), price: price, send: send)
        #expect(try buyer.payments.book.spent(seconds) == 3 * price)

        // A key request whose voucher is forged, or pays less than the key, gets no key.
        let last = try #require(await buyer.payments.manager.lastVoucher(to: seller.key.address)).voucher
        let forged = Voucher(channel: last.channel, opening: last.opening, amount: last.amount + price, sequence: last.sequence + 1)
            .signed(by: KeyPair.generate())
        let refused = try #require(await buyer.exchange.sendPayment(to: seller.key.address, voucher: forged, purpose: seconds,
                                                                    note: request(5).encoded))
        #expect(!refused.error.isEmpty && refused.receipt.isEmpty && refused.accepted == 0)
        let short = try await buyer.payments.manager.pay(seller.key.address, amount: price - 1, purpose: seconds)
        let underpaid = try #require(await buyer.exchange.sendPayment(to: seller.key.address, voucher: short, purpose: seconds,
                                                                      note: request(6).encoded))
        #expect(underpaid.receipt.isEmpty && underpaid.error.contains("costs \(price)"), "\(underpaid.error)")
        // A voucher already counted (a replay) buys nothing more either.
        let replay = try #require(await buyer.exchange.sendPayment(to: seller.key.address, voucher: short, purpose: seconds,
                                                                   note: request(7).encoded))
        #expect(replay.receipt.isEmpty)
        #expect(seller.metrics.value(.segmentKeysRefused) >= 3)

        // The seller stops answering keys after the buyer paid: the buyer keeps
        // the purchase, and asking again later uses the same voucher.
        let spentBefore = try buyer.payments.book.spent(seconds)
        seller.payments.sellKeys(from: Shop(creator: seller.key, stream: "elsewhere", nonce: nonce, price: price))
        await #expect(throws: PeerNodeError.self) {
            _ = try await buyer.payments.buyKey(stream: stream, creator: seller.key.address, request: request(8), price: price, send: send)
        }
        #expect(try buyer.payments.book.spent(seconds) == spentBefore + price)

        // Both killed and started again on their data: the seller still knows
        // what was paid and sold, the buyer what it bought and paid for.
        let (sellerKey, sellerDir, buyerKey, buyerDir) = (seller.key, seller.dir, buyer.key, buyer.dir)
        await seller.close(keepingData: true); await buyer.close(keepingData: true)
        seller = try await PaidExchangeTests.Node(deployed, funded: false, reuse: (sellerKey, sellerDir))
        buyer = try await PaidExchangeTests.Node(deployed, funded: false, reuse: (buyerKey, buyerDir))
        shop = Shop(creator: sellerKey, stream: stream, nonce: nonce, price: price)
        seller.payments.sellKeys(from: shop)
        await buyer.link(to: seller, price: 0)
        send = PeerNode.sender(buyer.exchange)
        let eight = try await buyer.payments.buyKey(stream: stream, creator: sellerKey.address, request: request(8), price: price, send: send)
        #expect(eight == ContentKeys.key(sellerKey, request(8)))
        #expect(try buyer.payments.book.spent(seconds) == spentBefore + price, "segment 8 was paid for once")
        // The short voucher (price - 1) bought nothing: a key is sold whole,
        // and what it paid stays counted for the next keys.
        let paid = try seller.payments.book.paid(by: buyerKey.address, for: seconds)
        let sold = try seller.payments.book.sold(to: buyerKey.address, for: seconds)
        #expect(paid == 5 * price - 1 && sold == 4 * price, "paid \(paid), sold \(sold)")
        #expect(try await buyer.payments.buyKey(stream: stream, creator: sellerKey.address, request: request(0), price: price, send: send)
                == ContentKeys.key(sellerKey, request(0)))
        #expect(try buyer.payments.book.spent(seconds) == spentBefore + price)
        withExtendedLifetime(shop) {}
        await seller.close(); await buyer.close()
    }
}
