import Foundation
import Gossip
import Identity
import PayChannel

/// The daemon's settings, read from `config.json` in the data directory.
/// Every field is optional in the file; a missing one takes the default
/// documented here (and only here).
public struct NodeConfig: Codable, Sendable, Equatable {
    /// Gossip links: the ZeroMQ endpoint the node binds (`:0` picks a port).
    public var listen = "tcp://127.0.0.1:0"
    /// Chunk exchange links: a second ZeroMQ endpoint, advertised to peers
    /// in our signed peer record as the capability `xchg=<endpoint>`.
    public var exchangeListen = "tcp://127.0.0.1:0"
    /// Bootstrap peers, each `ADDRESS@tcp://host:port` (gossip endpoint).
    public var bootstrap: [String] = []
    /// Host and port of the local HTTP API (port 0 picks a free one).
    public var apiHost = "127.0.0.1"
    public var apiPort = 7390
    /// Store quota in bytes; unpinned chunks (relayed, watched) are evicted
    /// least-recently-used beyond it. nil: no quota.
    public var quotaBytes: UInt64? = nil
    /// Price per chunk served, announced in our peer record (smallest unit).
    public var pricePerChunk: UInt64 = 0
    /// Default price per second of watch time for what this node publishes.
    public var pricePerSecond: UInt64 = 0
    /// Segments fetched ahead of the one a player asks for.
    public var fetchAheadSegments = 3
    /// Chunk requests in flight at once per fetch (across peers).
    public var parallelChunkFetches = 8
    /// A peer that has not answered a chunk request within this many seconds
    /// is skipped (and scored down) and the next one asked.
    public var requestTimeout = 4.0
    /// How many more hops a relay may forward a request it cannot serve.
    public var forwardHops = 2
    /// How often peers are asked which streams they know (seconds): how a
    /// node that joined late learns streams announced before it came.
    public var catalogSyncInterval = 2.0
    /// Live: segments listed in the sliding-window playlist.
    public var liveWindowSegments = 6
    /// Live: how often the HLS folder is checked for new segments (seconds).
    public var livePollInterval = 0.25
    /// HLS target segment duration when publishing (seconds).
    public var hlsSegmentSeconds = 2
    /// Log level: trace, debug, info, notice, warning, error, critical.
    public var logLevel = "info"
    /// Fault injection for tests and simulations: serve chunks with flipped bytes.
    public var faultServeWrongBytes = false

    // Payments (docs/payments.md). Amounts are lamports.

