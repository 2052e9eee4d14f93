import Foundation
@testable import NetworkLab
import Testing

/// Each check of `nodectl sim`, fed figures that balance (it holds) and
/// figures that do not (it fails, and its line names both figures).
struct SimChecksTests {
    func player(_ segments: [UInt64], bytes: UInt64 = 300, creatorBytes: UInt64 = 300, end: Bool = true,
                mismatched: [UInt64] = []) -> SimPlayback {
        var p = SimPlayback(viewer: "fan-1", stream: "addr/vod", joinAt: 0, wantedEnd: true)
        p.segments = segments
        p.bytes = bytes
        p.creatorBytes = creatorBytes
        p.reachedEnd = end
        p.mismatched = mismatched
        return p
    }
    let listed = [SimFigures.StreamSegments(stream: "addr/vod", sequences: [0, 1, 2])]

    @Test("playback: every segment, in order, the creator's bytes")
    func playback() {
        #expect(SimChecks.playback([player([0, 1, 2])], streams: listed).allSatisfy { $0.passed })

        let missing = SimChecks.playback([player([0, 2])], streams: listed).filter { !$0.passed }
        let count = missing.first { $0.name == "played every segment" }
        #expect(count?.line.contains("segments played is 2 but segments the creator lists is 3") == true, "\(missing.map(\.line))")
        #expect(missing.contains { $0.name == "segments in order" })

        let bytes = SimChecks.playback([player([0, 1, 2], bytes: 299, mismatched: [1])], streams: listed).filter { !$0.passed }
        #expect(bytes.contains { $0.line.contains("bytes played is 299 but the creator's bytes of the same segments is 300") }, "\(bytes.map(\.line))")
        #expect(bytes.contains { $0.name == "no segment differs" && $0.line.contains("[1]") })

        let early = SimChecks.playback([player([0, 1], end: false)], streams: listed).filter { !$0.passed }
        #expect(early.contains { $0.name == "reached the end" })
    }

    @Test("a viewer that left early is not held to every segment")
    func leftEarly() {
        var p = player([0])
        p.wantedEnd = false
        p.reachedEnd = false
        #expect(SimChecks.playback([p], streams: listed).allSatisfy { $0.passed })
    }

    func channel(spent: UInt64, accepted: UInt64, claimed: UInt64, onChain: UInt64) -> SimFigures.Channel {
        SimFigures.Channel(channel: "Chan1111xyz", payer: "fan-1", payee: "relay-2", spentPerPayer: spent,
                           acceptedPerPayee: accepted, claimedPerPayee: claimed, claimedOnChain: onChain,
                           lamportsOnChain: 0, depositOnChain: 0)
    }

    @Test("channels: spent = accepted, and the payee's claimed = the chain")
    func channels() {
        #expect(SimChecks.channels([channel(spent: 9_000, accepted: 9_000, claimed: 9_000, onChain: 9_000)]).allSatisfy { $0.passed })
        let failed = SimChecks.channels([channel(spent: 9_000, accepted: 8_000, claimed: 8_000, onChain: 7_000)]).filter { !$0.passed }
        #expect(failed.map(\.line) == [
            "channel Chan1111 fan-1 → relay-2: fan-1's spent on it is 9000 but relay-2's best voucher is 8000",
            "channel Chan1111 fan-1 → relay-2: claimed per relay-2 is 8000 but claimed on chain is 7000",
        ])
    }

    @Test("lamports: airdropped = balances + channel accounts + fees, to the lamport")
    func lamports() {
        let ok = SimFigures.Lamports(airdropped: 4_000_000_000, balances: ["a": 1_999_000_000, "b": 1_980_000_000],
                                     inChannels: 20_990_000, fees: ["a": 5_000, "b": 5_000])
        #expect(SimChecks.lamports(ok).allSatisfy { $0.passed })
        var lost = ok
        lost.balances["b"] = 1_979_999_999
        let failed = SimChecks.lamports(lost)
        #expect(failed.count == 1 && !failed[0].passed)
        #expect(failed[0].line.contains("airdropped to the nodes is 4000000000 but final balances (3978999999) + channel accounts (20990000) + fees (10000) is 3999999999"),
                "\(failed[0].line)")
    }

    @Test("durability: what a node accepted before a kill it still has at the end")
    func durability() {
        let kept = SimFigures.Durable(node: "relay-2", channel: "Chan2222", side: "accepted", beforeKill: 6_000, atEnd: 9_000)
        #expect(SimChecks.durability([kept]).allSatisfy { $0.passed })
        var lost = kept
        lost.atEnd = 5_000
        let failed = SimChecks.durability([lost])
        #expect(failed.count == 1 && !failed[0].passed)
        #expect(failed[0].line == "relay-2 channel Chan2222: accepted before the kill is 6000, more than accepted at the end, 5000")
    }
}

/// The per-node cost the report states, read from /proc.
struct ProcessUsageTests {
    @Test("a /proc stat line whose command holds spaces and parentheses, and VmHWM")
    func parse() {
        let stat = "4242 (nodectl (daemon) x) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 50 0 0 20 0 9 0 12345 100 200"
        let status = "Name:\tnodectl\nVmPeak:\t  90000 kB\nVmHWM:\t   44000 kB\nVmRSS:\t   40000 kB\n"
        #expect(ProcessUsage.parse(stat: stat, status: status, ticksPerSecond: 100) == ProcessUsage(cpuSeconds: 3, peakMemoryBytes: 44000 * 1024))
        #expect(ProcessUsage.parse(stat: "4242 (x) S 1", status: status, ticksPerSecond: 100) == nil, "too few fields")
        #expect(ProcessUsage.parse(stat: stat, status: "Name: x\n", ticksPerSecond: 100) == nil, "no VmHWM")
    }

    @Test("this test process itself: some CPU used, some memory held")
    func ownProcess() throws {
        // Busy for 50 ms first, so there is CPU time to see at /proc's 10 ms granularity.
        let until = Date().addingTimeInterval(0.05)
        var spins = 0
        while Date() < until && spins < 100_000_000 { spins += 1 }
        let usage = try #require(ProcessUsage.read(pid: getpid()))
        #expect(usage.cpuSeconds > 0 && usage.peakMemoryBytes > 1 << 20)
    }
}
