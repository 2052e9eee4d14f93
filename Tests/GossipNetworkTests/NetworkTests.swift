import Foundation
import NetworkLab
import Testing
@testable import Gossip
import Identity

/// Real ZeroMQ over 127.0.0.1, many nodes in this process. Time-outs are
/// generous and every wait polls for its condition, so a loaded 2-core
/// machine slows these tests down without failing them.
@Suite(.serialized) struct NetworkTests {
    @Test func twentyNodesJoinThroughBootstrapAndPeerExchangeAndAnAnnouncementReachesAll() async throws {
        let cluster = try await LocalCluster.start(count: 20, config: networkConfig(), bootstrapCount: 1)
        let nodes = cluster.nodes
        // Only node 0 was configured anywhere; everyone else came from peer exchange.
        #expect(await cluster.waitForMesh(.streams, minPeers: 4, minMesh: 3, timeout: 90))
        for node in nodes.dropFirst() { #expect(await node.knownPeers().count >= 4) }
        var inboxes: [Inbox] = []
        for node in nodes { inboxes.append(Inbox(await node.subscribe(.streams))) }
        let creator = nodes[13]
        let stream = try StreamID(creator: creator.address, name: "launch")
        let id = try await creator.announce(StreamAnnouncement(stream: stream, title: "Launch", pricePerSecond: 5,
                                                              liveSegment: 1))
        let boxes = inboxes
        #expect(await waitUntil(timeout: 60, poll: 0.1) {
            for box in boxes where await box.count < 1 { return false }
            return true
        })
        for box in inboxes {
            let got = await box.messages
            #expect(got.count == 1 && got.first?.id == id)
        }
        for node in nodes { #expect(await node.knownStreams().first?.title == "Launch") }
        await cluster.stop()
    }

    @Test func fiveHundredChatMessagesFromTenAuthorsReachEverySubscriberOnceInOrder() async throws {
        let dirs = TempDir("chat")
        var config = networkConfig()
        config.listen = "tcp://127.0.0.1:0"
        let cluster = try await LocalCluster.start(count: 20, config: config, dataRoot: dirs.path, bootstrapCount: 2)
        var nodes = cluster.nodes
        let stream = try StreamID(creator: nodes[0].address, name: "chat")
        let topic = Topic.chat(stream)
        var inboxes: [Inbox] = []
        for node in nodes { inboxes.append(Inbox(await node.subscribe(topic))) }
        #expect(await cluster.waitForMesh(topic, minPeers: 4, minMesh: 3, timeout: 90))

        let authors = Array(nodes.prefix(10))
        let perAuthor = 50
        let restartIndex = 15
        let restarted = nodes[restartIndex]
        let restartEndpoint = restarted.endpoint
        // Each author sends its 50 lines in order, all ten at once.
        let sending = Task {
            await withTaskGroup(of: Void.self) { group in
                for author in authors {
                    group.addTask {
                        for i in 0..<perAuthor {
                            _ = try? await author.sendChat(stream: stream, text: "\(author.address.base58.prefix(6))-\(i)")
                            try? await Task.sleep(nanoseconds: 20_000_000)
                        }
                    }
                }
            }
        }
        // Mid-way, node 15 goes down, misses some chat, and comes back.
        let restartBox = inboxes[restartIndex]
        #expect(await waitUntil(timeout: 60, poll: 0.1) { await restartBox.count >= 150 })
        await restarted.stop()
        try await Task.sleep(nanoseconds: 300_000_000)
        var c = config
        c.listen = restartEndpoint
        c.bootstrap = [BootstrapPeer(address: nodes[1].address, endpoint: nodes[1].endpoint)]
        let again = try await GossipNode.start(identity: cluster.keys[restartIndex], config: c,
                                               dataDirectory: "\(dirs.path)/node\(restartIndex)")
        nodes[restartIndex] = again
        _ = await again.subscribe(topic)
        await sending.value

        let total = authors.count * perAuthor
        let boxes = inboxes
        let ok = await waitUntil(timeout: 120, poll: 0.1) {
            for (i, box) in boxes.enumerated() where i != restartIndex {
                if await box.count < total { return false }
            }
            return true
        }
        #expect(ok)
        let authorAddresses = authors.map(\.address)
        for (i, box) in inboxes.enumerated() where i != restartIndex {
            if let problem = checkChat(await box.messages, authors: authorAddresses, perAuthor: perAuthor) {
                Issue.record("node \(i): \(problem)")
            }
        }
        // The restarted node has the whole chat again: what it kept, plus what peers sent it.
        #expect(await waitUntil(timeout: 60, poll: 0.1) { (try? await again.chatHistory(stream: stream).count) == total })
        let history = try await again.chatHistory(stream: stream)
        #expect(Set(history.map(\.id)).count == total)
        #expect(await again.statistics().historyStored > 0)  // it missed some while down, and fetched them
        for node in nodes { await node.stop() }
    }

