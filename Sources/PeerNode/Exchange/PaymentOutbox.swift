import Foundation
import Identity
import PayChannel

/// Vouchers on their way to payees: the one place a payment waits, owned by
/// the exchange, which is the one that sends every payment frame. A chunk
/// voucher rides with the next GET to its payee (paying costs no extra
/// round trip); one that no request carries within `soloDelay` goes in its
/// own PAY frame, and so does an urgent one (its payee refuses to serve
/// until it arrives). Vouchers are cumulative, so a newer one to the same
/// payee replaces the older: it pays for both.
struct PaymentOutbox {
    struct Entry {
        var due: DueVoucher
        var since: Date
    }

    private(set) var entries: [Address: Entry] = [:]

    /// Returns the voucher it replaced when that one paid for something
    /// else: it must still be sent (late is fine), or the payee would book
    /// its money under the newer one's purpose.
    @discardableResult
    mutating func add(_ due: DueVoucher, now: Date = Date()) -> DueVoucher? {
        var due = due
        let replaced = entries[due.peer]
        // One that replaces an urgent voucher is urgent too: it pays what that one did.
        if replaced?.due.urgent == true { due.urgent = true }
        entries[due.peer] = Entry(due: due, since: replaced?.since ?? now)
        return replaced.flatMap { $0.due.purpose != due.purpose ? $0.due : nil }
    }

    /// A voucher a GET carried that got no answer goes back, unless a newer one is waiting.
    mutating func putBack(_ voucher: SignedVoucher, to peer: Address) {
        guard entries[peer] == nil else { return }
        entries[peer] = Entry(due: DueVoucher(peer: peer, voucher: voucher, purpose: .chunks, urgent: true), since: Date())
    }

    /// The voucher waiting for `peer`, if any.
    func waiting(for peer: Address) -> DueVoucher? { entries[peer]?.due }

    /// The chunk voucher to ride with a GET to `peer`, taken out.
    mutating func take(for peer: Address) -> SignedVoucher? {
        guard let entry = entries[peer], entry.due.purpose == .chunks else { return nil }
        entries[peer] = nil
        return entry.due.voucher
    }

    /// Those to send on their own now: urgent ones, and any older than `soloDelay`.
    func ready(soloDelay: Double, now: Date = Date()) -> [DueVoucher] {
        entries.values.filter { $0.due.urgent || now.timeIntervalSince($0.since) >= soloDelay }.map(\.due)
            .sorted { $0.peer < $1.peer }
    }

    /// `voucher` reached its payee (it answered): done with it, unless a newer one replaced it meanwhile.
    mutating func delivered(_ voucher: SignedVoucher, to peer: Address) {
        if entries[peer]?.due.voucher == voucher { entries[peer] = nil }
    }

    /// Sends the entry for `peer` with the next pass, whatever its age.
    mutating func hurry(_ peer: Address) { entries[peer]?.due.urgent = true }
}
