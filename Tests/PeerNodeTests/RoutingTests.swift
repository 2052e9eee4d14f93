import ContentStore
import Foundation
import Gossip
import Identity
import Testing
@testable import PeerNode

/// Content routing at crowd size: exchanges in this process over 127.0.0.1
/// (real ZeroMQ, real LMDB), many of them peers that do not hold the chunk.
@Suite(.serialized)
struct RoutingTests {
    typealias Node = ExchangeTests.Node

    func randomBytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8.random(in: 0...255) } }

    /// Starts `count` nodes, a few at a time (each is a ZeroMQ socket pair and a thread).
    func crowd(_ count: Int, _ config: NodeConfig = Node.relaxed) async throws -> [Node] {
        var out: [Node] = []
        for _ in 0..<count { out.append(try await Node(config)) }
        return out
    }

    func closeAll(_ nodes: [Node]) async { for n in nodes { await n.close() } }

    /// Links `viewer` to every node and waits until its exchange lists them.
    func link(_ viewer: Node, to nodes: [Node], price: (Node) -> UInt64 = { _ in 0 }) async {
        for n in nodes { await viewer.exchange.addPeer(n.key.address, endpoint: n.exchange.endpoint, price: price(n)) }
    }

    @Test func fiftyPeersWithoutTheChunkCostOneHaveRound() async throws {
        let lackers = try await crowd(50)
        let holder = try await Node(), viewer = try await Node()
        let added = try holder.store.addBytes(randomBytes(900_000), name: "segment")
        // The holder is linked last: ordered by anything but what peers hold,
        // the fifty others come first.
        await link(viewer, to: lackers + [holder])
        try await viewer.exchange.ensureAll(added.manifest.chunks)
        for cid in added.manifest.chunks { #expect(viewer.store.hasChunk(cid)) }
        #expect(viewer.metrics.value(.haveRounds) == 1, "one \"have?\" round for the segment")
        #expect(viewer.metrics.value(.haveAnswers) >= 1)
        let asked = lackers.reduce(UInt64(0)) { $0 + $1.metrics.value(.requestsMissed) }
        #expect(asked == 0, "no chunk request went to a peer that said it lacks the chunk")
        #expect(holder.metrics.value(.chunksServed) == UInt64(added.manifest.chunks.count))
        #expect(viewer.metrics.value(.requestTimeouts) == 0)
        await closeAll(lackers + [holder, viewer])
    }

    @Test func aRelayBehindACrowdOfFreeViewersIsReached() async throws {
        // The failure seen with 7 viewers: a viewer knows many free fellow
        // viewers (who never forward) and one relay; the relay knows the creator.
        let fellows = try await crowd(20)
        let creator = try await Node(), relay = try await Node(), viewer = try await Node()
        let data = randomBytes(1_500_000)
        let added = try creator.store.addBytes(data, name: "segment")
        await relay.exchange.addPeer(creator.key.address, endpoint: creator.exchange.endpoint)
        await link(relay, to: fellows)
        await link(viewer, to: fellows + [relay])
        try await viewer.exchange.ensureAll(added.manifest.chunks)
        let file = try viewer.store.putManifest(added.manifest, pin: false)
        #expect(try viewer.store.readFile(file) == data)
        #expect(relay.metrics.value(.chunksForwarded) >= UInt64(added.manifest.chunks.count))
        let missed = fellows.reduce(UInt64(0)) { $0 + $1.metrics.value(.requestsMissed) }
        #expect(missed == 0, "the fellows said in the have round that they lack it; nobody asked them for it")
        await closeAll(fellows + [creator, relay, viewer])
    }

    @Test func aFellowViewerThatHoldsItIsPreferredToARelay() async throws {
        let creator = try await Node(), relay = try await Node(), first = try await Node(), second = try await Node()
        let data = randomBytes(800_000)
        let added = try creator.store.addBytes(data, name: "segment")
        await relay.exchange.addPeer(creator.key.address, endpoint: creator.exchange.endpoint)
        await first.exchange.addPeer(creator.key.address, endpoint: creator.exchange.endpoint)
        try await first.exchange.ensureAll(added.manifest.chunks)
        let forwarded = relay.metrics.value(.chunksForwarded)
        #expect(forwarded == 0)
        // The second viewer knows the relay (which would forward) and the first viewer (which holds it).
        await second.exchange.addPeer(relay.key.address, endpoint: relay.exchange.endpoint)
        await second.exchange.addPeer(first.key.address, endpoint: first.exchange.endpoint)
        try await second.exchange.ensureAll(added.manifest.chunks)
        let file = try second.store.putManifest(added.manifest, pin: false)
        #expect(try second.store.readFile(file) == data)
        #expect(first.metrics.value(.chunksServed) == UInt64(added.manifest.chunks.count),
                "the fellow viewer that holds the segment serves all of it")
        #expect(relay.metrics.value(.chunksForwarded) == forwarded, "the relay is not asked to forward what a peer holds")
        await closeAll([creator, relay, first, second])
    }

    @Test func theOnlyHolderTooExpensiveIsAPaymentAnswer() async throws {
        let lackers = try await crowd(5)
        let holder = try await Node(), viewer = try await Node()
        let added = try holder.store.addBytes(randomBytes(1000), name: "chunk")
        await link(viewer, to: lackers)
        // A node without a payment program may use free peers only.
        await viewer.exchange.addPeer(holder.key.address, endpoint: holder.exchange.endpoint, price: 5_000)
        let started = Date()
        do {
            try await viewer.exchange.ensure(added.manifest.chunks[0])
            Issue.record("fetched from a peer it may not pay")
        } catch {
            guard case .paymentRequired(let why) = error else {
                Issue.record("expected a payment answer, got \(error)")
                return
            }
            #expect(why.contains("5000 lamports per chunk"), "names the price: \(why)")
            #expect(why.contains("no payment program"), "names why it may not: \(why)")
        }
        #expect(Date().timeIntervalSince(started) < 8, "a clear answer, not a search until the time-out")
        #expect(holder.metrics.value(.chunksServed) == 0)
        await closeAll(lackers + [holder, viewer])
    }

    @Test func nobodyHoldsItIsAFastClearAnswer() async throws {
        let lackers = try await crowd(10)
        let viewer = try await Node()
        await link(viewer, to: lackers)
        let started = Date()
        do {
            try await viewer.exchange.ensure(CID.hashing(Array("nobody has this".utf8)))
            Issue.record("fetched a chunk nobody has")
        } catch {
            #expect("\(error)".contains("no peer holds or forwards"), "\(error)")
        }
        #expect(Date().timeIntervalSince(started) < 8, "bounded by the peers that can help, not the search's time")
        await closeAll(lackers + [viewer])
    }

    @Test func aPayeeNobodyIntroducedIsFoundThroughPeers() async throws {
        // A viewer that knows only a relay asks who the creator is; the relay
        // passes on the creator's signed record, which the viewer verifies.
        let creatorKey = KeyPair.generate()
        let record = try SignedPeerRecord(PeerRecord(address: creatorKey.address, endpoints: ["tcp://127.0.0.1:4001"],
                                                     pricePerChunk: 0, capabilities: [], seq: 1), signedBy: creatorKey)
        let relay = try await Node(), viewer = try await Node()
        await relay.exchange.setRecordLookup { $0 == creatorKey.address ? record.wire : nil }
        await viewer.exchange.addPeer(relay.key.address, endpoint: relay.exchange.endpoint)
        let found = await viewer.exchange.findPeerRecord(creatorKey.address) { wire in
            (try? SignedPeerRecord(wire: wire))?.record.address == creatorKey.address
        }
        #expect(found)
        let stranger = KeyPair.generate().address
        #expect(await viewer.exchange.findPeerRecord(stranger, timeout: 1) { _ in true } == false,
                "nobody knows a stranger: a clear no, within the time-out")
        await closeAll([relay, viewer])
    }

    @Test func exchangeConfigNamesTheBadField() {
        var config = ExchangeConfig()
        config.haveTimeout = 0
        #expect(throws: PeerNodeError.badConfig("exchange haveTimeout: must be above 0 and at most searchTimeout")) {
            try config.validate()
        }
        config = ExchangeConfig()
        config.searchTimeout = 1
        config.requestTimeout = 4
        #expect(throws: PeerNodeError.badConfig("exchange searchTimeout: must be at least requestTimeout and at most 3600 s")) {
            try config.validate()
        }
        #expect(throws: Never.self) { try ExchangeConfig(NodeConfig()).validate() }
    }
}
