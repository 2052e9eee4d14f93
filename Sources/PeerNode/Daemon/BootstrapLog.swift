import Gossip
import Logging

/// Logs what becomes of the bootstrap peers in config.json: a warning for
/// each failed dial (gossip backs off between dials, doubling up to a
/// minute, so a peer that stays away is reported ever more rarely, never
/// every heartbeat), and a note when one is reached after failures.
enum BootstrapLog {
    static func start(gossip: GossipNode, logger: Logger) -> Task<Void, Never> {
        Task {
            for await event in await gossip.bootstrapEvents() {
                switch event {
                case .unreachable(let address, let endpoint, let failures, let retryIn):
                    logger.warning("""
                        bootstrap peer cannot be reached: no answer from \(address) at \(endpoint) \
                        (is that node running there, and is this its address and gossip endpoint, GET /v1/id?); \
                        next try in \(Int(retryIn.rounded())) s
                        """, metadata: ["peer": "\(address)", "endpoint": "\(endpoint)", "failedDials": "\(failures)"])
                case .reached(let address, let endpoint, let failures):
                    logger.info("bootstrap peer reached", metadata: ["peer": "\(address)", "endpoint": "\(endpoint)",
                                                                     "afterFailedDials": "\(failures)"])
                }
            }
        }
    }
}
