import Foundation
import NetworkLab
@testable import Gossip
import Identity

/// A fresh directory under the system temp dir, removed when the value dies.
final class TempDir: Sendable {
    let path: String

    init(_ label: String = "gossip") {
        path = NSTemporaryDirectory() + "peernode-\(label)-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Settings that make small test networks converge quickly.
func testConfig() -> GossipConfig {
    var c = GossipConfig()
    c.heartbeatInterval = 0.2
    c.redialBackoffBase = 0.2
    c.redialBackoffMax = 2
    return c
}

/// Collects what a subscription delivers, from a task of its own.
actor Inbox {
    private(set) var messages: [GossipMessage] = []
    private var task: Task<Void, Never>?

    init(_ stream: AsyncStream<GossipMessage>) {
        task = nil
        Task { await self.consume(stream) }
    }

    private func consume(_ stream: AsyncStream<GossipMessage>) async {
        for await m in stream { messages.append(m) }
    }

    var count: Int { messages.count }

    var chatTexts: [String] {
        messages.compactMap { if case .chat(let c) = $0.content { return c.text } else { return nil } }
    }
}

extension GossipConfig {
    func with(_ change: (inout GossipConfig) -> Void) -> GossipConfig {
        var c = self
        change(&c)
        return c
    }
}
