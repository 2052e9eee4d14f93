import Foundation
import Gossip
import Identity
import NetworkLab

final class TempDir: Sendable {
    let path: String

    init(_ label: String = "net") {
        path = NSTemporaryDirectory() + "peernode-\(label)-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Settings for networks of tens of nodes on a loaded 2-core machine.
func networkConfig() -> GossipConfig {
    var c = GossipConfig()
    c.heartbeatInterval = 0.25
    c.redialBackoffBase = 0.25
    c.redialBackoffMax = 2
    c.chatHistoryLimit = 1000
    // On a loaded machine a message can lag its successor by seconds; wait
    // for it rather than deliver around the gap (production default: 1 s).
    c.reorderWindow = 20
    return c
}

actor Inbox {
    private(set) var messages: [GossipMessage] = []

    init(_ stream: AsyncStream<GossipMessage>) {
        Task { await self.consume(stream) }
    }

    private func consume(_ stream: AsyncStream<GossipMessage>) async {
        for await m in stream { messages.append(m) }
    }

    var count: Int { messages.count }
}

func chatText(_ m: GossipMessage) -> String? {
    if case .chat(let c) = m.content { return c.text }
    return nil
}

/// Checks one subscriber's chat: every (author, index) exactly once and,
/// per author, in the order sent. Returns a description of what is wrong.
func checkChat(_ messages: [GossipMessage], authors: [Address], perAuthor: Int) -> String? {
    var ids = Set<MessageID>()
    var byAuthor: [Address: [Int]] = [:]
    for m in messages {
        guard let text = chatText(m) else { continue }
        if !ids.insert(m.id).inserted { return "message \(m.id) delivered twice" }
        guard let index = text.split(separator: "-").last.flatMap({ Int($0) }) else { return "unexpected text \(text)" }
        byAuthor[m.author, default: []].append(index)
    }
    for author in authors {
        let got = byAuthor[author] ?? []
        if got != Array(0..<perAuthor) {
            return "author \(author.base58.prefix(6)): \(got.count) of \(perAuthor), in order: \(got == got.sorted())"
        }
    }
    return nil
}
