import Crypto
import CryptoExtras
import Foundation
import Identity
import Transport

/// Paid streams are encrypted per segment in HLS's own AES-128 method
/// (RFC 8216 §4.3.2.4: AES-128-CBC over the whole segment, PKCS#7 padding,
/// an explicit IV), so the ciphertext is an ordinary encrypted HLS segment
/// that ffmpeg and players know. Relays and fellow viewers store and serve
/// the ciphertext like any chunk; only the creator can make the keys, and its
/// node sells each one against the per-second voucher that pays for that
/// segment (docs/stream-encryption.md). `package`: the paid-playback
/// benchmark measures decryption against verification.
package enum SegmentCipher {
    static let method = "AES-128"
    static let keyBytes = 16
    static let ivBytes = 16

    static func encrypt(_ plaintext: [UInt8], key: [UInt8], iv: [UInt8]) throws(PeerNodeError) -> [UInt8] {
        do {
            return Array(try AES._CBC.encrypt(plaintext, using: SymmetricKey(data: key), iv: AES._CBC.IV(ivBytes: iv)))
        } catch {
            throw .badRequest("cannot encrypt a segment: \(error)")
        }
    }

    /// Fails (a clear error, never garbage) on a wrong key: the padding does not check out.
    package static func decrypt(_ ciphertext: [UInt8], key: [UInt8], iv: [UInt8]) throws(PeerNodeError) -> [UInt8] {
        guard key.count == keyBytes, iv.count == ivBytes, !ciphertext.isEmpty, ciphertext.count % 16 == 0 else {
            throw .badManifest("an encrypted segment of \(ciphertext.count) bytes, key \(key.count), IV \(iv.count): not AES-128-CBC")
        }
        do {
            return Array(try AES._CBC.decrypt(ciphertext, using: SymmetricKey(data: key), iv: AES._CBC.IV(ivBytes: iv)))
        } catch {
            throw .badManifest("the segment does not decrypt with the key the creator sold (\(error))")
        }
    }

    static func randomIV() -> [UInt8] { randomBytes(ivBytes) }
}

/// A viewer's request for one segment's key, carried as the note of a PAY
/// frame whose purpose is the stream's seconds: the publication's key nonce
/// (16 bytes) and the segment's media sequence (u64 big-endian).
struct SegmentKeyRequest: Equatable, Sendable {
    static let size = 24
    var nonce: [UInt8]
    var sequence: UInt64

    var encoded: [UInt8] {
        var w = WireWriter(capacity: Self.size)
        w.fixed(nonce)
        w.u64(sequence)
        return w.bytes
    }

    init(nonce: [UInt8], sequence: UInt64) {
        self.nonce = nonce
        self.sequence = sequence
    }

    init?(_ note: [UInt8]) {
        guard note.count == Self.size else { return nil }
        var r = WireReader(note)
        guard let nonce = try? r.fixed(16, "key nonce"), let sequence = try? r.u64("segment") else { return nil }
        self.nonce = nonce
        self.sequence = sequence
    }

    /// The purchase's number in the voucher books (VoucherBook+Sales.swift):
    /// one per publication and segment, so a stream published again under
    /// the same name never reuses a key bought for the old one.
    var item: UInt64 {
        let digest = SHA256.hash(data: encoded)
        return digest.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }
}

/// The creator's keys: derived from its identity (KeyPair.derivedSecret)
/// for each publication's random nonce and segment, so they never repeat
/// across segments or streams, survive any restart, and a recording of a
/// live stream (same nonce, same sequences) keeps them.
enum ContentKeys {
    static let domain = SigningDomain("peernode/segment-key/1")

    static func key(_ identity: KeyPair, _ request: SegmentKeyRequest) -> [UInt8] {
        identity.derivedSecret(domain: domain, context: request.encoded, count: SegmentCipher.keyBytes)
    }

    static func newNonce() -> [UInt8] { randomBytes(16) }
}

/// Bytes from the system's cryptographic generator.
func randomBytes(_ count: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
}