    @Test func aMisbehavingNodeIsScoredDownAndDroppedWhileTheRestKeepFullDelivery() async throws {
        let cluster = try await LocalCluster.start(count: 12, config: networkConfig(), bootstrapCount: 1)
        let honest = cluster.nodes
        let stream = try StreamID(creator: honest[0].address, name: "s")
        let topic = Topic.chat(stream)
        var inboxes: [Inbox] = []
        for node in honest { inboxes.append(Inbox(await node.subscribe(topic))) }
        // The bad node joins like anyone else, and subscribes to look useful.
        var badConfig = networkConfig()
        badConfig.targetConnections = 12
        badConfig.bootstrap = honest.prefix(6).map { BootstrapPeer(address: $0.address, endpoint: $0.endpoint) }
        let badKey = KeyPair.generate()
        let bad = try await GossipNode.start(identity: badKey, config: badConfig)
        _ = await bad.subscribe(topic)
        #expect(await waitUntil(timeout: 60, poll: 0.1) { await bad.connectedPeers().count >= 4 })
        if !(await cluster.waitForMesh(topic, minPeers: 4, minMesh: 3, timeout: 60)) {
            Issue.record("mesh did not form:\n\(await cluster.describe(topic))")
        }
        // It sends garbage frames, forged signatures and floods of one message
        // to every neighbour, in rounds, as long as anyone still talks to it.
        let now = UInt64(Date().timeIntervalSince1970 * 1000)
        let valid = Envelope(topic: topic, author: badKey, epoch: 1, seq: 1, timestamp: now,
                             payload: ChatMessage(text: "spam").encoded())
        var attacked = Set<Address>()
        for _ in 0..<60 {
            let victims = await bad.connectedPeers()
            if victims.isEmpty { break }
            for victim in victims {
                attacked.insert(victim)
                for i in 0..<10 {
                    await bad.injectRaw((0..<(20 + i)).map { _ in UInt8.random(in: 0...255) }, to: victim)
                    let forged = Envelope(topic: topic, author: KeyPair.generate(), epoch: 1, seq: UInt64(i + 1),
                                          timestamp: now, payload: ChatMessage(text: "x").encoded())
                    var bytes = forged.wire
                    bytes[bytes.count - 3] ^= 0x40
                    await bad.injectRaw(Frame.publish([bytes]).encoded(), to: victim)
                }
                for _ in 0..<200 { await bad.injectRaw(GossipNode.publishFrame(valid), to: victim) }
            }
            try await Task.sleep(nanoseconds: 500_000_000)
        }
        #expect(attacked.count >= 4)
        // Every neighbour dropped it and blocked it; nobody talks to it any more.
        let honestNodes = honest
        #expect(await waitUntil(timeout: 60, poll: 0.1) {
            for node in honestNodes where await node.connectedPeers().contains(badKey.address) { return false }
            return true
        })
        for node in honest where attacked.contains(node.address) {
            #expect(await node.isBlocked(badKey.address))
            #expect(await node.statistics().peersDropped >= 1)
        }

        // The honest nodes still deliver everything to everyone.
        if !(await cluster.waitForMesh(topic, minPeers: 3, minMesh: 2, timeout: 60)) {
            Issue.record("mesh did not re-form:\n\(await cluster.describe(topic))")
        }
        let authors = Array(honest.prefix(5))
        for i in 0..<20 {
            for author in authors { try await author.sendChat(stream: stream, text: "\(author.address.base58.prefix(6))-\(i)") }
        }
        let boxes = inboxes
        #expect(await waitUntil(timeout: 90, poll: 0.1) {
            for box in boxes {
                let texts = await box.messages.compactMap(chatText).filter { $0 != "spam" }
                if texts.count < 100 { return false }
            }
            return true
        })
        for (i, box) in inboxes.enumerated() {
            let msgs = await box.messages.filter { $0.author != badKey.address }
            if let problem = checkChat(msgs, authors: authors.map(\.address), perAuthor: 20) {
                Issue.record("node \(i): \(problem)")
            }
        }
        await bad.stop()
        await cluster.stop()
    }
}
