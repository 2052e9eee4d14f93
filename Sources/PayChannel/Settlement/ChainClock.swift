import Foundation
import Solana
import Synchronization

/// The chain's clock without an RPC call each time it is needed: one read
/// is reused, moved on by the wall clock, for `reuse` seconds. A cluster's
/// clock drifts from wall time by seconds between reads, which matters only
/// near an expiry: callers deciding something close to one ask for an exact
/// read.
final class ChainClock: Sendable {
    private let client: ChannelClient
    private let reuse: TimeInterval
    private let base = Mutex<(chain: Int64, at: Date)?>(nil)

    init(client: ChannelClient, reuse: TimeInterval = 10) {
        self.client = client
        self.reuse = reuse
    }

    /// The last read moved on by the wall clock; nil when there is none
    /// younger than `reuse`.
    var estimate: Int64? {
        base.withLock { base in
            guard let base else { return nil }
            let elapsed = Date().timeIntervalSince(base.at)
            return elapsed < reuse ? base.chain + Int64(elapsed) : nil
        }
    }

    /// The chain's time: the estimate when there is one and `exact` is not
    /// asked, else a read (which the next calls reuse).
    func now(exact: Bool = false) async throws(ChainError) -> Int64 {
        if !exact, let estimate { return estimate }
        let now = try await client.now()
        base.withLock { $0 = (now, Date()) }
        return now
    }
}
