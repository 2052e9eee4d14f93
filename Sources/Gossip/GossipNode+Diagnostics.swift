import Foundation
import Transport

extension GossipNode {
    /// How this node sees its peers on a topic: subscribed, in mesh, in back-off, score. For diagnostics.
    public func peerView(_ topic: Topic) -> String {
        let now = monotonicNanos()
        return peers.values.map { p in
            "\(p.address.base58.prefix(4)):\(p.topics.contains(topic) ? "S" : "-")\(meshState.mesh[topic]?.contains(p.address) == true ? "M" : "-")\(meshState.inBackoff(topic, p.address, now: now) ? "B" : "-")\(String(format: "%.0f", p.score.value(config)))/v\(p.topicsVersion & 0xfffff)/\(p.topics.count)/\({ if case .outbound = p.link { return "o" } else { return "i" } }())/\(p.framesByKind.prefix(14).map(String.init).joined(separator: ","))"
        }.sorted().joined(separator: " ")
    }
}
