import Foundation
@testable import Gossip
import Identity
import Transport

/// A hand-driven peer: the real transport, but frames built by the test,
/// so it can say things an honest node never would.
final class RawPeer: Sendable {
    let key: KeyPair
    let transport: Transport
    let target: GossipNode

    init(key: KeyPair = .generate(), dialing target: GossipNode, curveKey: KeyPair? = nil) async throws {
        self.key = key
        self.target = target
        transport = try await Transport.start(Transport.Options(
            listen: "tcp://127.0.0.1:0", curve: try (curveKey ?? key).curveKeyPair(), maxFrameBytes: 4 << 20,
            highWaterMark: 100_000))
        transport.dial(target.address, endpoint: target.endpoint, serverKey: try target.address.curvePublicKey())
    }

    func hello(topics: [Topic] = [.peers, .streams], recordKey: KeyPair? = nil) throws {
        let k = recordKey ?? key
        let record = try SignedPeerRecord(PeerRecord(address: k.address, endpoints: [transport.endpoint],
                                                     pricePerChunk: 0, capabilities: [], seq: 1), signedBy: k)
        send(Frame.hello(record: record.wire, version: 1, topics: topics.map(\.description)).encoded())
    }

    func send(_ bytes: [UInt8]) { transport.send(bytes, to: .outbound(target.address)) }
    func send(_ frame: Frame) { send(frame.encoded()) }

    func stop() { transport.stop() }
}

extension GossipNode {
    /// Whether `peer` is connected here.
    func isConnected(_ peer: Address) -> Bool { peers[peer] != nil }
}
