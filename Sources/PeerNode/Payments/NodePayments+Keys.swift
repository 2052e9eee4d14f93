import Identity
import PayChannel

/// Segment keys of paid streams, bought and sold against per-second vouchers
/// (docs/stream-encryption.md). A key request is a PAY frame whose purpose is
/// the stream's seconds and whose note is a SegmentKeyRequest; the answer's
/// receipt is the key. Both sides record the purchase in the voucher book in
/// the transaction that moves the money (VoucherBook+Sales.swift).
extension NodePayments {
    /// The key of one segment: from the book when bought before (across
    /// restarts), else paid for now (or with the voucher already recorded
    /// for it, when an earlier try got no answer) and asked of the creator.
    /// `send`: asks the creator with the voucher (the exchange's).
    func buyKey(stream: String, creator: Address, request: SegmentKeyRequest, price: UInt64,
                send: @escaping PaymentSender) async throws(PeerNodeError) -> [UInt8] {
        let purpose = PaymentPurpose.seconds(stream: stream)
        if let bought = try? book.purchase(purpose, item: request.item), let key = bought.goods { return key }
        guard !neverPay else { throw .paymentRequired("this node never pays (faultNeverPay), so it gets no key for \(stream)") }
        let paid: Result<SignedVoucher, PeerNodeError> = await serially(creator) {
            if let bought = try? self.book.purchase(purpose, item: request.item) {
                return .success(bought.voucher.signed(by: self.identity))
            }
            do { return .success(try await self.sign(creator, amount: price, purpose: purpose, item: request.item)) } catch {
                return .failure(.paymentRequired("cannot pay \(price) lamports for the key of segment \(request.sequence) of \(stream): \(Self.reason(error))"))
            }
        }
        let voucher = try paid.get()
        guard let answer = await send(DueVoucher(peer: creator, voucher: voucher, purpose: purpose), request.encoded) else {
            throw .unavailable("the creator's node \(creator) did not answer for the key of segment \(request.sequence) of \(stream); it is paid for and asked for again on the next try")
        }
        guard answer.error.isEmpty else {
            throw .paymentRequired("the creator sold no key for segment \(request.sequence) of \(stream): \(answer.error)")
        }
        guard answer.receipt.count == SegmentCipher.keyBytes else {
            throw .unavailable("the creator's node answered a key of \(answer.receipt.count) bytes for segment \(request.sequence)")
        }
        do { try book.completePurchase(purpose, item: request.item, goods: answer.receipt) } catch {
            logger.warning("a bought key was not stored; it is asked for again (for nothing) next time",
                           metadata: ["stream": "\(stream)", "error": "\(error)"])
        }
        metrics.add(.segmentKeysBought)
        return answer.receipt
    }

    /// The creator's side of a key request: the voucher is taken first (it
    /// counts whatever happens next), then the key is handed over when what
    /// this payer paid for the stream's seconds covers it and every key sold
    /// to it before.
    func sellKey(_ voucher: SignedVoucher, stream: String, request: SegmentKeyRequest,
                 from peer: Address) async -> PaymentAnswer {
        let purpose = PaymentPurpose.seconds(stream: stream)
        // The offer first: its price is what this voucher should bring (more
        // pays for earlier chunk vouchers it overtook).
        let found = await keyShop?.keyOffer(stream: stream, request: request)
        let price: UInt64? = if case .success(let offer) = found { offer.price } else { nil }
        let accepted: UInt64
        do { accepted = try await acceptOrThrow(voucher, from: peer, purpose: purpose, expected: price) } catch {
            metrics.add(.segmentKeysRefused)
            return .failed("\(error)")
        }
        let offer: (price: UInt64, key: [UInt8])
        switch found {
        case .success(let known)?: offer = known
        case .failure(let why)?:
            metrics.add(.segmentKeysRefused)
            return PaymentAnswer(accepted: accepted, receipt: [], error: "\(why)")
        case nil:
            metrics.add(.segmentKeysRefused)
            return PaymentAnswer(accepted: accepted, receipt: [], error: "this node sells no keys now (starting or stopping)")
        }
        let sale: VoucherBook.Sale
        do { sale = try book.sell(request.item, of: purpose, to: voucher.payer, price: offer.price) } catch {
            metrics.add(.segmentKeysRefused)
            return PaymentAnswer(accepted: accepted, receipt: [], error: "\(error)")
        }
        switch sale {
        case .sold, .alreadySold:
            metrics.add(.segmentKeysSold)
            return PaymentAnswer(accepted: accepted, receipt: offer.key, error: "")
        case .unpaid(let paid, let sold, let price):
            metrics.add(.segmentKeysRefused)
            return PaymentAnswer(accepted: accepted, receipt: [], error:
                "the key of segment \(request.sequence) costs \(price) lamports; \(voucher.payer) paid \(paid) for \(stream) and bought keys for \(sold): send a voucher that pays for it")
        }
    }
}

extension NodePayments {
    /// What `sign` said, without the error's own label.
    static func reason(_ error: any Error) -> String {
        if case .paymentRequired(let why)? = error as? PeerNodeError { return why }
        return "\(error)"
    }
}

/// Where the creator's node finds what a key costs and the key itself
/// (PeerNode, which holds its manifests); nil while it has none.
protocol SegmentKeyShop: AnyObject, Sendable {
    func keyOffer(stream: String, request: SegmentKeyRequest) async -> Result<(price: UInt64, key: [UInt8]), PeerNodeError>
}
