import Foundation
import Gossip
import Identity
import Transport

/// Many nodes in one process on 127.0.0.1, joined only through bootstrap
/// peers and peer exchange: what the multi-node tests and
/// `nodectl bench gossip` run.
public struct LocalCluster: Sendable {
    public let nodes: [GossipNode]
    public let keys: [KeyPair]
    public let dataRoot: String?

    /// Starts `count` nodes. The first `bootstrapCount` form the bootstrap
    /// set; every other node knows only one of them (round robin).
    public static func start(count: Int, config: GossipConfig, dataRoot: String? = nil,
                             bootstrapCount: Int = 1,
                             progress: (@Sendable (Int) -> Void)? = nil) async throws -> LocalCluster {
        precondition(count >= 1 && bootstrapCount >= 1)
        var nodes: [GossipNode] = []
        var keys: [KeyPair] = []
        for i in 0..<count {
            let key = KeyPair.generate()
            var c = config
            if i < bootstrapCount {
                c.bootstrap = nodes.map { BootstrapPeer(address: $0.address, endpoint: $0.endpoint) }
            } else {
                let b = nodes[i % bootstrapCount]
                c.bootstrap = [BootstrapPeer(address: b.address, endpoint: b.endpoint)]
            }
            let node = try await GossipNode.start(identity: key, config: c, dataDirectory: dataRoot.map { "\($0)/node\(i)" })
            nodes.append(node)
            keys.append(key)
            progress?(i + 1)
        }
        return LocalCluster(nodes: nodes, keys: keys, dataRoot: dataRoot)
    }

    public func stop() async {
        for node in nodes { await node.stop() }
    }

    /// Waits until every node has at least `minPeers` connected peers and a
    /// mesh of at least `minMesh` for `topic`.
    public func waitForMesh(_ topic: Topic, minPeers: Int, minMesh: Int, timeout: Double) async -> Bool {
        let nodes = self.nodes
        return await waitUntil(timeout: timeout, poll: 0.1) {
            for node in nodes {
                if await node.connectedPeers().count < minPeers { return false }
                if await node.meshPeers(topic).count < minMesh { return false }
            }
            return true
        }
    }
}

extension LocalCluster {
    /// One line per node: peers, known peers and mesh size for `topic`; for failure messages.
    public func describe(_ topic: Topic) async -> String {
        var lines: [String] = []
        for (i, node) in nodes.enumerated() {
            let s = await node.statistics()
            lines.append("node \(i) \(node.address.base58.prefix(6)): peers \(await node.connectedPeers().count), known \(await node.knownPeers().count), mesh \(await node.meshPeers(topic).count), accepted \(s.accepted), dropped peers \(s.peersDropped), invalid \(s.invalidMessages + s.badSignatures + s.malformedFrames)\n    \(await node.peerView(topic))")
        }
        return lines.joined(separator: "\n")
    }
}
