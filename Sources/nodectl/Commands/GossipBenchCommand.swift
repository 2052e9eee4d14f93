import ArgumentParser
import Benchmarks
import Foundation
import Gossip

struct GossipBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gossip",
        abstract: "Gossip delivery and propagation latency across N in-process nodes, against raw ZeroMQ one-hop latency.")

    @Flag(name: .long, help: "Print results as JSON.") var json = false
    @Option(help: "Nodes to start (in this process, on 127.0.0.1).") var nodes = 50
    @Option(help: "Stream announcements to publish.") var announcements = 10
    @Option(help: "Chat messages to publish.") var messages = 500
    @Option(help: "Chat authors.") var authors = 10
    @Option(help: "Messages published per second, all publishers together.") var rate = 100.0

    func run() async throws {
        guard (2...500).contains(nodes), (0...100_000).contains(messages), (0...10_000).contains(announcements),
              authors >= 1, rate > 0, rate <= 100_000 else {
            throw ValidationError("--nodes must be 2...500, --messages 0...100000, --announcements 0...10000, --authors ≥ 1, --rate 0...100000")
        }
        var bench = GossipBenchmark()
        bench.nodes = nodes
        bench.announcements = announcements
        bench.chatMessages = messages
        bench.chatAuthors = min(authors, nodes)
        bench.publishRate = rate
        let r = try await bench.run(log: { Output.note($0) })
        if json {
            Output.json(r)
            return
        }
        func line(_ name: String, _ f: GossipBenchmark.Figures) -> String {
            String(format: "  %@ delivery %7.3f%%   p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms   p99 = %.0fx one hop",
                   name, f.deliveryRatio * 100, f.p50Millis, f.p99Millis, f.maxMillis, f.p99Millis / r.baselineP99Millis)
        }
        print("gossip benchmark: \(nodes) nodes, \(announcements) announcements, \(messages) chat messages from \(bench.chatAuthors) authors at \(Int(rate))/s")
        print(String(format: "  raw ZeroMQ one hop (CURVE, tcp 127.0.0.1)  p50 %7.3f ms  p99 %7.3f ms   (baseline)",
                     r.baselineP50Millis, r.baselineP99Millis))
        print(String(format: "  meshes formed in %.1f s", r.meshSeconds))
        print(line("announcements", r.announcements))
        print(line("chat         ", r.chat))
        print(String(format: "  throughput    %.0f deliveries/s, %.0f published/s, %.2f duplicate copies per accepted message",
                     r.deliveriesPerSecond, r.publishedPerSecond, r.duplicatesPerDelivery))
        print(String(format: "  CPU           %.1f µs per delivery (every node's share, this process), %.1f µs per raw hop = %.1fx",
                     r.cpuMicrosPerDelivery, r.baselineCPUMicrosPerHop, r.cpuMicrosPerDelivery / max(0.001, r.baselineCPUMicrosPerHop)))
    }
}
