import Synchronization

/// The daemon's counters, exported as Prometheus text at /metrics. Bumped
/// from the exchange, the HLS server and the API, under one small lock each.
public final class NodeMetrics: Sendable {
    public enum Counter: String, CaseIterable, Sendable {
        case chunksServed = "peernode_chunks_served_total"
        case bytesServed = "peernode_bytes_served_total"
        case chunksFetched = "peernode_chunks_fetched_total"
        case bytesFetched = "peernode_bytes_fetched_total"
        case chunksForwarded = "peernode_chunks_forwarded_total"
        case badChunks = "peernode_bad_chunks_total"
        case requestTimeouts = "peernode_request_timeouts_total"
        case fetchFailures = "peernode_fetch_failures_total"
        case malformedFrames = "peernode_malformed_frames_total"
        case hlsRequests = "peernode_hls_requests_total"
        case apiErrors = "peernode_api_errors_total"
        case apiRefused = "peernode_api_refused_total"
        case vouchersSent = "peernode_vouchers_sent_total"
        case lamportsPaid = "peernode_lamports_paid_total"
        case vouchersAccepted = "peernode_vouchers_accepted_total"
        case lamportsEarned = "peernode_lamports_earned_total"
        case vouchersRejected = "peernode_vouchers_rejected_total"
        case paymentRefusals = "peernode_payment_refusals_total"
        case claims = "peernode_claims_total"
        case requestsMissed = "peernode_requests_missed_total"
        case haveRounds = "peernode_have_rounds_total"
        case haveAnswers = "peernode_have_answers_total"
        case segmentStoreFailures = "peernode_segment_store_failures_total"
        case segmentKeysBought = "peernode_segment_keys_bought_total"
        case segmentKeysSold = "peernode_segment_keys_sold_total"
        case segmentKeysRefused = "peernode_segment_keys_refused_total"

        var help: String {
            switch self {
            case .chunksServed: return "Chunks sent to peers."
            case .bytesServed: return "Chunk bytes sent to peers."
            case .chunksFetched: return "Chunks fetched from peers and verified."
            case .bytesFetched: return "Chunk bytes fetched from peers and verified."
            case .chunksForwarded: return "Requests a relay fetched on behalf of a peer."
            case .badChunks: return "Chunks from peers whose bytes did not match their CID."
            case .requestTimeouts: return "Chunk requests a peer did not answer in time."
            case .fetchFailures: return "Chunks no peer could provide."
            case .malformedFrames: return "Exchange frames dropped as malformed."
            case .hlsRequests: return "Playlist and segment requests from players."
            case .apiErrors: return "API calls answered with an error."
            case .apiRefused: return "API requests refused as coming from a page of another origin or naming another host (403)."
            case .vouchersSent: return "Vouchers this node signed (chunks, seconds watched, tips)."
            case .lamportsPaid: return "Lamports promised in vouchers this node signed."
            case .vouchersAccepted: return "Vouchers from peers recorded durably."
            case .lamportsEarned: return "New lamports brought by accepted vouchers."
            case .vouchersRejected: return "Vouchers refused (bad signature, unknown channel, replay...)."
            case .paymentRefusals: return "Chunk requests refused because the peer's debt passed the disconnect threshold."
            case .claims: return "Claims settled on chain."
            case .requestsMissed: return "Chunk requests from peers answered DONT_HAVE (not held, not forwarded)."
            case .haveRounds: return "Times this node asked its peers at once who holds chunks it needs."
            case .haveAnswers: return "Answers to those questions (holding, forwarding or neither)."
            case .segmentStoreFailures: return "Live segments the store could not take (disk full, store error); each is retried while its file exists."
            case .segmentKeysBought: return "Keys of encrypted (paid) segments this node bought from their creators."
            case .segmentKeysSold: return "Segment keys this node, a creator, handed over against paid vouchers (again for nothing when asked again)."
            case .segmentKeysRefused: return "Key requests refused: not paid for, unknown stream or segment, or a bad voucher."
            }
        }
    }

    public enum Gauge: String, CaseIterable, Sendable {
        case exchangePeers = "peernode_exchange_peers"
        case gossipPeers = "peernode_gossip_peers"
        case storeBytes = "peernode_store_bytes"
        case knownStreams = "peernode_known_streams"

        var help: String {
            switch self {
            case .exchangePeers: return "Peers with a chunk-exchange link."
            case .gossipPeers: return "Peers with a gossip link."
            case .storeBytes: return "Bytes of chunks in the store."
            case .knownStreams: return "Streams known from announcements."
            }
        }
    }

    private let counters = Mutex<[Counter: UInt64]>([:])
    private let gauges = Mutex<[Gauge: Int64]>([:])

    public init() {}

    public func add(_ counter: Counter, _ value: UInt64 = 1) {
        counters.withLock { $0[counter, default: 0] &+= value }
    }

    public func set(_ gauge: Gauge, _ value: Int64) {
        gauges.withLock { $0[gauge] = value }
    }

    public func value(_ counter: Counter) -> UInt64 { counters.withLock { $0[counter] ?? 0 } }

    public func value(_ gauge: Gauge) -> Int64 { gauges.withLock { $0[gauge] ?? 0 } }

    /// The Prometheus text exposition format, version 0.0.4.
    public func prometheusText() -> String {
        var out = ""
        for c in Counter.allCases {
            out += "# HELP \(c.rawValue) \(c.help)\n# TYPE \(c.rawValue) counter\n\(c.rawValue) \(value(c))\n"
        }
        for g in Gauge.allCases {
            out += "# HELP \(g.rawValue) \(g.help)\n# TYPE \(g.rawValue) gauge\n\(g.rawValue) \(value(g))\n"
        }
        return out
    }
}
