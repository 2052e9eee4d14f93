import Foundation
import Gossip
import Identity
import NetworkLab
import Transport

/// `nodectl bench gossip`: N nodes in this process joined through
/// bootstrap peers and peer exchange; announcements and chat published at a
/// steady rate; delivery ratio and propagation latency (from the publish
/// call to the moment each other node hands the message to its subscribers,
/// in order), next to the one-hop latency of raw ZeroMQ measured in the same run.
public struct GossipBenchmark: Sendable {
    public var nodes = 50
    public var announcements = 10
    public var chatMessages = 500
    public var chatAuthors = 10
    /// Messages published per second, all publishers together.
    public var publishRate = 100.0
    public var baselineSamples = 2000
    /// How long to wait for the last deliveries.
    public var drainTimeout = 60.0
    public var config: GossipConfig

    public init(config: GossipConfig = GossipConfig()) { self.config = config }

    public struct Figures: Sendable, Codable {
        public var deliveryRatio: Double
        public var p50Millis: Double
        public var p99Millis: Double
        public var maxMillis: Double
    }

    public struct Result: Sendable, Codable {
        public var nodes: Int
        public var baselineP50Millis: Double
        public var baselineP99Millis: Double
        public var meshSeconds: Double
        public var announcements: Figures
        public var chat: Figures
        /// Deliveries to subscribers per second, over the publishing and propagation window.
        public var deliveriesPerSecond: Double
        /// Messages published per second.
        public var publishedPerSecond: Double
        public var duplicatesPerDelivery: Double
        /// This process's CPU time (every node is in it) from the first
        /// publish to the last delivery, per message delivered to a subscriber.
        public var cpuMicrosPerDelivery: Double
        /// The same for one raw ZeroMQ CURVE hop of the baseline: what a
        /// delivery costs beyond moving the bytes once.
        public var baselineCPUMicrosPerHop: Double
    }

    /// A subscriber's record of what arrived, and when.
    private actor Arrivals {
        var times: [MessageID: [UInt64]] = [:]
        var total = 0
        func add(_ id: MessageID, _ t: UInt64) {
            times[id, default: []].append(t)
            total += 1
        }
    }

    public func run(log: @escaping @Sendable (String) -> Void) async throws -> Result {
        log("baseline: \(baselineSamples) ZeroMQ round trips")
        let cpuBefore = Self.processCPUMicros()
        let hops = try await ZMQBaseline.oneHopLatencies(samples: baselineSamples, payloadBytes: 200).sorted()
        // A round trip is two hops.
        let hopCPU = Double(Self.processCPUMicros() - cpuBefore) / Double(max(1, 2 * baselineSamples))

        log("starting \(nodes) nodes")
        var c = config
        c.targetConnections = max(c.targetConnections, 8)
        let cluster = try await LocalCluster.start(count: nodes, config: c, bootstrapCount: max(1, min(5, nodes / 10)),
                                                   progress: { n in if n % 10 == 0 { log("  \(n) nodes up") } })
        do {
            return try await measure(cluster, hops: hops, hopCPU: hopCPU, log: log)
        } catch {
            await cluster.stop()
            throw error
        }
    }

