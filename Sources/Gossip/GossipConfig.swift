import Identity
import Transport

/// Every parameter of the gossip layer, gathered in one place with its
/// default documented here and nowhere else (go-libp2p-pubsub keeps its
/// GossipSubParams and PeerScoreParams the same way). Durations are seconds.
public struct GossipConfig: Sendable {
    // MARK: Transport and peers

    /// Address the node binds, `tcp://127.0.0.1:0` picks a free port.
    public var listen = "tcp://127.0.0.1:0"
    /// Endpoints advertised in the peer record; empty means the bound endpoint.
    public var advertisedEndpoints: [String] = []
    /// Bootstrap peers: an address and one endpoint each. The address pins
    /// the CURVE server key, so a bootstrap endpoint cannot be impersonated.
    public var bootstrap: [BootstrapPeer] = []
    /// Price per chunk announced in our peer record (smallest token unit).
    public var pricePerChunk: UInt64 = 0
    /// Capabilities announced in our peer record ("relay", "seed", "live").
    public var capabilities: [String] = []
    /// Connections the node tries to keep; it dials known peers below this.
    public var targetConnections = 8
    /// Hard cap on connected peers; HELLOs beyond it get a peer list instead.
    public var maxConnections = 48
    /// Peer records kept in the table; the least useful is evicted beyond it.
    public var maxKnownPeers = 1000
    /// New dials started per heartbeat at most.
    public var dialsPerHeartbeat = 4
    /// A dial not answered by HELLO within this time failed.
    public var dialTimeout = 5.0
    /// Back-off after a failed dial: base × 2^failures, capped.
    public var redialBackoffBase = 1.0
    public var redialBackoffMax = 60.0
    /// A PING is sent to a peer we have sent nothing to for this long.
    public var keepAliveInterval = 3.0
    /// A peer we heard nothing from for this long is disconnected.
    public var peerTimeout = 15.0
    /// Signed peer records handed out per peer-exchange answer.
    public var peerExchangeCount = 16
    /// Peer records are re-published on the peers topic this often.
    public var peerRecordRepublish = 300.0

    // MARK: Wire limits (checked before allocating)

    /// Largest frame accepted; ZeroMQ drops a peer that sends more (ZMQ_MAXMSGSIZE).
    public var maxFrameBytes = 1 << 20
    /// Largest envelope payload.
    public var maxPayloadBytes = 16 << 10
    /// Longest chat text, in UTF-8 bytes.
    public var maxChatTextBytes = 2000
    /// Items per list in a frame (envelopes, ids, topics, records).
    public var maxListItems = 5000
    /// Messages a peer may hold in a ZeroMQ queue to one link before we drop.
    public var socketHighWaterMark: Int32 = 10_000
    /// Simulated network conditions, shared with the node's other transports
    /// (simulations only); nil: none.
    public var shaper: LinkShaper?

    // MARK: Mesh (GossipSub v1.1)

    /// Target mesh degree per topic, and its low and high water marks.
    public var meshDegree = 6
    public var meshDegreeLow = 4
    public var meshDegreeHigh = 12
    /// Peers kept by score when the mesh is trimmed.
    public var meshDegreeScore = 4
    /// Peers, outside the mesh, that receive IHAVE gossip per topic per heartbeat.
    public var gossipDegree = 6
    /// Heartbeat period: mesh maintenance, gossip, score decay, dials.
    public var heartbeatInterval = 1.0
    /// Message cache: windows kept, and windows advertised in IHAVE.
    public var historyLength = 5
    public var historyGossip = 3
    /// Seen-cache of message ids; also the oldest timestamp accepted on gossip.
    public var seenTTL = 120.0
    /// Messages further in the future than this are rejected.
    public var maxClockSkew = 30.0
    /// A pruned peer may not GRAFT again for this long.
    public var pruneBackoff = 60.0
    /// Fanout state for topics we publish to without subscribing expires after this.
    public var fanoutTTL = 60.0
    /// Publish our own messages to every subscribed peer, not just the mesh.
    public var floodPublish = true
    /// IHAVE ids accepted from one peer per heartbeat, and IWANT answers per id.
    public var maxIHaveLength = 5000
    public var maxIWantRetransmissions = 3
    /// How long an out-of-order message waits for the gap before it is delivered anyway.
    public var reorderWindow = 1.0
    /// Out-of-order messages held per author and topic at most.
    public var maxHeldPerAuthor = 256

    // MARK: Rate limits (per peer, token buckets)

    public var rateFramesPerSecond = 2000.0
    public var rateFrameBurst = 4000.0
    public var rateBytesPerSecond = 16.0 * 1024 * 1024
    public var rateByteBurst = 32.0 * 1024 * 1024

