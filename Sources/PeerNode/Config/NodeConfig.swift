import ContentStore
import Foundation
import Gossip
import Identity
import Logging
import PayChannel
import Solana
import Transport

/// The daemon's settings, read from `config.json` in the data directory.
/// Every field is optional in the file; a missing one takes the default
/// documented here (and only here). A field not listed in `CodingKeys` is
/// refused (a typo must not silently drop a setting), and a bad value is
/// reported with its field and rule (`ConfigFields`, `validate()`).
public struct NodeConfig: Codable, Sendable, Equatable {
    /// Gossip links: the ZeroMQ endpoint the node binds. Port 0: the daemon
    /// picks a free port on its first start and keeps it (RememberedPorts).
    public var listen = "tcp://127.0.0.1:0"
    /// Chunk exchange links: a second ZeroMQ endpoint, advertised to peers
    /// in our signed peer record as the capability `xchg=<endpoint>`.
    public var exchangeListen = "tcp://127.0.0.1:0"
    /// Gossip endpoints other hosts dial us at, put in our signed peer record
    /// (a public address behind port forwarding, a DNS name). Empty: the
    /// bound endpoint, or, when bound to all interfaces (0.0.0.0 or [::]),
    /// one endpoint per address of this host's interfaces: never a wildcard.
    public var advertise: [String] = []
    /// The same for the chunk exchange endpoint.
    public var exchangeAdvertise: [String] = []
    /// Bootstrap peers, each `ADDRESS@tcp://host:port` (gossip endpoint).
    public var bootstrap: [String] = []
    /// Host and port of the local HTTP API (port 0 picks a free one).
    public var apiHost = "127.0.0.1"
    public var apiPort = 7390
    /// Seconds a client of the API has to send a whole request (after
    /// connecting, or after its last answer) before the connection is
    /// closed: bounds idle and slow ("slowloris") connections.
    public var apiRequestTimeout = 30.0
    /// Store quota in bytes; unpinned chunks (relayed, watched) are evicted
    /// least-recently-used beyond it. nil: no quota.
    public var quotaBytes: UInt64? = nil
    /// Free bytes kept on the data directory's disk: the daemon does not
    /// start with less, and store writes that would leave less are refused
    /// as "disk full" (docs/http-api.md, "Full disks").
    public var minFreeBytes: UInt64 = StoreConfig.defaultMinFreeBytes
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
    /// Live: segments kept in the stream's manifest (the replay window a
    /// viewer can seek back in), at least `liveWindowSegments`. A segment
    /// that leaves the manifest is unpinned (evictable), never kept pinned
    /// where nobody can reach it.
    public var liveHistorySegments = 30
    /// Live: seconds without a new segment after which a stalled stream (its
    /// encoder killed or gone) is ended, its playlist given `#EXT-X-ENDLIST`.
    /// A stream is shown as stalled after `LiveStatus.stalledTargetDurations`
    /// target durations without a segment. `POST /v1/live` may set its own.
    public var liveStallTimeout = 60.0
    /// Live: what a restart of the encoder into the same folder (names
    /// starting again at index0.ts) does: `continue` the stream (with a
    /// discontinuity) or end it and start a `new` one.
    public var liveEncoderRestart = LiveRestart.continue.rawValue
    /// HLS target segment duration when publishing (seconds).
    public var hlsSegmentSeconds = 2
    /// Log level: trace, debug, info, notice, warning, error, critical.
    public var logLevel = "info"
    /// Fault injection for tests and simulations: serve chunks with flipped bytes.
    public var faultServeWrongBytes = false
    /// Simulations only (`nodectl sim`, tests): network conditions of this
    /// node's access link, made in its own transport (docs/simulation.md,
    /// "Network conditions"). One-way delay in seconds on every frame sent
    /// and received; caps in bytes per second (nil: none); the share of
    /// frames lost and sent again after TCP's minimum time-out.
    public var simulatedLatency = 0.0
    public var simulatedUplink: UInt64? = nil
    public var simulatedDownlink: UInt64? = nil
    public var simulatedLoss = 0.0

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

