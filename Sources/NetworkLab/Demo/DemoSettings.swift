import Foundation
import Identity
import PayChannel
import PeerNode
import Solana

/// Every number the demo uses, in one place: who charges what, the
/// thresholds that make vouchers flow within a short video, the tips, the
/// videos' length and every bound on waiting. Amounts are lamports.
public struct DemoSettings: Sendable {
    public init() {}

    // Prices. The creator charges relays per chunk and viewers per second
    // watched; relays charge viewers per chunk; viewers charge nothing.
    public var creatorPricePerChunk: UInt64 = 2_000
    public var creatorPricePerSecond: UInt64 = 5_000
    public var relayPricePerChunk: UInt64 = 1_000
    /// A tip of at least this much pins its chat line.
    public var tipPinPrice: UInt64 = 20_000

    // The viewers' limits: generous for seconds and per stream; per chunk
    // below the creator's price, so viewers fetch through the relays (the
    // creator is still paid per second watched, whoever relays the bytes).
    public var viewerMaxPricePerChunk: UInt64 = 1_500
    public var viewerMaxPricePerSecond: UInt64 = 50_000
    public var viewerSpendingCapPerStream: UInt64 = 10_000_000

    // A payer pays at half the payment threshold: here after every chunk,
    // so vouchers flow all through the videos and no debt is left unpaid at
    // the end (each channel's total is then exactly chunks × price, checked).
    // A payee that is not paid stops serving well past it.
    public var paymentThreshold: UInt64 = 2_000
    public var disconnectThreshold: UInt64 = 60_000
    public var claimInterval = 1.0
    public var channelDeposit: UInt64 = 20_000_000

    /// SOL airdropped to each node (channel deposits and fees come out of it).
    public var airdropLamports: UInt64 = 2 * WellKnown.lamportsPerSol
    /// The throwaway key that deploys the program (rent for ~2× its size).
    public var deployerLamports: UInt64 = 20 * WellKnown.lamportsPerSol

    // Tips: viewer-1 tips with a chat line (above the pin price), viewer-2 without.
    public var tipWithMessage: UInt64 = 25_000
    public var tipWithoutMessage: UInt64 = 10_000

    // The videos: a VOD (720p, cut by the creator's daemon) and a live
    // stream (ffmpeg writing HLS in real time); 2-second segments.
    public var vodSeconds = 10
    public var liveSeconds = 12
    public var segmentSeconds = 2

    // Bounds on every wait (seconds).
    public var daemonStartTimeout = 60.0
    public var streamKnownTimeout = 40.0
    public var liveTimeout = 90.0
    public var chatTimeout = 30.0
    public var settleTimeout = 30.0
    /// How long every payment figure must stay unchanged to count as settled.
    public var settleQuietSeconds = 2.0
    public var apiTimeout = 60.0
    public var ffmpegTimeout = 180.0

    // How many relays and viewers (the demo: 2 and 2; `nodectl bench crowd`
    // more). Each viewer knows one relay (viewer-i bootstraps from relay
    // i mod relayCount) and finds the rest through peer exchange.
    public var relayCount = 2
    public var viewerCount = 2
    /// Whether there is a live stream too (with the chat and the tips).
    public var withLive = true

    /// Node names, in the order they start and appear in the summary.
    static let creator = "creator"
    public var relays: [String] { (1...max(1, relayCount)).map { "relay-\($0)" } }
    public var viewers: [String] { (1...max(1, viewerCount)).map { "viewer-\($0)" } }
    /// The relay viewer number `index` (from 0) bootstraps from.
    func relay(forViewer index: Int) -> String { relays[index % relays.count] }

    /// Stream names on the creator.
    static let vodName = "vod"
    static let liveName = "live"
}

/// What a node does in the demo.
enum DemoRole: String, Codable {
    case creator, relay, viewer
}

extension DemoSettings {
    /// config.json for a node: API on a free port, the chain and program,
    /// its prices or limits, the thresholds above; `bootstrap`: the peers it knows.
    func config(for role: DemoRole, programId: Address, rpcURL: String, bootstrap: [String]) -> NodeConfig {
        var c = NodeConfig()
        c.apiPort = 0
        c.bootstrap = bootstrap
        c.programId = programId.base58
        c.chainRPC = rpcURL
        c.channelDeposit = channelDeposit
        c.paymentThreshold = paymentThreshold
        c.disconnectThreshold = disconnectThreshold
        c.claimInterval = claimInterval
        c.hlsSegmentSeconds = segmentSeconds
        switch role {
        case .creator:
            c.pricePerChunk = creatorPricePerChunk
            c.pricePerSecond = creatorPricePerSecond
            c.tipPinPrice = tipPinPrice
        case .relay:
            c.pricePerChunk = relayPricePerChunk
        case .viewer:
            c.pricePerChunk = 0
            c.maxPricePerChunk = viewerMaxPricePerChunk
            c.maxPricePerSecond = viewerMaxPricePerSecond
            c.spendingCapPerStream = viewerSpendingCapPerStream
        }
        return c
    }
}
