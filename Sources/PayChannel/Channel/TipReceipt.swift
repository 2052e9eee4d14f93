import Crypto
import Foundation
import Identity
import Solana

/// A creator's signed word that it accepted a tip, so that any node can
/// highlight the tip's chat line knowing only the creator's address (the
/// first part of the stream id). A voucher alone cannot prove a tip to a
/// third party: it is cumulative, and only the payee knows the previous one.
///
/// The creator signs, in domain `peernode/tip-receipt/1`: the stream id
/// (length-prefixed), the tipper's address, the amount (u64 LE) and the
/// SHA-256 of the chat text. In chat it travels as the tip reference
/// `tip1:<amount>:<base64url signature>`.
public struct TipReceipt: Sendable, Equatable {
    public static let domain = SigningDomain("peernode/tip-receipt/1")
    static let referencePrefix = "tip1:"

    public var stream: String
    public var tipper: Address
    public var amount: UInt64
    public var textHash: [UInt8]
    public var signature: [UInt8]

    public init(stream: String, tipper: Address, amount: UInt64, textHash: [UInt8], signature: [UInt8]) {
        self.stream = stream
        self.tipper = tipper
        self.amount = amount
        self.textHash = textHash
        self.signature = signature
    }

    public static func textHash(_ text: String) -> [UInt8] { Array(SHA256.hash(data: Array(text.utf8))) }

    static func signedBytes(stream: String, tipper: Address, amount: UInt64, textHash: [UInt8]) -> [UInt8] {
        var w = ByteWriter(capacity: 2 + stream.utf8.count + 32 + 8 + 32)
        w.u16(UInt16(clamping: stream.utf8.count))
        w.append(stream.utf8)
        w.append(tipper.bytes)
        w.u64(amount)
        w.append(textHash)
        return w.bytes
    }

    /// The creator's side: sign a receipt for a tip it accepted.
    public static func sign(stream: String, tipper: Address, amount: UInt64, textHash: [UInt8],
                            creator: KeyPair) -> TipReceipt {
        let bytes = signedBytes(stream: stream, tipper: tipper, amount: amount, textHash: textHash)
        return TipReceipt(stream: stream, tipper: tipper, amount: amount, textHash: textHash,
                          signature: creator.sign(bytes, domain: domain))
    }

    /// Whether `creator` signed this receipt.
    public func isSigned(by creator: Address) -> Bool {
        guard signature.count == 64, textHash.count == 32 else { return false }
        return creator.verifies(signature: signature,
                                message: Self.signedBytes(stream: stream, tipper: tipper, amount: amount, textHash: textHash),
                                domain: Self.domain)
    }

    /// The chat tip reference (at most 5 + 20 + 1 + 86 = 112 bytes).
    public var reference: String {
        let b64 = Data(signature).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return "\(Self.referencePrefix)\(amount):\(b64)"
    }

    /// Rebuilds a receipt from a chat line's context and its tip reference;
    /// nil when the reference is not a tip receipt at all. Check it with
    /// `isSigned(by:)` before believing it.
    public static func parse(reference: String, stream: String, author: Address, text: String) -> TipReceipt? {
        guard reference.hasPrefix(referencePrefix) else { return nil }
        let parts = reference.dropFirst(referencePrefix.count).split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let amount = UInt64(parts[0]) else { return nil }
        var b64 = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        guard let sig = Data(base64Encoded: b64), sig.count == 64 else { return nil }
        return TipReceipt(stream: stream, tipper: author, amount: amount, textHash: textHash(text), signature: Array(sig))
    }
}
