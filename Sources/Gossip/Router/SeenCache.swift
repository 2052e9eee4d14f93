import Identity

/// Ids of messages this node has accepted, for `ttl` (two minutes by
/// default): a message is verified once, and every later copy is a cheap
/// duplicate. Only verified messages enter, so a forged copy of an id can
/// never shadow the genuine one. Also remembers who sent each id, to catch
/// a peer that repeats the same message (a duplicate flood).
struct SeenCache {
    struct Entry {
        var expires: UInt64
        /// Peers that sent this id and how often; bounded.
        var senders: [(Address, Int)]
    }

    static let maxSendersPerEntry = 16

    private var entries: [MessageID: Entry] = [:]
    private var order: [(id: MessageID, expires: UInt64)] = []
    private var head = 0
    let ttl: UInt64

    init(ttlSeconds: Double) { ttl = UInt64(ttlSeconds * 1e9) }

    var count: Int { entries.count }

    func contains(_ id: MessageID) -> Bool { entries[id] != nil }

    mutating func insert(_ id: MessageID, from sender: Address?, now: UInt64) {
        guard entries[id] == nil else { return }
        let expires = now + ttl
        entries[id] = Entry(expires: expires, senders: sender.map { [($0, 1)] } ?? [])
        order.append((id, expires))
    }

    /// Records another copy of a known id from `sender`; returns how many
    /// times that peer has now sent it.
    mutating func noteDuplicate(_ id: MessageID, from sender: Address) -> Int {
        guard var entry = entries[id] else { return 1 }
        var times = 1
        if let i = entry.senders.firstIndex(where: { $0.0 == sender }) {
            entry.senders[i].1 += 1
            times = entry.senders[i].1
        } else if entry.senders.count < Self.maxSendersPerEntry {
            entry.senders.append((sender, 1))
        }
        entries[id] = entry
        return times
    }

    /// Whether `peer` is known to have this message (no need to forward it back).
    func hasSent(_ id: MessageID, _ peer: Address) -> Bool {
        entries[id]?.senders.contains(where: { $0.0 == peer }) ?? false
    }

    /// Forgets ids older than the TTL; the queue is in insertion order, so
    /// this stops at the first live one.
    mutating func expire(now: UInt64) {
        while head < order.count, order[head].expires <= now {
            if let e = entries[order[head].id], e.expires <= now { entries[order[head].id] = nil }
            head += 1
        }
        if head > 4096 && head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }
}