    /// The field names, as written in config.json: a name not listed here
    /// is refused (with the nearest one suggested), never ignored.
    enum CodingKeys: String, CodingKey, CaseIterable {
        case listen, exchangeListen, advertise, exchangeAdvertise, bootstrap, apiHost, apiPort, apiRequestTimeout, quotaBytes, minFreeBytes
        case pricePerChunk, pricePerSecond, fetchAheadSegments, parallelChunkFetches, requestTimeout, forwardHops
        case catalogSyncInterval, liveWindowSegments, livePollInterval, liveHistorySegments, liveStallTimeout
        case liveEncoderRestart, hlsSegmentSeconds, logLevel, faultServeWrongBytes
        case simulatedLatency, simulatedUplink, simulatedDownlink, simulatedLoss
        case programId, chainRPC, channelDeposit, channelLifetime, paymentThreshold, disconnectThreshold, claimInterval
        case maxPricePerChunk, maxPricePerSecond, spendingCapPerStream, tipPinPrice, tipPinSeconds, faultNeverPay
        case trustedUpgradeAuthorities
    }

    /// Each field present is read as its kind, a missing one (or null) takes
    /// the default above; a value of the wrong kind names its field and the rule.
    public init(from decoder: any Decoder) throws {
        let c = try ConfigFields<CodingKeys>(decoder, listedIn: "docs/http-api.md, section config.json")
        let d = NodeConfig()
        listen = try c.text(.listen) ?? d.listen
        exchangeListen = try c.text(.exchangeListen) ?? d.exchangeListen
        advertise = try c.texts(.advertise) ?? d.advertise
        exchangeAdvertise = try c.texts(.exchangeAdvertise) ?? d.exchangeAdvertise
        bootstrap = try c.texts(.bootstrap) ?? d.bootstrap
        apiHost = try c.text(.apiHost) ?? d.apiHost
        apiPort = try c.integer(.apiPort) ?? d.apiPort
        apiRequestTimeout = try c.number(.apiRequestTimeout) ?? d.apiRequestTimeout
        quotaBytes = try c.count(.quotaBytes) ?? d.quotaBytes
        minFreeBytes = try c.count(.minFreeBytes) ?? d.minFreeBytes
        pricePerChunk = try c.count(.pricePerChunk) ?? d.pricePerChunk
        pricePerSecond = try c.count(.pricePerSecond) ?? d.pricePerSecond
        fetchAheadSegments = try c.integer(.fetchAheadSegments) ?? d.fetchAheadSegments
        parallelChunkFetches = try c.integer(.parallelChunkFetches) ?? d.parallelChunkFetches
        requestTimeout = try c.number(.requestTimeout) ?? d.requestTimeout
        forwardHops = try c.integer(.forwardHops) ?? d.forwardHops
        catalogSyncInterval = try c.number(.catalogSyncInterval) ?? d.catalogSyncInterval
        liveWindowSegments = try c.integer(.liveWindowSegments) ?? d.liveWindowSegments
        livePollInterval = try c.number(.livePollInterval) ?? d.livePollInterval
        liveHistorySegments = try c.integer(.liveHistorySegments) ?? d.liveHistorySegments
        liveStallTimeout = try c.number(.liveStallTimeout) ?? d.liveStallTimeout
        liveEncoderRestart = try c.text(.liveEncoderRestart) ?? d.liveEncoderRestart
        hlsSegmentSeconds = try c.integer(.hlsSegmentSeconds) ?? d.hlsSegmentSeconds
        logLevel = try c.text(.logLevel) ?? d.logLevel
        faultServeWrongBytes = try c.flag(.faultServeWrongBytes) ?? d.faultServeWrongBytes
        simulatedLatency = try c.number(.simulatedLatency) ?? d.simulatedLatency
        simulatedUplink = try c.count(.simulatedUplink) ?? d.simulatedUplink
        simulatedDownlink = try c.count(.simulatedDownlink) ?? d.simulatedDownlink
        simulatedLoss = try c.number(.simulatedLoss) ?? d.simulatedLoss
        programId = try c.text(.programId) ?? d.programId
        chainRPC = try c.text(.chainRPC) ?? d.chainRPC
        channelDeposit = try c.count(.channelDeposit) ?? d.channelDeposit
        channelLifetime = try c.integer64(.channelLifetime) ?? d.channelLifetime
        paymentThreshold = try c.count(.paymentThreshold) ?? d.paymentThreshold
        disconnectThreshold = try c.count(.disconnectThreshold) ?? d.disconnectThreshold
        claimInterval = try c.number(.claimInterval) ?? d.claimInterval
        maxPricePerChunk = try c.count(.maxPricePerChunk) ?? d.maxPricePerChunk
        maxPricePerSecond = try c.count(.maxPricePerSecond) ?? d.maxPricePerSecond
        spendingCapPerStream = try c.count(.spendingCapPerStream) ?? d.spendingCapPerStream
        tipPinPrice = try c.count(.tipPinPrice) ?? d.tipPinPrice
        tipPinSeconds = try c.integer(.tipPinSeconds) ?? d.tipPinSeconds
        faultNeverPay = try c.flag(.faultNeverPay) ?? d.faultNeverPay
        trustedUpgradeAuthorities = try c.texts(.trustedUpgradeAuthorities) ?? d.trustedUpgradeAuthorities
    }

