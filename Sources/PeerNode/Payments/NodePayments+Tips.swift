import Foundation
import Gossip
import Identity
import PayChannel

/// Tips: paid to a stream's creator at once, acknowledged with a receipt
/// (the creator's signature) that any node can check before it highlights
/// the chat line (docs/payments.md, "Tips").
extension NodePayments {

    public struct TipResult: Sendable, Codable {
        public let stream: String
        public let amount: UInt64
        /// What the creator acknowledged (at least `amount`).
        public let accepted: UInt64
        public let channel: String
        /// The chat tip reference (`tip1:...`) when a message went with it.
        public let reference: String?
    }

    /// Pays the creator `amount` now and waits for its receipt (needed to
    /// highlight the chat line, which the caller then sends).
    /// `send`: delivers the voucher now (the exchange's), or keeps it for later.
    func tip(stream: StreamID, amount: UInt64, message: String?, send: @escaping PaymentSender) async throws(PeerNodeError) -> TipResult {
        guard amount > 0 else { throw .badRequest("a tip must be above 0 lamports") }
        guard stream.creator != identity.address else { throw .badRequest("you cannot tip your own stream") }
        let purpose = PaymentPurpose.tip(stream: stream.description)
        let note = TipNote(amount: amount, textHash: message.map(TipReceipt.textHash)).encoded
        let sent: Result<(SignedVoucher, PaymentAnswer?), PeerNodeError> = await serially(stream.creator) {
            let voucher: SignedVoucher
            do { voucher = try await self.sign(stream.creator, amount: amount, purpose: purpose) } catch {
                return .failure(error as? PeerNodeError ?? .paymentRequired("\(error)"))
            }
            // Unanswered, it is delivered later: it stays paid.
            let answer = await send(DueVoucher(peer: stream.creator, voucher: voucher, purpose: purpose), note)
            return .success((voucher, answer))
        }
        let (voucher, reply) = try sent.get()
        guard let answer = reply else {
            throw .unavailable("the tip is paid (voucher \(voucher.voucher.amount) on \(voucher.voucher.channel)) but the creator's node did not answer; it will be delivered when it is reachable")
        }
        guard answer.error.isEmpty else { throw .paymentRequired("the creator refused the tip: \(answer.error)") }
        var reference: String?
        if let message {
            let receipt = TipReceipt(stream: stream.description, tipper: identity.address, amount: amount,
                                     textHash: TipReceipt.textHash(message), signature: answer.receipt)
            guard receipt.isSigned(by: stream.creator) else {
                throw .unavailable("the creator accepted the tip but its receipt does not verify; the chat line was not sent")
            }
            reference = receipt.reference
        }
        return TipResult(stream: stream.description, amount: amount, accepted: answer.accepted,
                         channel: voucher.voucher.channel.base58, reference: reference)
    }

}