    private func measure(_ cluster: LocalCluster, hops: [UInt64], hopCPU: Double, log: @escaping @Sendable (String) -> Void) async throws -> Result {
        let chatStream = try StreamID(creator: cluster.nodes[0].address, name: "bench")
        let chatTopic = Topic.chat(chatStream)

        let arrivals = Arrivals()
        var consumers: [Task<Void, Never>] = []
        for node in cluster.nodes {
            for topic in [Topic.streams, chatTopic] {
                let stream = await node.subscribe(topic)
                let me = node.address
                consumers.append(Task {
                    for await m in stream where m.author != me {
                        if case .peerRecord = m.content { continue }
                        if case .moderation = m.content { continue }
                        await arrivals.add(m.id, m.deliveredAt)
                    }
                })
            }
        }
        let meshStart = monotonicNanos()
        log("waiting for the meshes")
        let formed = await cluster.waitForMesh(chatTopic, minPeers: min(4, nodes - 1),
                                               minMesh: min(config.meshDegreeLow, nodes - 1), timeout: 120)
        let meshSeconds = Double(monotonicNanos() - meshStart) / 1e9
        if !formed { log("warning: not every node reached its mesh degree; measuring anyway") }
        try await Task.sleep(nanoseconds: UInt64(config.heartbeatInterval * 2e9))

        // Publish: announcements from distinct creators, chat from `chatAuthors` authors, interleaved at the rate.
        struct Sent { let id: MessageID; let at: UInt64; let isChat: Bool }
        var sent: [Sent] = []
        let total = announcements + chatMessages
        let gap = UInt64(1e9 / max(1, publishRate))
        log("publishing \(announcements) announcements and \(chatMessages) chat messages at \(Int(publishRate))/s")
        let publishStart = monotonicNanos()
        let cpuStart = Self.processCPUMicros()
        var a = 0, m = 0
        for i in 0..<total {
            let due = publishStart + UInt64(i) * gap
            let now = monotonicNanos()
            if due > now { try await Task.sleep(nanoseconds: due - now) }
            let announce = a < announcements && (m >= chatMessages || i % max(1, total / max(1, announcements)) == 0)
            if announce {
                let creator = cluster.nodes[(a * 7 + 3) % nodes]
                let stream = try StreamID(creator: creator.address, name: "live-\(a)")
                let t = monotonicNanos()
                let id = try await creator.announce(StreamAnnouncement(stream: stream, title: "Stream \(a)",
                                                                       pricePerSecond: 10, liveSegment: UInt64(a)))
                sent.append(Sent(id: id, at: t, isChat: false))
                a += 1
            } else {
                let author = cluster.nodes[m % min(chatAuthors, nodes)]
                let t = monotonicNanos()
                let id = try await author.sendChat(stream: chatStream, text: "bench \(m)")
                sent.append(Sent(id: id, at: t, isChat: true))
                m += 1
            }
            if (i + 1) % 100 == 0 { log("  published \(i + 1)/\(total)") }
        }
        let publishEnd = monotonicNanos()
        let expected = sent.count * (nodes - 1)
        log("waiting for deliveries")
        let drained = await waitUntil(timeout: drainTimeout, poll: 0.05) { await arrivals.total >= expected }
        if !drained { log("warning: \(expected - (await arrivals.total)) deliveries missing after \(Int(drainTimeout)) s") }
        let cpuUsed = Self.processCPUMicros() - cpuStart
        let times = await arrivals.times
        let lastArrival = times.values.flatMap { $0 }.max() ?? publishEnd
        for task in consumers { task.cancel() }

        func figures(_ chat: Bool) -> Figures {
            var latencies: [Double] = []
            var delivered = 0
            let group = sent.filter { $0.isChat == chat }
            for s in group {
                let arrivals = times[s.id] ?? []
                delivered += min(arrivals.count, nodes - 1)
                for t in arrivals { latencies.append(Double(t &- s.at) / 1e6) }
            }
            latencies.sort()
            func pct(_ p: Double) -> Double {
                latencies.isEmpty ? .nan : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
            }
            let want = group.count * (nodes - 1)
            return Figures(deliveryRatio: want == 0 ? 1 : Double(delivered) / Double(want),
                           p50Millis: pct(0.5), p99Millis: pct(0.99), maxMillis: latencies.last ?? .nan)
        }
        var duplicates = 0, accepted = 0
        for node in cluster.nodes {
            let s = await node.statistics()
            duplicates += s.duplicates
            accepted += s.accepted
        }
        let totalDelivered = times.values.reduce(0) { $0 + $1.count }
        let window = Double(max(lastArrival, publishEnd) - publishStart) / 1e9
        func hop(_ p: Double) -> Double { Double(hops[min(hops.count - 1, Int(Double(hops.count) * p))]) / 1e6 }
        await cluster.stop()
        return Result(nodes: nodes, baselineP50Millis: hop(0.5), baselineP99Millis: hop(0.99), meshSeconds: meshSeconds,
                      announcements: figures(false), chat: figures(true),
                      deliveriesPerSecond: Double(totalDelivered) / window,
                      publishedPerSecond: Double(sent.count) / (Double(publishEnd - publishStart) / 1e9),
                      duplicatesPerDelivery: accepted == 0 ? 0 : Double(duplicates) / Double(accepted),
                      cpuMicrosPerDelivery: Double(cpuUsed) / Double(max(1, totalDelivered)),
                      baselineCPUMicrosPerHop: hopCPU)
    }

    /// User and system CPU time of this process so far, microseconds.
    static func processCPUMicros() -> Int64 {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func micros(_ t: timeval) -> Int64 { Int64(t.tv_sec) * 1_000_000 + Int64(t.tv_usec) }
        return micros(usage.ru_utime) + micros(usage.ru_stime)
    }
}
