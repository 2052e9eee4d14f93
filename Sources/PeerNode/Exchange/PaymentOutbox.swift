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

    mutating func add(_ due: DueVoucher, now: Date = Date()) {
        var due = due
        // One that replaces an urgent voucher is urgent too: it pays what that one did.
        if entries[due.peer]?.due.urgent == true { due.urgent = true }
        entries[due.peer] = Entry(due: due, since: entries[due.peer]?.since ?? now)
    }

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