    /// The payment-channel program (printed by `nodectl chain deploy`). nil:
    /// this node neither pays nor charges, and fetches from free peers only.
    public var programId: String? = nil
    /// Solana JSON-RPC URL where channels are opened and claimed.
    public var chainRPC = "http://127.0.0.1:8899"
    /// Deposit of a channel opened on demand to a peer or creator we pay.
    public var channelDeposit: UInt64 = 50_000_000
    /// Seconds until a new channel expires (renewed while in use).
    public var channelLifetime: Int64 = 604_800
    /// Debt a peer may run up with us before it is expected to pay (we, as
    /// payer, pay at half of it: Swarm's early payment).
    public var paymentThreshold: UInt64 = 100_000
    /// Debt past which we stop serving a peer until it pays.
    public var disconnectThreshold: UInt64 = 200_000
    /// How often (seconds) we check whether a claim on chain is due.
    public var claimInterval = 5.0
    /// Viewer's limits: peers charging more per chunk are not used (nor paid);
    /// streams costing more per second are not played; nil: no limit.
    public var maxPricePerChunk: UInt64? = nil
    public var maxPricePerSecond: UInt64? = nil
    /// Viewer's cap on what watching one stream may cost (seconds and chunk fees).
    public var spendingCapPerStream: UInt64? = nil
    /// For our streams: a tip of at least this much pins its chat line for
    /// `tipPinSeconds` (0: tips never pin).
    public var tipPinPrice: UInt64 = 0
    public var tipPinSeconds = 60
    /// Fault injection for tests: take chunks on credit but never pay.
    public var faultNeverPay = false
    /// Upgrade authorities of the program we trust (base58). By default we
    /// take vouchers only through a final program: whoever can upgrade it
    /// could replace its code and take every channel's deposit.
    public var trustedUpgradeAuthorities: [String] = []

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = NodeConfig()
        listen = try c.decodeIfPresent(String.self, forKey: .listen) ?? d.listen
        exchangeListen = try c.decodeIfPresent(String.self, forKey: .exchangeListen) ?? d.exchangeListen
        bootstrap = try c.decodeIfPresent([String].self, forKey: .bootstrap) ?? d.bootstrap
        apiHost = try c.decodeIfPresent(String.self, forKey: .apiHost) ?? d.apiHost
        apiPort = try c.decodeIfPresent(Int.self, forKey: .apiPort) ?? d.apiPort
        quotaBytes = try c.decodeIfPresent(UInt64.self, forKey: .quotaBytes) ?? d.quotaBytes
        pricePerChunk = try c.decodeIfPresent(UInt64.self, forKey: .pricePerChunk) ?? d.pricePerChunk
        pricePerSecond = try c.decodeIfPresent(UInt64.self, forKey: .pricePerSecond) ?? d.pricePerSecond
        fetchAheadSegments = try c.decodeIfPresent(Int.self, forKey: .fetchAheadSegments) ?? d.fetchAheadSegments
        parallelChunkFetches = try c.decodeIfPresent(Int.self, forKey: .parallelChunkFetches) ?? d.parallelChunkFetches
        requestTimeout = try c.decodeIfPresent(Double.self, forKey: .requestTimeout) ?? d.requestTimeout
        forwardHops = try c.decodeIfPresent(Int.self, forKey: .forwardHops) ?? d.forwardHops
        liveWindowSegments = try c.decodeIfPresent(Int.self, forKey: .liveWindowSegments) ?? d.liveWindowSegments
        catalogSyncInterval = try c.decodeIfPresent(Double.self, forKey: .catalogSyncInterval) ?? d.catalogSyncInterval
        livePollInterval = try c.decodeIfPresent(Double.self, forKey: .livePollInterval) ?? d.livePollInterval
        hlsSegmentSeconds = try c.decodeIfPresent(Int.self, forKey: .hlsSegmentSeconds) ?? d.hlsSegmentSeconds
        logLevel = try c.decodeIfPresent(String.self, forKey: .logLevel) ?? d.logLevel
        faultServeWrongBytes = try c.decodeIfPresent(Bool.self, forKey: .faultServeWrongBytes) ?? d.faultServeWrongBytes
        programId = try c.decodeIfPresent(String.self, forKey: .programId) ?? d.programId
        chainRPC = try c.decodeIfPresent(String.self, forKey: .chainRPC) ?? d.chainRPC
        channelDeposit = try c.decodeIfPresent(UInt64.self, forKey: .channelDeposit) ?? d.channelDeposit
        channelLifetime = try c.decodeIfPresent(Int64.self, forKey: .channelLifetime) ?? d.channelLifetime
        paymentThreshold = try c.decodeIfPresent(UInt64.self, forKey: .paymentThreshold) ?? d.paymentThreshold
        disconnectThreshold = try c.decodeIfPresent(UInt64.self, forKey: .disconnectThreshold) ?? d.disconnectThreshold
        claimInterval = try c.decodeIfPresent(Double.self, forKey: .claimInterval) ?? d.claimInterval
        maxPricePerChunk = try c.decodeIfPresent(UInt64.self, forKey: .maxPricePerChunk) ?? d.maxPricePerChunk
        maxPricePerSecond = try c.decodeIfPresent(UInt64.self, forKey: .maxPricePerSecond) ?? d.maxPricePerSecond
        spendingCapPerStream = try c.decodeIfPresent(UInt64.self, forKey: .spendingCapPerStream) ?? d.spendingCapPerStream
        tipPinPrice = try c.decodeIfPresent(UInt64.self, forKey: .tipPinPrice) ?? d.tipPinPrice
        tipPinSeconds = try c.decodeIfPresent(Int.self, forKey: .tipPinSeconds) ?? d.tipPinSeconds
        faultNeverPay = try c.decodeIfPresent(Bool.self, forKey: .faultNeverPay) ?? d.faultNeverPay
        trustedUpgradeAuthorities = try c.decodeIfPresent([String].self, forKey: .trustedUpgradeAuthorities)
            ?? d.trustedUpgradeAuthorities
    }

    /// Checks ranges and formats; the message says which field and why.
    public func validate() throws(PeerNodeError) {
        func bad(_ field: String, _ why: String) -> PeerNodeError { .badConfig("\(field): \(why)") }
        guard listen.hasPrefix("tcp://") else { throw bad("listen", "must be tcp://host:port") }
        guard exchangeListen.hasPrefix("tcp://") else { throw bad("exchangeListen", "must be tcp://host:port") }
        guard (0...65535).contains(apiPort) else { throw bad("apiPort", "must be 0 to 65535") }
        guard fetchAheadSegments >= 0 && fetchAheadSegments <= 64 else { throw bad("fetchAheadSegments", "must be 0 to 64") }
        guard parallelChunkFetches >= 1 && parallelChunkFetches <= 256 else { throw bad("parallelChunkFetches", "must be 1 to 256") }
        guard requestTimeout > 0 && requestTimeout <= 600 else { throw bad("requestTimeout", "must be above 0 and at most 600 s") }
        guard forwardHops >= 0 && forwardHops <= 8 else { throw bad("forwardHops", "must be 0 to 8") }
        guard catalogSyncInterval >= 0.1 && catalogSyncInterval <= 3600 else { throw bad("catalogSyncInterval", "must be 0.1 to 3600 s") }
        guard liveWindowSegments >= 2 && liveWindowSegments <= 100 else { throw bad("liveWindowSegments", "must be 2 to 100") }
        guard livePollInterval >= 0.05 && livePollInterval <= 10 else { throw bad("livePollInterval", "must be 0.05 to 10 s") }
        guard hlsSegmentSeconds >= 1 && hlsSegmentSeconds <= 30 else { throw bad("hlsSegmentSeconds", "must be 1 to 30") }
        _ = try bootstrapPeers()
        guard claimInterval >= 0.1 && claimInterval <= 86_400 else { throw bad("claimInterval", "must be 0.1 to 86400 s") }
        guard tipPinSeconds >= 0 && tipPinSeconds <= 86_400 else { throw bad("tipPinSeconds", "must be 0 to 86400") }
        if programId == nil, pricePerChunk > 0 || pricePerSecond > 0 {
            throw bad("programId", "a node that charges (pricePerChunk or pricePerSecond above 0) needs the payment-channel program; deploy it with `nodectl chain deploy` and set programId")
        }
        _ = try paymentSettings()
    }

    /// The payment parameters in PayChannel's form, or nil without a program.
    public func paymentSettings() throws(PeerNodeError) -> (chain: ChainConfig, payment: PaymentConfig,
                                                            limits: NodePayments.Limits)? {
        guard let programId else { return nil }
        guard let id = try? Address(base58: programId) else {
            throw .badConfig("programId: '\(programId)' is not a base58 address")
        }
        let chain = ChainConfig(rpcURL: chainRPC, programId: id)
        var payment = PaymentConfig()
        payment.channelDeposit = channelDeposit
        payment.topUpAmount = channelDeposit
        payment.channelLifetime = channelLifetime
        payment.claimInterval = claimInterval
        payment.accounting = AccountingConfig(paymentThreshold: paymentThreshold, disconnectThreshold: disconnectThreshold)
        for key in trustedUpgradeAuthorities {
            guard let authority = try? Address(base58: key) else {
                throw .badConfig("trustedUpgradeAuthorities: '\(key)' is not a base58 address")
            }
            payment.programTrust.trustedUpgradeAuthorities.append(authority)
        }
        do {
            _ = try chain.validated()
            payment = try payment.validated()
            _ = try payment.accounting.validated()
        } catch { throw .badConfig("\(error)") }
        return (chain, payment, NodePayments.Limits(maxPricePerChunk: maxPricePerChunk, maxPricePerSecond: maxPricePerSecond,
                                                    spendingCapPerStream: spendingCapPerStream))
    }

    /// The bootstrap entries parsed into gossip's form.
    public func bootstrapPeers() throws(PeerNodeError) -> [BootstrapPeer] {
        var peers: [BootstrapPeer] = []
        for entry in bootstrap {
            let parts = entry.split(separator: "@", maxSplits: 1)
            guard parts.count == 2, let address = try? Address(base58: String(parts[0])), parts[1].hasPrefix("tcp://") else {
                throw .badConfig("bootstrap: '\(entry)' is not ADDRESS@tcp://host:port")
            }
            peers.append(BootstrapPeer(address: address, endpoint: String(parts[1])))
        }
        return peers
    }

    /// Reads `path`; a missing file gives the defaults.
    public static func load(path: String) throws(PeerNodeError) -> NodeConfig {
        guard let data = FileManager.default.contents(atPath: path) else { return NodeConfig() }
        let config: NodeConfig
        do { config = try JSONDecoder().decode(NodeConfig.self, from: data) } catch {
            throw .badConfig("\(path) is not valid config JSON: \(error)")
        }
        try config.validate()
        return config
    }

    public func save(path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
