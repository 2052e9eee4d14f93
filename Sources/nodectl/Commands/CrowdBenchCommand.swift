import ArgumentParser
import Foundation
import NetworkLab

/// The demo's network at the size people run it: one creator, many relays,
/// a crowd of free viewers, each viewer knowing one relay.
struct CrowdBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crowd",
        abstract: "A crowd of viewers playing one paid VOD: time to first segment, stalls, who served the bytes.",
        discussion: """
        Runs the demo's network (localnet, the payment-channel program, real daemons on 127.0.0.1, the \
        demo's prices: the creator 2,000 lamports a chunk and 5,000 a second, relays 1,000 a chunk, free \
        viewers paying at most 1,500 a chunk) with --relays relays bootstrapping from the creator and \
        --viewers viewers each bootstrapping from one relay. The creator publishes a generated VOD of \
        --seconds seconds; every viewer plays it from its own node's /hls/ URL at once, as a player does, \
        and every segment is compared with the creator's bytes and frames. It prints time to first \
        segment (p50, p95, max), the stalls a real-time player would have had, the share of bytes the \
        viewers, relays and creator served, and every money cross-check of the demo; it exits 1 if a \
        check fails. 60 nodes: --relays 6 --viewers 53.
        """)

    @Option(help: "Relays (1...20).") var relays = 6
    @Option(help: "Viewers (1...200).") var viewers = 53
    @Option(help: "Length of the VOD in seconds (4...600).") var seconds = 30
    @Flag(name: .long, help: "Print the summary as JSON.") var json = false
    @Flag(name: .long, help: "Leave the chain and the daemons running.") var keep = false
    @Option(name: .long, help: ArgumentHelp("Work directory (new or empty).", valueName: "dir")) var workDir: String?
    @Option(name: .long, help: ArgumentHelp("The repository (localnet/, programs/out/).", valueName: "dir")) var repo: String?

    func validate() throws {
        guard (1...20).contains(relays) else { throw ValidationError("--relays must be 1 to 20 (got \(relays))") }
        guard (1...200).contains(viewers) else { throw ValidationError("--viewers must be 1 to 200 (got \(viewers))") }
        guard (4...600).contains(seconds) else { throw ValidationError("--seconds must be 4 to 600 (got \(seconds))") }
    }

    func run() throws {
        var settings = DemoSettings()
        settings.relayCount = relays
        settings.viewerCount = viewers
        settings.vodSeconds = seconds
        settings.withLive = false
        // A crowd's players run at once on a small machine: wait longer, and
        // give each viewer enough SOL for its channels (deposit + fees).
        settings.streamKnownTimeout = 60 + Double(viewers)
        settings.liveTimeout = 120 + 2 * Double(seconds) + Double(viewers)
        settings.settleTimeout = 60 + Double(viewers)
        try DemoCommand.run(settings: settings, json: json, keep: keep, workDir: workDir, repo: repo,
                            title: "nodectl bench crowd")
    }
}
