import Foundation
import NetworkLab
import PeerNode
import Testing
import TestSupport

/// The README's two-node recipe across a restart: the creator keeps its
/// ports (ports.json), so the viewer's bootstrap entry still reaches it;
/// while it is away the viewer says so in its log, a few times, not every
/// heartbeat; a remembered port taken by another program is a clear error.
@Suite(.serialized)
struct RestartTests {
    @Test("A node keeps its ports across restarts; an unreachable bootstrap peer is logged; a taken remembered port is refused")
    func portsAreKeptAcrossRestarts() throws {
        let scratch = try Scratch("restart")
        let creator = try DaemonProcess(name: "creator", in: scratch)
        let first = try creator.client.id()
        let ports = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: creator.dataDir + "/ports.json"))) as? [String: Int])
        let gossipPort = try #require(ports["gossip"])
        #expect(first.gossip == "tcp://127.0.0.1:\(gossipPort)")
        #expect(first.exchange == "tcp://127.0.0.1:\(ports["exchange"] ?? -1)")

        let viewer = try DaemonProcess(name: "viewer", in: scratch, bootstrap: [creator])
        try waitFor("the viewer's link to the creator") { try viewer.gossipPeers().contains(creator.address) }

        // The creator goes away: the viewer logs that its bootstrap peer cannot be reached.
        creator.stop()
        let away = Date()
        try waitFor("the viewer to log the unreachable bootstrap peer", timeout: 60) {
            viewer.log.contains("bootstrap peer cannot be reached")
        }
        Thread.sleep(forTimeInterval: 8)
        let heartbeats = Int(Date().timeIntervalSince(away))
        let warnings = viewer.log.components(separatedBy: "bootstrap peer cannot be reached").count - 1
        #expect(warnings >= 1 && warnings <= 4, "\(warnings) warnings in \(heartbeats) heartbeats:\n\(viewer.log)")
        #expect(viewer.log.contains(creator.address) && viewer.log.contains("tcp://127.0.0.1:\(gossipPort)"))

        // Back on the same endpoints: the viewer's bootstrap entry reaches it again.
        try creator.restart()
        let second = try creator.client.id()
        #expect(second.gossip == first.gossip)
        #expect(second.exchange == first.exchange)
        try waitFor("the viewer's link to the restarted creator", timeout: 90) {
            try viewer.gossipPeers().contains(creator.address)
        }
        try waitFor("the viewer to log that it reached the creator again") { viewer.log.contains("bootstrap peer reached") }

        // Another program holds the remembered gossip port: the daemon refuses, saying what to do.
        creator.stop()
        let holder = try TCPListener(port: gossipPort)
        defer { holder.close() }
        let (status, _, err) = try runProgram(nodectlBinary, ["daemon", "--data-dir", creator.dataDir], timeout: 60)
        #expect(status != 0)
        #expect(err.contains("the gossip port 127.0.0.1:\(gossipPort) is taken") && err.contains("ports.json"), "\(err)")
    }
}

extension DaemonProcess {
    /// Addresses of the peers with a gossip link (GET /v1/peers).
    func gossipPeers() throws -> [String] {
        try client.peers().gossip
    }
}
