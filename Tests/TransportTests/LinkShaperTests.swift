import Foundation
import Identity
import Testing
@testable import Transport

/// The simulated network conditions are what two real ZeroMQ links see:
/// an echo probe's round trip, a capped uplink's throughput, seeded losses.
struct LinkShaperTests {
    /// Starts B (unshaped) and A (with `conditions`), A dialled to B; B echoes every message.
    private func pair(_ conditions: LinkConditions?) async throws -> (a: DirectChannel, b: DirectChannel, bAddress: Address) {
        let bKey = KeyPair.generate()
        let b = try await DirectChannel.start(identity: bKey)
        Task {
            for await m in b.messages {
                b.send(m.bytes, to: m.from)
                b.handled(bytes: m.bytes.count)
            }
        }
        var options = DirectChannel.Options()
        options.shaper = conditions.map(LinkShaper.init)
        let a = try await DirectChannel.start(identity: KeyPair.generate(), options: options)
        try a.connect(bKey.address, endpoint: b.endpoint)
        return (a, b, bKey.address)
    }

    /// Median round trip of `count` echoes of `bytes`, one at a time, seconds.
    private func echoes(_ a: DirectChannel, _ replies: Inbox, to b: Address, count: Int, bytes: Int = 64) async throws -> [Double] {
        var times: [Double] = []
        for i in 0..<count {
            let start = monotonicNanos()
            a.send([UInt8(i % 256)] + [UInt8](repeating: 0, count: bytes - 1), to: .outbound(b))
            guard let reply = await replies.next(within: 10) else {
                Issue.record("no echo \(i)"); break
            }
            a.handled(bytes: reply.bytes.count)
            #expect(reply.bytes.first == UInt8(i % 256), "echoes come back in order")
            times.append(Double(monotonicNanos() - start) / 1e9)
        }
        return times.sorted()
    }

    @Test func anEchoProbeSeesTheConfiguredRoundTrip() async throws {
        let plain = try await pair(nil)
        let baseline = try await echoes(plain.a, Inbox(plain.a), to: plain.bAddress, count: 21)[10]
        plain.a.stop(); plain.b.stop()

        // A's 50 ms one-way delay applies to what it sends and what it receives.
        let shaped = try await pair(LinkConditions(latency: 0.050))
        defer { shaped.a.stop(); shaped.b.stop() }
        let median = try await echoes(shaped.a, Inbox(shaped.a), to: shaped.bAddress, count: 21)[10]
        let added = median - baseline
        print(String(format: "echo probe: configured round trip 100.0 ms, measured %.1f ms above an unshaped %.2f ms", added * 1000, baseline * 1000))
        #expect(abs(added - 0.100) <= 0.010, "round trip added \(added * 1000) ms, configured 100 ms (within 10%)")
    }

    @Test func aCappedUplinkCarriesItsRate() async throws {
        // 1 MB through a 500 KB/s uplink: 2 s, whatever the frames' sizes.
        let shaped = try await pair(LinkConditions(uplink: 500_000))
        defer { shaped.a.stop(); shaped.b.stop() }
        let replies = Inbox(shaped.a)
        _ = try await echoes(shaped.a, replies, to: shaped.bAddress, count: 1)   // the link is up
        let start = monotonicNanos()
        for i in 0..<20 { shaped.a.send([UInt8(i)] + [UInt8](repeating: 7, count: 49_999), to: .outbound(shaped.bAddress)) }
        var last = 0.0
        for i in 0..<20 {
            guard let reply = await replies.next(within: 20) else { Issue.record("frame \(i) never came back"); return }
            shaped.a.handled(bytes: reply.bytes.count)
            #expect(reply.bytes.first == UInt8(i))
            last = Double(monotonicNanos() - start) / 1e9
        }
        print(String(format: "uplink cap: 1,000,000 bytes at 500,000 B/s configured 2.00 s, took %.2f s", last))
        #expect(abs(last - 2.0) <= 0.2, "took \(last) s, configured 2 s (within 10%)")
    }

    @Test func lossesComeFromTheSeedAndCostARetransmission() {
        func run(seed: UInt64) -> (lost: Int, lateCount: Int) {
            let shaper = LinkShaper(LinkConditions(latency: 0.01, loss: 0.25, seed: seed))
            var late = 0
            for _ in 0..<4000 {
                let due = shaper.due(bytes: 100, .up, now: 1_000_000_000)
                if due == 1_000_000_000 + UInt64((0.01 + LinkConditions.retransmitDelay) * 1e9) { late += 1 }
                else { #expect(due == 1_000_000_000 + 10_000_000) }
            }
            return (shaper.counts.lost, late)
        }
        let first = run(seed: 7)
        #expect(first.lost == first.lateCount)
        #expect((880...1120).contains(first.lost), "\(first.lost) of 4000 lost at 25%")
        #expect(run(seed: 7).lost == first.lost, "the same seed, the same losses")
        #expect(run(seed: 8).lost != first.lost)
    }

    @Test func aLateFrameHoldsBackItsOwnLinkOnly() {
        let x = Link.outbound(KeyPair.generate().address), y = Link.outbound(KeyPair.generate().address)
        var queue = DueQueue<Int>()
        queue.add(1, link: x, due: 500)   // "lost": late
        queue.add(2, link: x, due: 100)   // behind it on the same link
        queue.add(3, link: y, due: 100)   // another link goes ahead
        #expect(queue.takeDue(200) == [3])
        #expect(queue.takeDue(500) == [1, 2])
        #expect(queue.takeDue(10_000).isEmpty)
    }

    @Test func impossibleConditionsAreNamed() {
        #expect(LinkConditions(latency: -1).problem?.contains("latency") == true)
        #expect(LinkConditions(uplink: 10).problem?.contains("uplink") == true)
        #expect(LinkConditions(downlink: 0).problem?.contains("downlink") == true)
        #expect(LinkConditions(loss: 1).problem?.contains("loss") == true)
        #expect(LinkConditions(latency: 0.03, uplink: 1e6, downlink: 2e6, loss: 0.01).problem == nil)
    }
}

/// What a channel receives, taken one at a time with a deadline.
private actor Inbox {
    private var waiting: [DirectChannel.Message] = []
    private var reader: Task<Void, Never>?

    init(_ channel: DirectChannel) {
        let messages = channel.messages
        Task { await self.start(messages) }
    }

    private func start(_ messages: AsyncStream<DirectChannel.Message>) {
        reader = Task { for await m in messages { self.add(m) } }
    }

    private func add(_ m: DirectChannel.Message) { waiting.append(m) }

    /// The next message, or nil after `seconds` (checked every half millisecond).
    func next(within seconds: Double) async -> DirectChannel.Message? {
        let deadline = monotonicNanos() + UInt64(seconds * 1e9)
        while waiting.isEmpty, monotonicNanos() < deadline {
            try? await Task.sleep(nanoseconds: 500_000)
        }
        return waiting.isEmpty ? nil : waiting.removeFirst()
    }
}
