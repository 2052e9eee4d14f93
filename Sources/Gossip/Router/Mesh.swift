import Identity

/// The per-topic overlay of gossipsub v1.1: the mesh (full messages flow to
/// these peers), fanout (peers for topics we publish to without joining),
/// and prune back-off. Pure state; the node sends the GRAFT/PRUNE frames.
struct MeshState {
    var mesh: [Topic: Set<Address>] = [:]
    var fanout: [Topic: Set<Address>] = [:]
    var fanoutLastPublished: [Topic: UInt64] = [:]
    var backoff: [Topic: [Address: UInt64]] = [:]

    func inBackoff(_ topic: Topic, _ peer: Address, now: UInt64) -> Bool {
        (backoff[topic]?[peer] ?? 0) > now
    }

    mutating func addBackoff(_ topic: Topic, _ peer: Address, until: UInt64) {
        backoff[topic, default: [:]][peer] = max(until, backoff[topic]?[peer] ?? 0)
    }

    mutating func removePeer(_ peer: Address) {
        for topic in mesh.keys { mesh[topic]?.remove(peer) }
        for topic in fanout.keys { fanout[topic]?.remove(peer) }
    }

    /// One topic's heartbeat: drop gone or negative-score peers, graft up to
    /// D when below D_lo, trim to D (keeping the best D_score) above D_hi.
    mutating func maintain(_ topic: Topic, candidates: [Address], score: (Address) -> Double,
                           config c: GossipConfig, now: UInt64) -> (graft: [Address], prune: [Address]) {
        var current = mesh[topic] ?? []
        let candidateSet = Set(candidates)
        var graft: [Address] = []
        var prune: [Address] = []
        for peer in current where !candidateSet.contains(peer) || score(peer) < 0 {
            current.remove(peer)
            if candidateSet.contains(peer) { prune.append(peer) }
        }
        if current.count < c.meshDegreeLow {
            let pool = candidates.filter { !current.contains($0) && !inBackoff(topic, $0, now: now) && score($0) >= 0 }
                .shuffled()
            for peer in pool.prefix(max(0, c.meshDegree - current.count)) {
                current.insert(peer)
                graft.append(peer)
            }
        } else if current.count > c.meshDegreeHigh {
            let ranked = current.sorted { score($0) > score($1) }
            var keep = Set(ranked.prefix(c.meshDegreeScore))
            for peer in ranked.dropFirst(c.meshDegreeScore).shuffled() where keep.count < c.meshDegree {
                keep.insert(peer)
            }
            for peer in current where !keep.contains(peer) { prune.append(peer) }
            current = keep
        }
        mesh[topic] = current
        return (graft, prune)
    }

    /// Forgets expired back-offs and fanout topics not published to lately.
    mutating func expire(now: UInt64, fanoutTTL: UInt64) {
        for topic in backoff.keys {
            backoff[topic] = backoff[topic]?.filter { $0.value > now }
            if backoff[topic]?.isEmpty == true { backoff[topic] = nil }
        }
        for (topic, last) in fanoutLastPublished where last + fanoutTTL < now {
            fanout[topic] = nil
            fanoutLastPublished[topic] = nil
        }
    }
}
