import Identity

/// Peers this node knows how to reach: signed records (from HELLO, peer
/// exchange and the peers topic) and the bootstrap peers from config, with
/// dial back-off. Bounded: beyond `capacity` the entry least worth keeping
/// (not a bootstrap, most failed dials, longest unseen) is evicted.
struct PeerTable {
    struct Entry {
        var address: Address
        var record: SignedPeerRecord?
        var endpoints: [String]
        var isBootstrap: Bool
        var failures = 0
        var nextDial: UInt64 = 0
        var lastSeen: UInt64
        /// Which of `endpoints` to dial: a peer on several interfaces (or
        /// behind a public address and a private one) is tried on each in
        /// turn, and the one that worked is kept.
        var current = 0

        var dialEndpoint: String? { endpoints.isEmpty ? nil : endpoints[current % endpoints.count] }
    }

    private(set) var entries: [Address: Entry] = [:]
    let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    var count: Int { entries.count }

    subscript(_ address: Address) -> Entry? { entries[address] }

    mutating func addBootstrap(_ peer: BootstrapPeer, now: UInt64) {
        if entries[peer.address] == nil {
            entries[peer.address] = Entry(address: peer.address, record: nil, endpoints: [peer.endpoint],
                                          isBootstrap: true, lastSeen: now)
        } else {
            entries[peer.address]?.isBootstrap = true
        }
    }

    /// Adds or refreshes a verified record; returns true when it was new or newer.
    @discardableResult
    mutating func upsert(_ signed: SignedPeerRecord, now: UInt64, protecting: Set<Address>) -> Bool {
        let address = signed.record.address
        if var entry = entries[address] {
            if let old = entry.record, old.record.seq >= signed.record.seq { return false }
            entry.record = signed
            if !signed.record.endpoints.isEmpty, entry.endpoints != signed.record.endpoints {
                entry.endpoints = signed.record.endpoints
                entry.current = 0
            }
            entry.lastSeen = now
            entries[address] = entry
            return true
        }
        guard !signed.record.endpoints.isEmpty else { return false }
        entries[address] = Entry(address: address, record: signed, endpoints: signed.record.endpoints,
                                 isBootstrap: false, lastSeen: now)
        evict(protecting: protecting.union([address]))
        return true
    }

    mutating func remove(_ address: Address) { entries[address] = nil }

    mutating func dialFailed(_ address: Address, now: UInt64, base: Double, cap: Double) {
        guard var entry = entries[address] else { return }
        entry.current += 1
        entry.failures += 1
        let delay = min(cap, base * Double(1 << min(entry.failures - 1, 20)))
        // Spread redials so peers that failed together do not retry together.
        entry.nextDial = now + UInt64(delay * Double.random(in: 0.75...1.25) * 1e9)
        entries[address] = entry
    }

    /// Resets the back-off; returns the failed dials it had counted.
    @discardableResult
    mutating func connected(_ address: Address, now: UInt64) -> Int {
        let failures = entries[address]?.failures ?? 0
        entries[address]?.failures = 0
        entries[address]?.nextDial = 0
        entries[address]?.lastSeen = now
        return failures
    }

    /// Peers worth dialing now: not excluded, back-off elapsed, fewest failures first.
    func dialCandidates(now: UInt64, excluding: Set<Address>, limit: Int) -> [Entry] {
        let ready = entries.values.filter { !excluding.contains($0.address) && $0.nextDial <= now && !$0.endpoints.isEmpty }
        return Array(ready.shuffled().sorted { $0.failures < $1.failures }.prefix(limit))
    }

    /// Signed records to hand out in peer exchange.
    func records(among addresses: [Address], limit: Int) -> [SignedPeerRecord] {
        Array(addresses.shuffled().compactMap { entries[$0]?.record }.prefix(limit))
    }

    private mutating func evict(protecting: Set<Address>) {
        var guardCount = 0
        while entries.count > capacity && guardCount < 16 {
            guardCount += 1
            let victim = entries.values.filter { !$0.isBootstrap && !protecting.contains($0.address) }
                .max { ($0.failures, UInt64.max - $0.lastSeen) < ($1.failures, UInt64.max - $1.lastSeen) }
            guard let victim else { return }
            entries[victim.address] = nil
        }
    }
}