    /// Log levels of swift-log, as `logLevel` accepts them.
    public static let logLevels = Logger.Level.allCases.map(\.rawValue)

    /// Checks ranges and formats; the message names the field, the rule and the value.
    public func validate() throws(PeerNodeError) {
        func check(_ ok: Bool, _ field: CodingKeys, _ rule: String, _ value: Any) throws(PeerNodeError) {
            guard ok else {
                let got = (value as? Double).map(ConfigFields<CodingKeys>.format) ?? (value as? String).map { "\"\($0)\"" } ?? "\(value)"
                throw .badConfig("\(field.rawValue): \(rule); got \(got)")
            }
        }
        try check(Self.isEndpoint(listen), .listen, "must be tcp://HOST:PORT (port 0: chosen on the first start, then kept)", listen)
        try check(Self.isEndpoint(exchangeListen), .exchangeListen, "must be tcp://HOST:PORT (port 0: chosen on the first start, then kept)", exchangeListen)
        for (field, list) in [(CodingKeys.advertise, advertise), (.exchangeAdvertise, exchangeAdvertise)] {
            for entry in list {
                try check(Self.isEndpoint(entry, dialable: true), field,
                          "each entry must be tcp://HOST:PORT with a fixed port from 1 to 65535", entry)
                try check(Endpoint(entry)?.isWildcard != true, field,
                          "must not be a wildcard address, which no other host can dial; give this host's address or name", entry)
            }
        }
        try check((0...65535).contains(apiPort), .apiPort, "must be 0 to 65535 (0: any free port)", apiPort)
        try check(apiRequestTimeout >= 0.5 && apiRequestTimeout <= 3600, .apiRequestTimeout,
                  "must be 0.5 to 3600 (seconds)", apiRequestTimeout)
        try check((0...64).contains(fetchAheadSegments), .fetchAheadSegments, "must be 0 to 64", fetchAheadSegments)
        try check((1...256).contains(parallelChunkFetches), .parallelChunkFetches, "must be 1 to 256", parallelChunkFetches)
        try check(requestTimeout > 0 && requestTimeout <= 600, .requestTimeout, "must be above 0 and at most 600 (seconds)", requestTimeout)
        try check((0...8).contains(forwardHops), .forwardHops, "must be 0 to 8", forwardHops)
        try check(catalogSyncInterval >= 0.1 && catalogSyncInterval <= 3600, .catalogSyncInterval, "must be 0.1 to 3600 (seconds)", catalogSyncInterval)
        try check((2...100).contains(liveWindowSegments), .liveWindowSegments, "must be 2 to 100", liveWindowSegments)
        try check(livePollInterval >= 0.05 && livePollInterval <= 10, .livePollInterval, "must be 0.05 to 10 (seconds)", livePollInterval)
        try check((2...2_000).contains(liveHistorySegments), .liveHistorySegments, "must be 2 to 2000", liveHistorySegments)
        try check(LiveSettings.stallTimeouts.contains(liveStallTimeout), .liveStallTimeout,
                  "must be 1 to 86400 (seconds)", liveStallTimeout)
        try check(LiveRestart(rawValue: liveEncoderRestart) != nil, .liveEncoderRestart,
                  "must be " + LiveRestart.allCases.map(\.rawValue).joined(separator: " or "), liveEncoderRestart)
        try check((1...30).contains(hlsSegmentSeconds), .hlsSegmentSeconds, "must be 1 to 30 (seconds)", hlsSegmentSeconds)
        try check(Self.logLevels.contains(logLevel), .logLevel, "must be one of " + Self.logLevels.joined(separator: ", "), logLevel)
        try check(simulatedLatency >= 0 && simulatedLatency <= 10, .simulatedLatency, "must be 0 to 10 (seconds, one way)", simulatedLatency)
        try check((simulatedUplink ?? 1_000) >= 1_000, .simulatedUplink, "must be at least 1000 (bytes per second) or null", simulatedUplink ?? 0)
        try check((simulatedDownlink ?? 1_000) >= 1_000, .simulatedDownlink, "must be at least 1000 (bytes per second) or null", simulatedDownlink ?? 0)
        try check(simulatedLoss >= 0 && simulatedLoss < 1, .simulatedLoss, "must be from 0 up to (not including) 1", simulatedLoss)
        _ = try bootstrapPeers()
        try check(claimInterval >= 0.1 && claimInterval <= 86_400, .claimInterval, "must be 0.1 to 86400 (seconds)", claimInterval)
        try check((0...86_400).contains(tipPinSeconds), .tipPinSeconds, "must be 0 to 86400 (seconds)", tipPinSeconds)
        if programId == nil, pricePerChunk > 0 || pricePerSecond > 0 {
            throw .badConfig("programId: a node that charges (pricePerChunk or pricePerSecond above 0) needs the payment-channel program; deploy it with `nodectl chain deploy` and set programId")
        }
        _ = try paymentSettings()
    }

