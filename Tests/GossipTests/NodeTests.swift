import Foundation
import Testing
@testable import Gossip
import Identity
import NetworkLab
import Transport

@Suite(.serialized) struct NodeTests {
    func pair(_ config: GossipConfig = testConfig(), dirs: (String?, String?) = (nil, nil)) async throws -> (GossipNode, GossipNode) {
        let a = try await GossipNode.start(identity: .generate(), config: config, dataDirectory: dirs.0)
        var c = config
        c.bootstrap = [BootstrapPeer(address: a.address, endpoint: a.endpoint)]
        let b = try await GossipNode.start(identity: .generate(), config: c, dataDirectory: dirs.1)
        #expect(await waitUntil(timeout: 30) {
            let pa = await a.connectedPeers(), pb = await b.connectedPeers()
            return pa == [b.address] && pb == [a.address]
        })
        return (a, b)
    }

    @Test func twoNodesConnectThroughABootstrapPeerAndGossip() async throws {
        let (a, b) = try await pair()
        let inbox = Inbox(await b.subscribe(.streams))
        #expect(await waitUntil(timeout: 30) { await a.meshPeers(.streams).count == 1 })
        let stream = try StreamID(creator: a.address, name: "show")
        try await a.announce(StreamAnnouncement(stream: stream, title: "The show", pricePerSecond: 3))
        #expect(await waitUntil(timeout: 30) { await inbox.count == 1 })
        let got = await inbox.messages.first
        if case .announcement(let ann)? = got?.content {
            #expect(ann.title == "The show" && ann.creator == a.address)
        } else {
            Issue.record("expected an announcement, got \(String(describing: got?.content))")
        }
        #expect(await b.knownStreams().map(\.title) == ["The show"])
        await a.stop(); await b.stop()
    }

    @Test func aFullPeerHandsOutOthersAndTheDialerGoesThere() async throws {
        var full = testConfig()
        full.maxConnections = 1
        full.targetConnections = 1
        let a = try await GossipNode.start(identity: .generate(), config: full)
        var c = testConfig()
        c.bootstrap = [BootstrapPeer(address: a.address, endpoint: a.endpoint)]
        let b = try await GossipNode.start(identity: .generate(), config: c)
        #expect(await waitUntil(timeout: 30) { await a.connectedPeers() == [b.address] })
        // a is full: c is turned away with b's record, and connects to b instead.
        let newcomer = try await GossipNode.start(identity: .generate(), config: c)
        #expect(await waitUntil(timeout: 30) { await newcomer.connectedPeers() == [b.address] })
        #expect(await a.connectedPeers() == [b.address])
        await a.stop(); await b.stop(); await newcomer.stop()
    }

    @Test func badConfigAndABusyPortAreClearErrors() async throws {
        var bad = testConfig()
        bad.meshDegreeLow = 9
        await #expect(throws: GossipError.self) { try await GossipNode.start(identity: .generate(), config: bad) }
        #expect(throws: GossipError.self) { try GossipConfig().with { $0.listen = "udp://x" }.validate() }
        let a = try await GossipNode.start(identity: .generate(), config: testConfig())
        var same = testConfig()
        same.listen = a.endpoint
        await #expect(throws: TransportError.self) { try await GossipNode.start(identity: .generate(), config: same) }
        await a.stop()
    }

    @Test func announcingSomeoneElsesStreamIsRefused() async throws {
        let a = try await GossipNode.start(identity: .generate(), config: testConfig())
        let other = try StreamID(creator: KeyPair.generate().address, name: "x")
        await #expect(throws: GossipError.self) { try await a.announce(StreamAnnouncement(stream: other, title: "t", pricePerSecond: 1)) }
        await #expect(throws: GossipError.self) { try await a.moderate(stream: other, ModerationAction(kind: .ban, target: a.address)) }
        await a.stop()
    }

    @Test func aDialToAnAddressWhoseKeyTheEndpointDoesNotHoldNeverConnects() async throws {
        let real = try await GossipNode.start(identity: .generate(), config: testConfig())
        var c = testConfig()
        // Claims the endpoint belongs to another address: the CURVE handshake fails.
        let claimed = KeyPair.generate().address
        c.bootstrap = [BootstrapPeer(address: claimed, endpoint: real.endpoint)]
        let b = try await GossipNode.start(identity: .generate(), config: c)
        try await Task.sleep(nanoseconds: 1_500_000_000)
        #expect(await b.connectedPeers().isEmpty)
        #expect(await real.connectedPeers().isEmpty)
        await real.stop(); await b.stop()
    }

    @Test func aHelloClaimingAnotherAddressIsRefused() async throws {
        let node = try await GossipNode.start(identity: .generate(), config: testConfig())
        let victim = KeyPair.generate()
        // The raw peer authenticates with its own CURVE key but presents the victim's signed record.
        let raw = try await RawPeer(dialing: node)
        try raw.hello(recordKey: victim)
        #expect(await waitUntil(timeout: 10) { await node.statistics().impostors >= 1 })
        #expect(await node.connectedPeers().isEmpty)
        raw.stop()
        await node.stop()
    }

    @Test func badInputIsDroppedCountedAndValidMessagesStillArrive() async throws {
        var config = testConfig()
        config.graylistThreshold = -1e9  // keep the raw peer connected to count everything
        let node = try await GossipNode.start(identity: .generate(), config: config)
        let inbox = Inbox(await node.subscribe(.streams))
        let raw = try await RawPeer(dialing: node)
        try raw.hello()
        #expect(await waitUntil(timeout: 30) { await node.isConnected(raw.key.address) })
        let stream = try StreamID(creator: raw.key.address, name: "s")
        let now = UInt64(Date().timeIntervalSince1970 * 1000)
        let good = Envelope(topic: .streams, author: raw.key, epoch: 1, seq: 1, timestamp: now,
                            payload: StreamAnnouncement(stream: stream, title: "good", pricePerSecond: 1).encoded())
        // 1. Garbage and truncated frames.
        raw.send([0xde, 0xad, 0xbe, 0xef])
        raw.send(Array(Frame.ping.encoded().dropLast()) + [1, 2])
        // 2. The good envelope's bytes with someone else's signature: same id, bad signature.
        var forged = good.wire
        for i in (forged.count - 64)..<forged.count { forged[i] ^= 0x5a }
        raw.send(.publish([forged]))
        // 3. Unknown topic, 4. oversize payload, 5. an announcement for a stream the author does not own.
        var w = WireWriter()
        w.u8(1); w.string("weather/1"); w.fixed(raw.key.publicKey); w.u64(1); w.u64(1); w.u64(now); w.blob([]); w.fixed(Array(repeating: 0, count: 64))
        raw.send(.publish([w.bytes]))
        let huge = Envelope(topic: .streams, author: raw.key, epoch: 1, seq: 2, timestamp: now,
                            payload: Array(repeating: 0, count: config.maxPayloadBytes + 1))
        raw.send(.publish([huge.wire]))
        let notMine = try StreamID(creator: KeyPair.generate().address, name: "x")
        let stolen = Envelope(topic: .streams, author: raw.key, epoch: 1, seq: 3, timestamp: now,
                              payload: StreamAnnouncement(stream: notMine, title: "stolen", pricePerSecond: 1).encoded())
        raw.send(.publish([stolen.wire]))
        // 6. A replay from long ago.
        let old = Envelope(topic: .streams, author: raw.key, epoch: 0, seq: 1, timestamp: now - 600_000,
                           payload: StreamAnnouncement(stream: stream, title: "old", pricePerSecond: 1).encoded())
        raw.send(.publish([old.wire]))
        // The genuine message, after its forgery, then again (a duplicate).
        raw.send(.publish([good.wire]))
        raw.send(.publish([good.wire]))
        #expect(await waitUntil(timeout: 30) {
            let n = await inbox.count, dups = await node.statistics().duplicates
            return n >= 1 && dups >= 1
        })
        let stats = await node.statistics()
        #expect(stats.malformedFrames >= 2)
        #expect(stats.badSignatures == 1)
        #expect(stats.unknownTopics == 1)
        #expect(stats.oversize == 1)
        #expect(stats.invalidMessages == 1)
        #expect(stats.replays == 1)
        #expect(stats.accepted == 1)
        #expect(await inbox.messages.map(\.id) == [good.id])
        #expect(try #require(await node.score(of: raw.key.address)) < 0)
        raw.stop()
        await node.stop()
    }

    @Test func aPeerSendingInvalidSignaturesIsDroppedAndBlocked() async throws {
        let node = try await GossipNode.start(identity: .generate(), config: testConfig())
        let raw = try await RawPeer(dialing: node)
        try raw.hello()
        #expect(await waitUntil(timeout: 30) { await node.isConnected(raw.key.address) })
        let now = UInt64(Date().timeIntervalSince1970 * 1000)
        for i in 0..<20 {
            let e = Envelope(topic: .streams, author: KeyPair.generate(), epoch: 1, seq: UInt64(i + 1), timestamp: now, payload: [1])
            var bad = e.wire
            bad[bad.count - 1] ^= 1
            raw.send(.publish([bad]))
        }
        #expect(await waitUntil(timeout: 30) { await node.isBlocked(raw.key.address) })
        #expect(await !node.isConnected(raw.key.address))
        #expect(await node.statistics().peersDropped == 1)
        // It cannot come back by saying HELLO again.
        try raw.hello()
        try await Task.sleep(nanoseconds: 500_000_000)
        #expect(await !node.isConnected(raw.key.address))
        raw.stop()
        await node.stop()
    }

    @Test func aFloodingPeerIsRateLimitedAndDropped() async throws {
        var config = testConfig()
        config.rateFramesPerSecond = 100
        config.rateFrameBurst = 200
        let node = try await GossipNode.start(identity: .generate(), config: config)
        let raw = try await RawPeer(dialing: node)
        try raw.hello()
        #expect(await waitUntil(timeout: 30) { await node.isConnected(raw.key.address) })
        let ping = Frame.ping.encoded()
        for _ in 0..<2000 { raw.send(ping) }
        #expect(await waitUntil(timeout: 30) { await node.isBlocked(raw.key.address) })
        #expect(await node.statistics().rateLimited > 0)
        raw.stop()
        await node.stop()
    }

    @Test func theSameMessageRepeatedByOnePeerIsADuplicateFlood() async throws {
        let node = try await GossipNode.start(identity: .generate(), config: testConfig())
        let raw = try await RawPeer(dialing: node)
        try raw.hello()
        #expect(await waitUntil(timeout: 30) { await node.isConnected(raw.key.address) })
        let now = UInt64(Date().timeIntervalSince1970 * 1000)
        let stream = try StreamID(creator: raw.key.address, name: "s")
        let e = Envelope(topic: .streams, author: raw.key, epoch: 1, seq: 1, timestamp: now,
                         payload: StreamAnnouncement(stream: stream, title: "t", pricePerSecond: 1).encoded())
        for _ in 0..<300 { raw.send(.publish([e.wire])) }
        #expect(await waitUntil(timeout: 30) { await node.isBlocked(raw.key.address) })
        #expect(await node.statistics().duplicateFloods > 0)
        #expect(await node.statistics().accepted == 1)
        raw.stop()
        await node.stop()
    }

    @Test func chatIsModeratedByTheStreamCreator() async throws {
        let (creator, viewer) = try await pair()
        let stream = try StreamID(creator: creator.address, name: "live")
        let inbox = Inbox(await viewer.subscribe(.chat(stream)))
        _ = await creator.subscribe(.chat(stream))
        #expect(await waitUntil(timeout: 30) {
            let m1 = await creator.meshPeers(.chat(stream)).count, m2 = await viewer.meshPeers(.moderation(stream)).count
            return m1 == 1 && m2 == 1
        })
        try await creator.sendChat(stream: stream, text: "welcome", tipReference: "tx-1")
        #expect(await waitUntil(timeout: 30) { await inbox.chatTexts == ["welcome"] })
        try await creator.moderate(stream: stream, ModerationAction(kind: .ban, target: creator.address))
        #expect(await waitUntil(timeout: 30) { await inbox.count == 2 })
        try await creator.sendChat(stream: stream, text: "silenced")
        #expect(await waitUntil(timeout: 30) { await viewer.statistics().moderated == 1 })
        #expect(await inbox.chatTexts == ["welcome"])
        #expect(try await viewer.chatHistory(stream: stream).isEmpty)  // the banned author's lines are hidden
        await creator.stop(); await viewer.stop()
    }

    @Test func aMuteEndsAndALiftUndoesABan() async throws {
        let (creator, viewer) = try await pair()
        let stream = try StreamID(creator: creator.address, name: "m")
        let inbox = Inbox(await viewer.subscribe(.chat(stream)))
        _ = await creator.subscribe(.chat(stream))
        #expect(await waitUntil(timeout: 30) {
            let m1 = await creator.meshPeers(.chat(stream)).count, m2 = await viewer.meshPeers(.moderation(stream)).count
            return m1 == 1 && m2 == 1
        })
        let nowMs = UInt64(Date().timeIntervalSince1970 * 1000)
        try await creator.moderate(stream: stream, ModerationAction(kind: .mute, target: creator.address, until: nowMs + 1500))
        #expect(await waitUntil(timeout: 30) { await inbox.count == 1 })
        try await creator.sendChat(stream: stream, text: "muted")
        #expect(await waitUntil(timeout: 30) { await viewer.statistics().moderated == 1 })
        try await Task.sleep(nanoseconds: 1_700_000_000)
        try await creator.sendChat(stream: stream, text: "after the mute")
        #expect(await waitUntil(timeout: 30) { await inbox.chatTexts == ["after the mute"] })
        try await creator.moderate(stream: stream, ModerationAction(kind: .ban, target: creator.address))
        try await creator.moderate(stream: stream, ModerationAction(kind: .lift, target: creator.address))
        #expect(await waitUntil(timeout: 30) { await inbox.count == 4 })
        try await creator.sendChat(stream: stream, text: "lifted")
        #expect(await waitUntil(timeout: 30) { await inbox.chatTexts == ["after the mute", "lifted"] })
        await creator.stop(); await viewer.stop()
    }

    @Test func unsubscribingLeavesTheMeshAndEndsTheStream() async throws {
        let (a, b) = try await pair()
        let stream = try StreamID(creator: a.address, name: "u")
        let sub = await b.subscribe(.chat(stream))
        _ = await a.subscribe(.chat(stream))
        #expect(await waitUntil(timeout: 30) { await a.meshPeers(.chat(stream)) == [b.address] })
        await b.unsubscribe(.chat(stream))
        #expect(await waitUntil(timeout: 30) { await a.meshPeers(.chat(stream)).isEmpty })
        var ended = true
        for await _ in sub { ended = false }
        #expect(ended)
        await a.stop(); await b.stop()
    }

    @Test func chatHistoryIsKeptAndFetchedByALateJoiner() async throws {
        let dirA = TempDir("a"), dirB = TempDir("b")
        var config = testConfig()
        config.chatHistoryLimit = 30
        let (a, b) = try await pair(config, dirs: (dirA.path, dirB.path))
        let stream = try StreamID(creator: a.address, name: "s")
        _ = await a.subscribe(.chat(stream))
        for i in 0..<40 { try await a.sendChat(stream: stream, text: "line \(i)") }
        let local = try await a.chatHistory(stream: stream)
        #expect(local.count == 30)
        // b joins the chat late: it fetches the recent history from a.
        _ = await b.subscribe(.chat(stream))
        #expect(await waitUntil(timeout: 30) { (try? await b.chatHistory(stream: stream).count) == 30 })
        let texts = try await b.chatHistory(stream: stream).compactMap { m -> String? in
            if case .chat(let c) = m.content { return c.text } else { return nil }
        }
        #expect(texts == (10..<40).map { "line \($0)" })
        await a.stop(); await b.stop()
        // Reopened, the history is still there.
        let again = try await GossipNode.start(identity: .generate(), config: config, dataDirectory: dirB.path)
        #expect(try await again.chatHistory(stream: stream).count == 30)
        await again.stop()
    }
}
