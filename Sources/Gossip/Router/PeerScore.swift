/// A peer's score, in the manner of gossipsub v1.1's score.go: decaying
/// counters of what the peer did, each with a weight from `GossipConfig`.
/// Honest peers never forward what fails validation (they validate before
/// forwarding), so invalid messages and malformed frames weigh heavily; a
/// few duplicates are normal in a mesh, the same id again and again from
/// the same peer is not.
struct PeerScore: Sendable {
    var invalidMessages = 0.0
    var malformedFrames = 0.0
    var duplicateFloods = 0.0
    var rateLimited = 0.0
    var unknownTopics = 0.0
    var firstDeliveries = 0.0

    func value(_ c: GossipConfig) -> Double {
        invalidMessages * c.invalidMessageWeight
            + malformedFrames * c.malformedFrameWeight
            + duplicateFloods * c.duplicateFloodWeight
            + rateLimited * c.rateLimitWeight
            + unknownTopics * c.unknownTopicWeight
            + min(firstDeliveries, c.firstDeliveryCap) * c.firstDeliveryWeight
    }

    /// One heartbeat's decay; tiny counters snap to zero.
    mutating func decay(_ factor: Double) {
        func d(_ v: inout Double) { v *= factor; if v < 0.01 { v = 0 } }
        d(&invalidMessages); d(&malformedFrames); d(&duplicateFloods)
        d(&rateLimited); d(&unknownTopics); d(&firstDeliveries)
    }
}

/// A token bucket: `rate` tokens a second up to `burst`.
struct TokenBucket: Sendable {
    var tokens: Double
    var last: UInt64
    let rate: Double
    let burst: Double

    init(rate: Double, burst: Double, now: UInt64) {
        self.rate = rate
        self.burst = burst
        tokens = burst
        last = now
    }

    /// Takes `n` tokens at time `now` (ns); false when there are not enough.
    mutating func take(_ n: Double, now: UInt64) -> Bool {
        if now > last {
            tokens = min(burst, tokens + Double(now - last) / 1e9 * rate)
            last = now
        }
        guard tokens >= n else { return false }
        tokens -= n
        return true
    }
}
