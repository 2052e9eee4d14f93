import Foundation
import Testing
@testable import Gossip
import Identity
import NetworkLab

/// Collects bootstrap events from a task of its own.
actor BootstrapEvents {
    private(set) var all: [BootstrapEvent] = []

    init(_ stream: AsyncStream<BootstrapEvent>) {
        Task { await self.consume(stream) }
    }

    private func consume(_ stream: AsyncStream<BootstrapEvent>) async {
        for await event in stream { all.append(event) }
    }

    var failures: [Int] {
        all.compactMap { if case .unreachable(_, _, let failures, _) = $0 { failures } else { nil } }
    }
}

@Suite(.serialized) struct BootstrapEventTests {
    @Test func anUnreachableBootstrapPeerIsReportedOncePerFailedDialAndWhenReached() async throws {
        // A node that is down: its endpoint, with nothing listening there until it comes back.
        let absentKey = KeyPair.generate()
        let absent = try await GossipNode.start(identity: absentKey, config: testConfig())
        let endpoint = absent.endpoint
        await absent.stop()

        var c = testConfig()
        c.dialTimeout = 0.3
        c.bootstrap = [BootstrapPeer(address: absentKey.address, endpoint: endpoint)]
        let node = try await GossipNode.start(identity: .generate(), config: c)
        let events = BootstrapEvents(await node.bootstrapEvents())
        try await Task.sleep(nanoseconds: 3_000_000_000)

        // 15 heartbeats went by; each failed dial is reported once, each with one more failure.
        let failures = await events.failures
        #expect(failures.count >= 2 && failures.count <= 6, "\(failures)")
        #expect(failures == Array(1...max(1, failures.count)), "\(failures)")
        if case .unreachable(let address, let at, _, let retryIn)? = await events.all.first {
            #expect(address == absentKey.address && at == endpoint)
            #expect(retryIn > 0 && retryIn <= c.redialBackoffMax * 1.25)
        }

        // It comes back on the same endpoint: reached, after the failures counted.
        var back = testConfig()
        back.listen = endpoint
        let returned = try await GossipNode.start(identity: absentKey, config: back)
        #expect(await waitUntil(timeout: 30) { await node.connectedPeers() == [absentKey.address] })
        #expect(await waitUntil(timeout: 30) {
            await events.all.contains { if case .reached(absentKey.address, endpoint, let n) = $0 { n > 0 } else { false } }
        })
        await node.stop()
        await returned.stop()
    }
}