    /// The simulated conditions of this node's link, nil when none are set;
    /// `seed` makes its losses repeatable (the sim derives it from its own).
    public func simulatedLink(seed: UInt64) -> LinkConditions? {
        let conditions = LinkConditions(latency: simulatedLatency, uplink: simulatedUplink.map { Double($0) },
                                        downlink: simulatedDownlink.map { Double($0) }, loss: simulatedLoss, seed: seed)
        return conditions.isNeutral ? nil : conditions
    }

    /// `tcp://HOST:PORT` with a port from 0 to 65535 (1 to 65535 for an
    /// endpoint others dial).
    static func isEndpoint(_ text: String, dialable: Bool = false) -> Bool {
        guard let endpoint = Endpoint(text) else { return false }
        return !dialable || endpoint.port >= 1
    }

    /// The payment parameters in PayChannel's form, or nil without a program.
    public func paymentSettings() throws(PeerNodeError) -> (chain: ChainConfig, payment: PaymentConfig,
                                                            limits: NodePayments.Limits)? {
        guard let programId else { return nil }
        guard let id = try? Address(base58: programId) else {
            throw .badConfig("programId: must be the program's address (base58, as `nodectl chain deploy` prints it); got \"\(programId)\"")
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
            guard parts.count == 2, Self.isEndpoint(String(parts[1]), dialable: true) else {
                throw .badConfig("bootstrap: each entry must be ADDRESS@tcp://HOST:PORT (the peer's address and its gossip endpoint, GET /v1/id), with a port from 1 to 65535; got \"\(entry)\"")
            }
            guard let address = try? Address(base58: String(parts[0])) else {
                throw .badConfig("bootstrap: \"\(parts[0])\" in \"\(entry)\" is not a node address (base58, as `nodectl id` prints it)")
            }
            peers.append(BootstrapPeer(address: address, endpoint: String(parts[1])))
        }
        return peers
    }

    /// Reads `path`; a missing file gives the defaults. Every error names
    /// the file, and the field when one is at fault.
    public static func load(path: String) throws(PeerNodeError) -> NodeConfig {
        guard let data = FileManager.default.contents(atPath: path) else { return NodeConfig() }
        // The parser says where the syntax breaks; the decoder would only say that it does.
        do { _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) } catch {
            throw .badConfig("\(path) is not valid JSON (\(syntaxProblem(error, in: data))); "
                             + "it must be one object like {\"apiPort\": 7390, \"bootstrap\": []}")
        }
        do {
            let config = try JSONDecoder().decode(NodeConfig.self, from: data)
            try config.validate()
            return config
        } catch PeerNodeError.badConfig(let why) {
            throw .badConfig("\(path): \(why)")
        } catch {
            throw .badConfig("\(path) cannot be read as config.json (\(error))")
        }
    }

    /// The parser's complaint with its character offset as a line and column.
    static func syntaxProblem(_ error: any Error, in data: Data) -> String {
        var text = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
        if text.hasSuffix(".") { text.removeLast() }
        guard let range = text.range(of: #"around character \d+"#, options: .regularExpression),
              let offset = Int(text[range].split(separator: " ").last ?? "") else { return text.lowercased() }
        let before = data.prefix(offset)
        let line = before.filter { $0 == UInt8(ascii: "\n") }.count + 1
        let column = offset - (before.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0) + 1
        return text.replacingCharacters(in: range, with: "at line \(line), column \(column)").lowercased()
            + ": look for a missing comma or quote there"
    }

    public func save(path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
