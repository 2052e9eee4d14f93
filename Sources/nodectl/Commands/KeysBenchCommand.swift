import ArgumentParser
import Benchmarks
import Foundation
import PeerNode

/// What encrypting paid streams costs a viewer, against free streams in the same run.
struct KeysBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Paid (encrypted) against free playback: time to first segment, a key's round trip, decryption.",
        discussion: """
        Starts localnet and deploys the payment-channel program, then a creator and a viewer node in this \
        process. Each round the creator publishes a free and a paid (encrypted) 20 s VOD and the viewer \
        plays the first segment of each, as a player does (the order alternates). The first paid stream \
        also opens the viewer's channel to the creator on chain; it is shown on its own. Then the viewer \
        buys the keys of one paid stream one after another (a key's round trip), and the same segment's \
        bytes are decrypted and, as the baseline, verified with SHA-256.
        """)

    @Option(help: "Rounds (2...20); the first paid round also opens the channel.") var rounds = 5
    @Flag(name: .long, help: "Print results as JSON.") var json = false
    @Option(help: "Scratch directory (default: a temporary one).") var workDir: String?
    @Option(help: "The repository (localnet/, programs/out/); default: found above this executable.") var repo: String?

    func run() async throws {
        guard (2...20).contains(rounds) else { throw ValidationError("--rounds must be 2 to 20 (got \(rounds))") }
        let dir = workDir ?? (NSTemporaryDirectory() + "nodectl-bench-keys-\(getpid())")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { if workDir == nil { try? FileManager.default.removeItem(atPath: dir) } }
        Output.note("starting localnet and deploying the payment-channel program...")
        let chain = try await TransferBench.localChain(repo: repo, work: dir)
        let bench = PaidPlaybackBenchmark(chainRPC: chain.url, programId: chain.programId, workDirectory: dir + "/nodes",
                                          rounds: rounds, fund: chain.fund)
        let r = try await bench.run(log: { Output.note($0) })
        if json { Output.json(r); return }
        print(String(format: "first segment, free VOD        %6.0f ms  (median of %d rounds)", r.freeFirstSegmentMs, r.rounds))
        print(String(format: "first segment, paid VOD        %6.0f ms  (%.2fx the free one in the same run; channel already open)",
                     r.paidFirstSegmentMs, r.paidRatio))
        print(String(format: "first paid VOD, channel opened %6.0f ms  (the viewer's first stream from this creator)",
                     r.firstPaidWithChannelOpeningMs))
        print(String(format: "one key's round trip           %6.1f ms  (median of %d: voucher signed and stored, accepted durably, key back)",
                     r.keyRoundTripMs, r.keysTimed))
        print(String(format: "decrypt AES-128-CBC            %6.0f MB/s (%.2fx SHA-256 verification of the same %d-byte segment: %.0f MB/s)",
                     r.decryptMBps, r.decryptMBps / r.verifyMBps, r.segmentBytes, r.verifyMBps))
    }
}
