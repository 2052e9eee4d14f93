import Testing
@testable import Gossip
import Identity

@Suite struct RouterTests {
    let alice = KeyPair.generate().address
    let bob = KeyPair.generate().address

    func id(_ n: UInt8) -> MessageID { try! MessageID(bytes: Array(repeating: n, count: 32)) }

    @Test func sequencerDeliversInOrderOnceAndSkipsAGapAfterTheWindow() {
        var s = AuthorSequencer<Int>(maxHeld: 10)
        func accept(_ seq: UInt64, epoch: UInt64 = 1, now: UInt64 = 0) -> [Int]? {
            switch s.accept(Int(seq), topic: .streams, author: alice, epoch: epoch, seq: seq, now: now) {
            case .deliver(let items): return items
            case .held: return []
            case .stale: return nil
            }
        }
        #expect(accept(2) == [])          // waits for 1
        #expect(accept(3) == [])
        #expect(accept(1) == [1, 2, 3])   // the gap fills: all three in order
        #expect(accept(3) == nil)         // stale
        #expect(accept(5, now: 10) == []) // 4 is missing
        #expect(s.flush(now: 10 + 5, window: 100, idle: 1_000_000).isEmpty)
        #expect(s.flush(now: 10 + 100, window: 100, idle: 1_000_000) == [5])
        #expect(accept(4) == nil)         // too late: 5 already went out
        #expect(accept(1, epoch: 2) == [1])  // a new session starts over
        #expect(accept(9, epoch: 1) == nil)  // an older session is stale
    }

    @Test func sequencerReleasesEverythingWhenTooMuchIsHeld() {
        var s = AuthorSequencer<Int>(maxHeld: 3)
        for seq in 2...4 { _ = s.accept(Int(seq), topic: .streams, author: bob, epoch: 1, seq: UInt64(seq), now: 0) }
        guard case .deliver(let items) = s.accept(5, topic: .streams, author: bob, epoch: 1, seq: 5, now: 0) else {
            Issue.record("expected delivery"); return
        }
        #expect(items == [2, 3, 4, 5])
    }

    @Test func seenCacheExpiresAndCountsRepeatsPerPeer() {
        var seen = SeenCache(ttlSeconds: 1)
        seen.insert(id(1), from: alice, now: 0)
        #expect(seen.contains(id(1)))
        #expect(seen.noteDuplicate(id(1), from: alice) == 2)
        #expect(seen.noteDuplicate(id(1), from: bob) == 1)
        #expect(seen.hasSent(id(1), bob))
        seen.expire(now: 500_000_000)
        #expect(seen.contains(id(1)))
        seen.expire(now: 1_000_000_001)
        #expect(!seen.contains(id(1)))
    }

    @Test func messageCacheAdvertisesRecentWindowsAndLimitsRetransmissions() {
        let key = KeyPair.generate()
        var cache = MessageCache(historyLength: 3, historyGossip: 2)
        let e = Envelope(topic: .streams, author: key, epoch: 1, seq: 1, timestamp: 1, payload: [1])
        cache.put(e)
        #expect(cache.gossipIDs(for: .streams) == [e.id])
        #expect(cache.gossipIDs(for: .peers).isEmpty)
        let first = cache.getForPeer(e.id, alice, maxTransmissions: 2)
        let second = cache.getForPeer(e.id, alice, maxTransmissions: 2)
        let third = cache.getForPeer(e.id, alice, maxTransmissions: 2)
        #expect(first != nil && second != nil && third == nil)
        cache.shift(); cache.shift()
        #expect(cache.gossipIDs(for: .streams).isEmpty)  // beyond the gossip windows
        #expect(cache.get(e.id) != nil)                   // still answerable
        cache.shift()
        #expect(cache.get(e.id) == nil)
    }

    @Test func meshGraftsBelowTheLowMarkAndTrimsAboveTheHighMark() {
        var config = GossipConfig()
        config.meshDegree = 3; config.meshDegreeLow = 2; config.meshDegreeHigh = 4; config.meshDegreeScore = 1
        var mesh = MeshState()
        let peers = (0..<8).map { _ in KeyPair.generate().address }
        let (graft, prune) = mesh.maintain(.streams, candidates: peers, score: { _ in 0 }, config: config, now: 0)
        #expect(graft.count == 3 && prune.isEmpty)
        mesh.mesh[.streams] = Set(peers)
        let (g2, p2) = mesh.maintain(.streams, candidates: peers, score: { $0 == peers[7] ? 5 : 0 }, config: config, now: 0)
        #expect(g2.isEmpty && p2.count == 5)
        #expect(mesh.mesh[.streams]?.contains(peers[7]) == true)  // the best-scored peer is kept
        // A peer in back-off is not grafted; a negative one is pruned.
        mesh.mesh[.streams] = [peers[0]]
        mesh.addBackoff(.streams, peers[1], until: 100)
        let (g3, p3) = mesh.maintain(.streams, candidates: Array(peers.prefix(2)), score: { $0 == peers[0] ? -1 : 0 },
                                     config: config, now: 0)
        #expect(g3.isEmpty && p3 == [peers[0]])
    }

    @Test func scoreDecaysAndWeighsOffences() {
        let config = GossipConfig()
        var score = PeerScore()
        score.invalidMessages = 5
        #expect(score.value(config) == -100)
        #expect(score.value(config) < config.graylistThreshold)
        for _ in 0..<100 { score.decay(config.scoreDecay) }
        #expect(score.value(config) > config.gossipThreshold)
        score.firstDeliveries = 1000
        #expect(score.value(config) <= config.firstDeliveryCap * config.firstDeliveryWeight)
    }

    @Test func tokenBucketRefillsAtItsRate() {
        var bucket = TokenBucket(rate: 10, burst: 5, now: 0)
        var taken: [Bool] = []
        for _ in 0..<6 { taken.append(bucket.take(1, now: 0)) }
        taken.append(bucket.take(1, now: 100_000_000))  // 0.1 s later: one token
        taken.append(bucket.take(1, now: 100_000_000))
        #expect(taken == [true, true, true, true, true, false, true, false])
    }

    @Test func peerTableBacksOffFailedDialsAndStaysBounded() throws {
        var table = PeerTable(capacity: 3)
        let boot = KeyPair.generate()
        table.addBootstrap(BootstrapPeer(address: boot.address, endpoint: "tcp://127.0.0.1:1"), now: 0)
        var keys: [KeyPair] = []
        for i in 0..<5 {
            let k = KeyPair.generate()
            keys.append(k)
            let r = try SignedPeerRecord(PeerRecord(address: k.address, endpoints: ["tcp://127.0.0.1:\(100 + i)"],
                                                    pricePerChunk: 0, capabilities: [], seq: 1), signedBy: k)
            table.upsert(r, now: UInt64(i), protecting: [])
        }
        #expect(table.count == 3)
        #expect(table[boot.address] != nil)  // bootstrap peers are never evicted
        table.dialFailed(boot.address, now: 0, base: 1, cap: 8)
        #expect(!table.dialCandidates(now: 0, excluding: [], limit: 10).contains { $0.address == boot.address })
        #expect(table.dialCandidates(now: 2_000_000_000, excluding: [], limit: 10).contains { $0.address == boot.address })
        table.connected(boot.address, now: 0)
        #expect(table[boot.address]?.failures == 0)
    }
}
