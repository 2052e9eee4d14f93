import Foundation
import Gossip
import Identity
import PayChannel

/// Chunks, both ways, per peer in the manner of Swarm's accounting: the
/// exchange's view of the money (ExchangeAccounting). We serve on credit up
/// to the disconnect threshold and refuse past it; we pay our debt to a peer
/// once it reaches the early-payment point, with a voucher the exchange
/// carries on its next request to that peer (or sends on its own).
extension NodePayments {
    // MARK: Payer side: chunks

    public func mayUse(_ peer: Address, price: UInt64) -> Bool {
        guard price > 0 else { return true }
        if let max = limits.maxPricePerChunk, price > max { return false }
        return true
    }

    public func received(from peer: Address, price: UInt64, for account: String?) {
        state.withLock { s in
            s.chunkLedger[peer, default: (0, 0, 0)].received &+= price
            if let account { s.chunkSpend[account, default: 0] &+= price }
        }
        if accounting.recordReceived(from: peer, price: price) != nil { payChunks(to: peer) }
    }

    public func paymentProblem(with peer: Address) -> String? { state.withLock { $0.problems[peer] } }

    public func refused(by peer: Address, owed: UInt64) {
        // What the peer says we owe is its balance when it refused: our
        // chunks received and not yet paid, plus vouchers we signed that it
        // had not credited yet (they may be a moment behind), plus chunks it
        // sent that never reached us. Only the first is ours to pay. The one
        // debt we cannot count ourselves is what we owed before our own
        // restart (soft state): that is taken from the peer's word once, the
        // first time it refuses us in this run, if we have had no dealings
        // with it since we started, and never beyond one payment threshold.
        // Every later refusal (a stale one that crossed our payment, or one
        // while we could not pay) pays our own count and nothing more: booking
        // the peer's figure each time made a viewer that ran dry overpay by
        // about 20% once it was funded.
        let ours = accounting.debt(to: peer)
        let firstWord = state.withLock { s -> Bool in
            guard s.chunkLedger[peer] == nil else { return false }
            s.chunkLedger[peer] = (0, 0, 0)
            return true
        }
        if firstWord, ours == 0, accounting.balance(peer) == 0 {
            let believed = min(owed, accounting.config.paymentThreshold)
            if believed > 0 {
                logger.notice("a peer says we owe it from before our restart; paying it that once",
                              metadata: ["peer": "\(peer)", "owed": "\(owed)", "booked": "\(believed)"])
                _ = accounting.recordReceived(from: peer, price: believed)
                state.withLock { $0.chunkLedger[peer, default: (0, 0, 0)].allowance = believed }
            }
        }
        payChunks(to: peer, wholeDebt: true)
    }

    /// Pays our whole debt to `peer` once it reaches the early-payment point
    /// (one payment at a time per peer; a debt that grew meanwhile past that
    /// point is paid in the next round). `wholeDebt`: pay whatever we owe,
    /// because the peer refuses to serve us until we do.
    private func payChunks(to peer: Address, wholeDebt: Bool = false) {
        guard !neverPay else { return }
        let start = state.withLock { $0.paying.insert(peer).inserted }
        guard start else { return }
        Task {
            var paid = true
            for round in 0..<8 {
                let debt = accounting.debt(to: peer)
                guard debt >= accounting.config.earlyPaymentAt || (wholeDebt && round == 0 && debt > 0) else { break }
                guard withinReceived(peer, paying: debt) else { paid = false; break }
                // Urgent when the peer refuses us until it arrives.
                guard let voucher = try? await sign(peer, amount: debt, purpose: .chunks) else { paid = false; break }
                deliver(DueVoucher(peer: peer, voucher: voucher, purpose: .chunks, urgent: wholeDebt))
                accounting.recordPaid(to: peer, amount: debt)
                state.withLock { $0.chunkLedger[peer, default: (0, 0, 0)].paid &+= debt }
            }
            state.withLock { _ = $0.paying.remove(peer) }
            // A chunk that arrived just as we finished found us busy: look again.
            if paid, accounting.debt(to: peer) >= accounting.config.earlyPaymentAt { payChunks(to: peer) }
        }
    }

    /// The invariant every chunk payment is checked against before it is
    /// signed: nobody pays for what it did not receive, beyond the old debt
    /// taken on the payee's word once after a restart. A payment that would
    /// break it is not made (and said loudly: it is a bug).
    private func withinReceived(_ peer: Address, paying amount: UInt64) -> Bool {
        let ledger = state.withLock { $0.chunkLedger[peer] ?? (0, 0, 0) }
        guard ledger.paid &+ amount <= ledger.received &+ ledger.allowance else {
            logger.error("refusing to pay for chunks not received (a bug in the accounting)", metadata: [
                "peer": "\(peer)", "paying": "\(amount)", "paid": "\(ledger.paid)", "received": "\(ledger.received)",
                "allowance": "\(ledger.allowance)"])
            return false
        }
        return true
    }

