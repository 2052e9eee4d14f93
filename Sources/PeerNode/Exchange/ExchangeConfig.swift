/// The chunk exchange's tunables, each documented once here (in the manner
/// of boxo's bitswap defaults and GossipConfig). The ones an operator sets
/// come from config.json (`NodeConfig`); the rest are defaults that tests and
/// simulations may change.
public struct ExchangeConfig: Sendable, Equatable {
    /// A GET not answered within this many seconds counts as a time-out: the
    /// peer is scored down and another one asked (config.json `requestTimeout`).
    public var requestTimeout = 4.0
    /// How many times a request may be forwarded by relays (config.json
    /// `forwardHops`); a requester sends one less, each relay one less again.
    public var forwardHops = 2
    /// Chunk requests in flight at once for one segment or file (config.json
    /// `parallelChunkFetches`), spread over the peers that hold them.
    public var parallelFetches = 8

    /// How long one retrieval may search and fetch before it gives up
    /// (seconds). The search is bounded by this and by the peers that can
    /// help, never by a count of attempts that useless peers could use up.
    public var searchTimeout = 20.0
    /// How long a "have?" round waits for answers (seconds) before fetching
    /// from whoever answered; it ends sooner once a usable holder is known
    /// for every chunk asked about.
    public var haveTimeout = 1.0
    /// A retrieval that found nobody to ask asks again at most this often
    /// (seconds): a live segment may reach our peers a moment later.
    public var haveRetryInterval = 0.5

    /// Score: a verified chunk adds `goodChunkReward` (up to `maxScore`);
    /// wrong bytes and time-outs take off their penalty; at `banThreshold`
    /// or below a peer is not asked for `banSeconds`.
    public var goodChunkReward = 1.0
    public var maxScore = 50.0
    public var badChunkPenalty = -30.0
    public var timeoutPenalty = -5.0
    public var banThreshold = -50.0
    public var banSeconds = 600.0

    /// Who holds which chunk (from HAVE answers and announcements), at most
    /// this many entries; the table starts again when full.
    public var maxProviderEntries = 200_000
    /// How often we tell our peers which chunks we cached (seconds).
    public var announceInterval = 0.5
    /// Addresses learnt from HELLO frames (by proven CURVE key), at most.
    public var maxLearnedKeys = 10_000
    /// A chunk voucher no request carried within this many seconds goes in
    /// its own PAY frame (PaymentOutbox); the outbox is looked at 4 times as often.
    public var soloPaymentDelay = 0.5

    public init() {}

    /// The operator's settings from config.json, the rest at their defaults.
    public init(_ node: NodeConfig) {
        requestTimeout = node.requestTimeout
        forwardHops = node.forwardHops
        parallelFetches = node.parallelChunkFetches
        searchTimeout = max(searchTimeout, node.requestTimeout * 3)
        // A node told its peers may be slow (a loaded machine, a far link)
        // waits for "have?" answers longer too.
        haveTimeout = max(haveTimeout, node.requestTimeout / 4)
    }

    /// Checks every field; the message names the one that is wrong.
    public func validate() throws(PeerNodeError) {
        func bad(_ field: String, _ why: String) -> PeerNodeError { .badConfig("exchange \(field): \(why)") }
        guard requestTimeout > 0 && requestTimeout <= 600 else { throw bad("requestTimeout", "must be above 0 and at most 600 s") }
        guard (0...8).contains(forwardHops) else { throw bad("forwardHops", "must be 0 to 8") }
        guard (1...256).contains(parallelFetches) else { throw bad("parallelFetches", "must be 1 to 256") }
        guard searchTimeout >= requestTimeout && searchTimeout <= 3600 else {
            throw bad("searchTimeout", "must be at least requestTimeout and at most 3600 s")
        }
        guard haveTimeout > 0 && haveTimeout <= searchTimeout else { throw bad("haveTimeout", "must be above 0 and at most searchTimeout") }
        guard haveRetryInterval > 0 && haveRetryInterval <= 60 else { throw bad("haveRetryInterval", "must be above 0 and at most 60 s") }
        guard goodChunkReward >= 0 && maxScore > 0 else { throw bad("goodChunkReward", "reward and maxScore must not be negative") }
        guard badChunkPenalty <= 0 && timeoutPenalty <= 0 else { throw bad("badChunkPenalty", "penalties must be 0 or below") }
        guard banThreshold < 0 else { throw bad("banThreshold", "must be below 0") }
        guard banSeconds >= 0 else { throw bad("banSeconds", "must not be negative") }
        guard maxProviderEntries >= 1_000 else { throw bad("maxProviderEntries", "must be at least 1000") }
        guard announceInterval > 0 && announceInterval <= 60 else { throw bad("announceInterval", "must be above 0 and at most 60 s") }
        guard maxLearnedKeys >= 16 else { throw bad("maxLearnedKeys", "must be at least 16") }
        guard soloPaymentDelay > 0 && soloPaymentDelay <= 60 else { throw bad("soloPaymentDelay", "must be above 0 and at most 60 s") }
    }
}
