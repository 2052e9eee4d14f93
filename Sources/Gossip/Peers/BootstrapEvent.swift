import Identity

/// What became of a dial to a bootstrap peer, for the node's log. A peer
/// that cannot be reached is reported once per failed dial, and each
/// failure doubles the wait before the next dial (PeerTable's back-off), so
/// the reports thin out instead of repeating every heartbeat.
public enum BootstrapEvent: Sendable, Equatable {
    /// No HELLO came back within `dialTimeout` (or a linked peer went
    /// silent); the next dial is in `retryIn` seconds.
    case unreachable(address: Address, endpoint: String, failures: Int, retryIn: Double)
    /// A HELLO came back after `afterFailures` failed dials.
    case reached(address: Address, endpoint: String, afterFailures: Int)
}

extension GossipNode {
    /// The bootstrap peers' dial outcomes from now on; ends when the node stops.
    public func bootstrapEvents() -> AsyncStream<BootstrapEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: BootstrapEvent.self, bufferingPolicy: .bufferingNewest(64))
        if stopped { continuation.finish() } else { bootstrapWatchers.append(continuation) }
        return stream
    }

    /// Called after the table recorded a failed dial to `peer`.
    func reportDialFailure(_ peer: Address, now: UInt64) {
        guard let entry = table[peer], entry.isBootstrap, !bootstrapWatchers.isEmpty else { return }
        let retryIn = Double(entry.nextDial > now ? entry.nextDial - now : 0) / 1e9
        report(.unreachable(address: peer, endpoint: entry.endpoints.first ?? "", failures: entry.failures, retryIn: retryIn))
    }

    /// Called when `peer` answered a dial after `failures` failed ones.
    func reportDialSuccess(_ peer: Address, after failures: Int) {
        guard failures > 0, let entry = table[peer], entry.isBootstrap else { return }
        report(.reached(address: peer, endpoint: entry.endpoints.first ?? "", afterFailures: failures))
    }

    private func report(_ event: BootstrapEvent) {
        for watcher in bootstrapWatchers { watcher.yield(event) }
    }
}