    /// What this run received from and paid to each peer for chunks (tests check the invariant too).
    public func chunkLedger(_ peer: Address) -> (received: UInt64, paid: UInt64, allowance: UInt64) {
        state.withLock { $0.chunkLedger[peer] ?? (0, 0, 0) }
    }

    /// Signs a voucher adding `amount` (opening or topping up the channel as
    /// needed) and queues it for delivery.

    // MARK: Payee side

    public func credit(_ voucher: SignedVoucher, from peer: Address) async {
        await accept(voucher, from: peer, purpose: .chunks)
    }

    public func admit(_ peer: Address?) -> PaymentRefusal? {
        guard pricePerChunk > 0 else { return nil }
        guard let peer else {
            return PaymentRefusal(owed: 0, reason: "this node charges \(pricePerChunk) per chunk and does not know who is asking (no HELLO)")
        }
        do { try accounting.debitForService(peer, price: pricePerChunk) } catch {
            return PaymentRefusal(owed: UInt64(max(0, accounting.balance(peer))), reason: "\(error)")
        }
        return nil
    }

    public var forwardsForOthers: Bool { pricePerChunk > 0 }

    public func notServed(_ peer: Address) {
        if pricePerChunk > 0 { accounting.refundService(peer, price: pricePerChunk) }
    }

    public func receive(_ voucher: SignedVoucher, purpose bytes: [UInt8], note: [UInt8],
                        from peer: Address) async -> PaymentAnswer {
        let purpose: PaymentPurpose
        do { purpose = try PaymentPurpose(decoding: bytes[...]) } catch { return .failed("bad purpose: \(error)") }
        if let stream = purpose.stream {
            guard let id = try? StreamID(stream), id.creator == identity.address else {
                return .failed("\(stream) is not a stream of this node (\(identity.address))")
            }
        }
        if case .seconds(let stream) = purpose, let request = SegmentKeyRequest(note) {
            return await sellKey(voucher, stream: stream, request: request, from: peer)
        }
        let accepted: UInt64
        do { accepted = try await acceptOrThrow(voucher, from: peer, purpose: purpose) } catch {
            return .failed("\(error)")
        }
        var receipt: [UInt8] = []
        if case .tip(let stream) = purpose, let tip = TipNote(note), let hash = tip.textHash {
            // The voucher's increment may also cover earlier payments that had
            // not arrived yet; the receipt vouches for the tip alone.
            guard accepted >= tip.amount else {
                return PaymentAnswer(accepted: accepted, receipt: [], error: "the voucher brings \(accepted) lamports, less than the tip of \(tip.amount)")
            }
            receipt = TipReceipt.sign(stream: stream, tipper: peer, amount: tip.amount, textHash: hash,
                                      creator: identity).signature
        }
        return PaymentAnswer(accepted: accepted, receipt: receipt, error: "")
    }

    private func accept(_ voucher: SignedVoucher, from peer: Address, purpose: PaymentPurpose) async {
        _ = try? await acceptOrThrow(voucher, from: peer, purpose: purpose)
    }

    /// `expected`: the voucher's own increment when we know it (a key's
    /// price); more than that pays for earlier chunks (collector.accept).
    func acceptOrThrow(_ voucher: SignedVoucher, from peer: Address, purpose: PaymentPurpose,
                       expected: UInt64? = nil) async throws -> UInt64 {
        do {
            let (new, asChunks) = try await collector.accept(voucher, from: peer, purpose: purpose, expected: expected)
            if new > 0 {
                if purpose == .chunks { accounting.creditPayment(from: peer, amount: new) }
                if asChunks > 0 { accounting.creditPayment(from: peer, amount: asChunks) }
                metrics.add(.vouchersAccepted)
                metrics.add(.lamportsEarned, new)
            }
            return new
        } catch PaymentError.voucher(.notIncreasing), PaymentError.voucher(.sequenceNotIncreasing) {
            // A voucher overtaken by a newer one (two requests in flight):
            // vouchers are cumulative, so the newer one already paid for it,
            // under the newer one's purpose; this one says what part was for
            // its own (a key's price, not chunks).
            if let moved = try? await collector.attributeLate(voucher, from: peer, purpose: purpose) {
                if moved.from == .chunks { accounting.uncreditPayment(from: peer, amount: moved.amount) }
                if purpose == .chunks { accounting.creditPayment(from: peer, amount: moved.amount) }
            }
            return 0
        } catch {
            metrics.add(.vouchersRejected)
            logger.warning("voucher refused", metadata: ["peer": "\(peer)", "error": "\(error)"])
            throw error
        }
    }

}