    // MARK: Peer score (see Router/PeerScore.swift)

    /// Weight of each invalid message (bad signature, malformed envelope, unauthorised author).
    public var invalidMessageWeight = -20.0
    /// Weight of each malformed or oversize frame.
    public var malformedFrameWeight = -20.0
    /// Weight of each repeat of a message id by the same peer (duplicate flood).
    public var duplicateFloodWeight = -1.0
    /// Repeats of an id by one peer tolerated before they count (IWANT races).
    public var duplicateAllowance = 2
    /// Weight of each frame dropped by the rate limiter.
    public var rateLimitWeight = -0.5
    /// Weight of each frame on a topic we do not know.
    public var unknownTopicWeight = -2.0
    /// Reward for each message a peer delivered first, and its cap.
    public var firstDeliveryWeight = 0.5
    public var firstDeliveryCap = 40.0
    /// Counters are multiplied by this each heartbeat.
    public var scoreDecay = 0.95
    /// Below this we neither gossip to nor accept gossip from the peer.
    public var gossipThreshold = -10.0
    /// Below this our own messages are not flood-published to the peer.
    public var publishThreshold = -30.0
    /// Below this the peer is dropped and its address blocked.
    public var graylistThreshold = -80.0
    /// How long a dropped peer's address stays blocked.
    public var blockDuration = 600.0

    // MARK: Chat

    /// Messages kept per stream in the LMDB chat history.
    public var chatHistoryLimit = 200
    /// Peers asked for recent chat when joining a stream or after a restart.
    public var historyPeers = 2
    /// Stream announcements remembered (`knownStreams()`); beyond it new streams are not added.
    public var maxKnownStreams = 10_000
    /// Topics joined at start (peer records and stream announcements).
    public var autoSubscribe: [Topic] = [.peers, .streams]

    public init() {}

    /// Checks that the parameters fit together; `GossipNode.start` calls it.
    public func validate() throws(GossipError) {
        func require(_ ok: Bool, _ why: String) throws(GossipError) { if !ok { throw .invalidConfig(why) } }
        try require(listen.hasPrefix("tcp://"), "listen must be tcp://host:port, got '\(listen)'")
        try require(meshDegreeLow >= 1 && meshDegreeLow <= meshDegree && meshDegree <= meshDegreeHigh,
                    "mesh degrees must satisfy 1 ≤ low (\(meshDegreeLow)) ≤ D (\(meshDegree)) ≤ high (\(meshDegreeHigh))")
        try require(meshDegreeScore <= meshDegree, "meshDegreeScore (\(meshDegreeScore)) must not exceed meshDegree (\(meshDegree))")
        try require(historyGossip >= 1 && historyGossip <= historyLength,
                    "historyGossip (\(historyGossip)) must be 1...historyLength (\(historyLength))")
        try require(heartbeatInterval >= 0.01 && heartbeatInterval <= 60, "heartbeatInterval must be 0.01...60 s")
        try require(maxFrameBytes >= 4096 && maxFrameBytes <= 64 << 20, "maxFrameBytes must be 4 KiB...64 MiB")
        try require(maxPayloadBytes >= 256 && maxPayloadBytes + 1024 <= maxFrameBytes / 2,
                    "maxPayloadBytes must be at least 256 and well below maxFrameBytes/2")
        try require(maxListItems >= 16 && maxListItems <= 65535, "maxListItems must be 16...65535")
        try require(targetConnections >= 1 && targetConnections <= maxConnections,
                    "targetConnections (\(targetConnections)) must be 1...maxConnections (\(maxConnections))")
        try require(graylistThreshold <= publishThreshold && publishThreshold <= gossipThreshold && gossipThreshold <= 0,
                    "score thresholds must satisfy graylist ≤ publish ≤ gossip ≤ 0")
        try require(scoreDecay > 0 && scoreDecay < 1, "scoreDecay must be between 0 and 1")
        try require(chatHistoryLimit >= 1 && chatHistoryLimit <= 65535, "chatHistoryLimit must be 1...65535")
        try require(seenTTL >= 1 && reorderWindow >= 0 && peerTimeout > keepAliveInterval,
                    "seenTTL ≥ 1 s, reorderWindow ≥ 0 and peerTimeout > keepAliveInterval")
    }
}

/// A bootstrap peer from config: its address and one endpoint.
public struct BootstrapPeer: Sendable, Hashable {
    public var address: Address
    public var endpoint: String
    public init(address: Address, endpoint: String) {
        self.address = address
        self.endpoint = endpoint
    }
}
