import Identity
import Transport

extension GossipNode {
    /// The signed peer records of the peers with a live link (what each
    /// said about itself in HELLO): endpoints, prices and capabilities.
    public func connectedPeerRecords() -> [PeerRecord] {
        peers.values.compactMap { $0.record?.record }.sorted { $0.address < $1.address }
    }
}

extension GossipNode {
    /// The newest signed record we hold of `address` (linked or only heard
    /// of through peer exchange), to reach a peer we have no link with.
    public func peerRecord(of address: Address) -> PeerRecord? {
        peers[address]?.record?.record ?? table[address]?.record?.record
    }

    /// The gossip endpoint of `address` that we dial (or last dialled with
    /// success), among those its record lists: the peer's other services
    /// are best reached on the same host address.
    public func dialEndpoint(of address: Address) -> String? { table[address]?.dialEndpoint }

    /// The signed record of `address` as it travels (ours included), for a
    /// peer that asks who `address` is; nil when we do not know it.
    public func signedRecordWire(of address: Address) -> [UInt8]? {
        if address == self.address { return ownRecord.wire }
        return (peers[address]?.record ?? table[address]?.record)?.wire
    }

    /// A signed record learnt outside gossip (a peer lookup through another
    /// service): verified, and kept like one from peer exchange. True when
    /// it is a valid record of `expected`.
    @discardableResult
    public func learnRecord(_ wire: [UInt8], of expected: Address) -> Bool {
        guard isNewRecord(wire) else { return SignedPeerRecord.unverifiedRecord(wire)?.address == expected }
        guard let signed = try? SignedPeerRecord(wire: wire), signed.record.address == expected,
              expected != address, !isBlocked(expected) else { return false }
        table.upsert(signed, now: monotonicNanos(), protecting: Set(peers.keys))
        return true
    }
}
