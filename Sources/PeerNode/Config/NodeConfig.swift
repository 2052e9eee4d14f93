import Foundation
import Gossip
import Identity

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
