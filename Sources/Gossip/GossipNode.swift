import Foundation
import Identity
import Transport

/// A gossip node: ZeroMQ links to peers, a gossipsub-style mesh per topic,
/// signed envelopes, and the chat history in LMDB.
///
/// ```swift
/// let node = try await GossipNode.start(identity: key, config: config, dataDirectory: dir)
/// for await message in await node.subscribe(.chat(stream)) { ... }
/// try await node.sendChat(stream: stream, text: "hello")
/// await node.stop()
/// ```
///
/// All state is actor-isolated; the ZeroMQ sockets belong to the
/// transport's own thread, so nothing here blocks the cooperative pool
/// (chat history writes skip fsync, see `ChatHistory`).
public actor GossipNode {
    public nonisolated let address: Address
    /// The endpoint the node listens on (the port chosen when `listen` ends in `:0`).
    public nonisolated let endpoint: String

    let identity: KeyPair
    let config: GossipConfig
    let limits: Frame.Limits
    let transport: Transport
    /// Released on `stop()`, which closes the LMDB environment, so the same
    /// data directory can be opened again in this process.
    var history: ChatHistory?
    let epoch: UInt64

    // Peers
    var peers: [Address: ConnectedPeer] = [:]
    var inboundRoutes: [[UInt8]: Address] = [:]
    var helloRequested: [[UInt8]: UInt64] = [:]
    var table: PeerTable
    var blocked: [Address: UInt64] = [:]
    var blockedKeys: Set<String> = []
    var pendingDials: [Address: UInt64] = [:]
    var ownRecord: SignedPeerRecord
    var lastRecordPublish: UInt64 = 0

    // Router
    var subscriptions: Set<Topic> = []
    /// Version of our subscription set: the epoch in the high bits, so it
    /// also grows across restarts, and a counter below.
    var subscriptionVersion: UInt64
    var meshState = MeshState()
    var seen: SeenCache
    var mcache: MessageCache
    var sequencer: AuthorSequencer<GossipMessage>
    var ownSeq: [Topic: UInt64] = [:]
    var subscribers: [Topic: [Int: AsyncStream<GossipMessage>.Continuation]] = [:]
    var nextSubscriberID = 0
    var needsHistory: Set<Topic> = []
    var iwantPending: [MessageID: UInt64] = [:]
    var announcements: [StreamID: (seq: (UInt64, UInt64), announcement: StreamAnnouncement)] = [:]
    var standings: [StreamID: [Address: ChatHistory.Standing]] = [:]
    var outbox: [(Link, [UInt8])] = []
    var flushScheduled = false
    var stats = GossipStats()
    var tasks: [Task<Void, Never>] = []
    /// Listeners of `bootstrapEvents()`.
    var bootstrapWatchers: [AsyncStream<BootstrapEvent>.Continuation] = []
    var stopped = false

    /// A peer with a link that completed HELLO.
    struct ConnectedPeer {
        var address: Address
        var link: Link
        var inboundRoutingID: [UInt8]?
        var topics: Set<Topic> = []
        var topicsVersion: UInt64 = 0
        var score = PeerScore()
        var frames: TokenBucket
        var bytes: TokenBucket
        var lastReceived: UInt64
        var lastSent: UInt64
        var ihaveThisHeartbeat = 0
        /// Frames received, by kind (diagnostics).
        var framesByKind = [Int](repeating: 0, count: 16)
        var record: SignedPeerRecord?
    }

    /// Starts a node: binds, opens the chat history under `dataDirectory`
    /// (none when nil: chat is then not kept), dials the bootstrap peers.
    public static func start(identity: KeyPair, config: GossipConfig = GossipConfig(),
                             dataDirectory: String? = nil) async throws -> GossipNode {
        try config.validate()
        let curve = try identity.curveKeyPair()
        var transportOptions = Transport.Options(listen: config.listen, curve: curve, maxFrameBytes: config.maxFrameBytes,
                                                 highWaterMark: config.socketHighWaterMark)
        transportOptions.shaper = config.shaper
        let transport = try await Transport.start(transportOptions)
        var history: ChatHistory?
        if let dataDirectory {
            do {
                let dir = dataDirectory + "/gossip"
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                history = try ChatHistory(directory: dir, limit: config.chatHistoryLimit)
            } catch {
                transport.stop()
                throw error
            }
        }
        let node = try GossipNode(identity: identity, config: config, transport: transport, history: history)
        await node.begin()
        return node
    }

    private init(identity: KeyPair, config: GossipConfig, transport: Transport, history: ChatHistory?) throws {
        self.identity = identity
        self.address = identity.address
        self.config = config
        self.limits = Frame.Limits(config)
        self.transport = transport
        self.endpoint = transport.endpoint
        self.history = history
        self.epoch = UInt64(Date().timeIntervalSince1970 * 1000)
        self.subscriptionVersion = epoch << 20
        self.table = PeerTable(capacity: config.maxKnownPeers)
        self.seen = SeenCache(ttlSeconds: config.seenTTL)
        self.mcache = MessageCache(historyLength: config.historyLength, historyGossip: config.historyGossip)
        self.sequencer = AuthorSequencer(maxHeld: config.maxHeldPerAuthor)
        let endpoints = Endpoint.advertised(bound: transport.endpoint, configured: config.advertisedEndpoints,
                                                limit: PeerRecord.maxEndpoints)
        self.ownRecord = try SignedPeerRecord(
            PeerRecord(address: identity.address, endpoints: endpoints, pricePerChunk: config.pricePerChunk,
                       capabilities: config.capabilities, seq: UInt64(Date().timeIntervalSince1970 * 1000)),
            signedBy: identity)
    }

    private func begin() {
        let now = monotonicNanos()
        for peer in config.bootstrap where peer.address != address { table.addBootstrap(peer, now: now) }
        if let history, let saved = try? history.loadStandings() {
            for (streamText, target, standing) in saved {
                if let stream = try? StreamID(streamText) { standings[stream, default: [:]][target] = standing }
            }
        }
        for topic in config.autoSubscribe { subscriptions.insert(topic) }
        let events = transport.events
        tasks.append(Task { [weak self] in await self?.run(events) })
        let interval = UInt64(config.heartbeatInterval * 1e9)
        tasks.append(Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: interval)
                guard let self else { return }
                await self.heartbeat()
            }
        })
        dialMore(now: now)
        flush()
    }

    /// Handles transport events on the actor itself, one after another,
    /// suspending only when none is waiting (no hop per frame).
    private func run(_ events: AsyncStream<TransportEvent>) async {
        for await event in events { handle(event) }
    }

    /// Closes every link and the chat history; subscriptions end.
    public func stop() async {
        guard !stopped else { return }
        stopped = true
        for task in tasks { task.cancel() }
        transport.stop()
        for (_, subs) in subscribers { for (_, c) in subs { c.finish() } }
        subscribers.removeAll()
        for watcher in bootstrapWatchers { watcher.finish() }
        bootstrapWatchers.removeAll()
        if let first = tasks.first { await first.value }
        history = nil
    }

    // MARK: Subscribing

    /// Joins a topic and returns its messages, verified, once each, in
    /// per-author order. Subscribing to a stream's chat also joins its
    /// moderation topic; moderation actions arrive on the same stream, and
    /// recent chat is fetched from peers into the history.
    public func subscribe(_ topic: Topic) -> AsyncStream<GossipMessage> {
        let (stream, continuation) = AsyncStream.makeStream(of: GossipMessage.self, bufferingPolicy: .unbounded)
        let id = nextSubscriberID
        nextSubscriberID += 1
        subscribers[topic, default: [:]][id] = continuation
        continuation.onTermination = { [weak self] _ in
            Task { await self?.removeSubscriber(topic, id) }
        }
        join(topic)
        if case .chat(let s) = topic {
            join(.moderation(s))
            needsHistory.insert(topic)
            requestHistory(now: monotonicNanos())
        }
        flush()
        return stream
    }

    private func removeSubscriber(_ topic: Topic, _ id: Int) {
        subscribers[topic]?[id] = nil
    }

    /// Leaves a topic (and, for chat, its moderation topic); open streams end.
    public func unsubscribe(_ topic: Topic) {
        var topics = [topic]
        if case .chat(let s) = topic { topics.append(.moderation(s)) }
        for t in topics where subscriptions.contains(t) && !config.autoSubscribe.contains(t) {
            subscriptions.remove(t)
            for (_, c) in subscribers[t] ?? [:] { c.finish() }
            subscribers[t] = nil
            for peer in meshState.mesh[t] ?? [] {
                enqueue(.prune(topics: [t.description], backoffSeconds: UInt32(config.pruneBackoff), peers: []), to: peer)
            }
            meshState.mesh[t] = nil
            subscriptionVersion += 1
            broadcast(subscriptionsFrame)
        }
        flush()
    }

    func join(_ topic: Topic) {
        guard !subscriptions.contains(topic) else { return }
        subscriptions.insert(topic)
        subscriptionVersion += 1
        broadcast(subscriptionsFrame)
        let now = monotonicNanos()
        var members = meshState.fanout.removeValue(forKey: topic) ?? []
        meshState.fanoutLastPublished[topic] = nil
        let candidates = peers.values.filter { $0.topics.contains(topic) && !members.contains($0.address)
            && $0.score.value(config) >= 0 && !meshState.inBackoff(topic, $0.address, now: now) }.map(\.address)
        for peer in candidates.shuffled() where members.count < config.meshDegree { members.insert(peer) }
        meshState.mesh[topic] = members
        for peer in members { enqueue(.graft([topic.description]), to: peer) }
    }

    // MARK: Publishing

    /// Announces a stream (we must be its creator).
    @discardableResult
    public func announce(_ announcement: StreamAnnouncement) throws -> MessageID {
        guard announcement.creator == address else {
            throw GossipError.notAuthorized("only \(announcement.creator) may announce \(announcement.stream)")
        }
        return try publish(.streams, payload: announcement.encoded())
    }

    /// Sends a chat line to a stream's chat.
    @discardableResult
    public func sendChat(stream: StreamID, text: String, tipReference: String? = nil) throws -> MessageID {
        guard text.utf8.count <= config.maxChatTextBytes else {
            throw GossipError.tooLarge("chat text is \(text.utf8.count) bytes; the limit is \(config.maxChatTextBytes)")
        }
        if let tip = tipReference, tip.utf8.count > ChatMessage.maxTipReferenceBytes {
            throw GossipError.tooLarge("a tip reference is at most \(ChatMessage.maxTipReferenceBytes) bytes")
        }
        return try publish(.chat(stream), payload: ChatMessage(text: text, tipReference: tipReference).encoded())
    }

    /// Mutes, bans or lifts an address in a stream's chat (we must be the creator).
    @discardableResult
    public func moderate(stream: StreamID, _ action: ModerationAction) throws -> MessageID {
        guard stream.creator == address else {
            throw GossipError.notAuthorized("only the creator \(stream.creator) moderates \(stream)")
        }
        return try publish(.moderation(stream), payload: action.encoded())
    }

    /// Publishes our current peer record on the peers topic.
    @discardableResult
    public func publishPeerRecord() throws -> MessageID {
        lastRecordPublish = monotonicNanos()
        return try publish(.peers, payload: ownRecord.wire)
    }

    // MARK: Reading state

    /// The newest stored chat of a stream, oldest first, without muted or banned authors.
    public func chatHistory(stream: StreamID, limit: Int? = nil) throws -> [GossipMessage] {
        guard let history else { return [] }
        let envelopes = try history.recent(stream, limit: limit ?? config.chatHistoryLimit,
                                           maxPayload: config.maxPayloadBytes)
        return envelopes.compactMap { envelope in
            guard !isSilenced(envelope.author, in: stream, at: envelope.timestamp),
                  case .chat(let chat)? = try? GossipMessage.Content.decode(
                      topic: envelope.topic, payload: envelope.payload, maxChatText: config.maxChatTextBytes)
            else { return nil }
            return GossipMessage(envelope: envelope, content: .chat(chat), receivedAt: 0)
        }
    }

    /// The latest announcement of every stream heard of.
    public func knownStreams() -> [StreamAnnouncement] {
        announcements.values.map(\.announcement).sorted { $0.stream < $1.stream }
    }

    /// Addresses of peers with a live link.
    public func connectedPeers() -> [Address] { peers.keys.sorted() }

    /// Addresses in the peer table.
    public func knownPeers() -> [Address] { table.entries.keys.sorted() }

    /// Peers in our mesh for a topic.
    public func meshPeers(_ topic: Topic) -> [Address] { (meshState.mesh[topic] ?? []).sorted() }

    /// A peer's current score (nil when not connected).
    public func score(of peer: Address) -> Double? { peers[peer]?.score.value(config) }

    /// Whether an address is blocked after being dropped for its score.
    public func isBlocked(_ peer: Address) -> Bool { (blocked[peer] ?? 0) > monotonicNanos() }

    public func statistics() -> GossipStats { stats }

    /// Frames the transport could not queue (a peer's queue was full or gone).
    public nonisolated var droppedSends: Int { transport.droppedSends }
}

/// Errors from the node's API, each saying what to do.
public enum GossipError: Error, Equatable, CustomStringConvertible {
    case notAuthorized(String)
    case tooLarge(String)
    case invalidConfig(String)
    case stopped

    public var description: String {
        switch self {
        case .notAuthorized(let why): return "not allowed: \(why)"
        case .tooLarge(let why): return "too large: \(why)"
        case .invalidConfig(let why): return "invalid gossip config: \(why)"
        case .stopped: return "the gossip node has been stopped"
        }
    }
}

extension GossipNode {
    /// Sends raw bytes to a connected peer, bypassing every check. Only for
    /// tests and fault injection (a misbehaving node in a simulation).
    public func injectRaw(_ bytes: [UInt8], to peer: Address) {
        enqueue(encoded: bytes, to: peer)
        flush()
    }

    /// A PUBLISH frame holding one envelope, as a node would send it (for fault injection).
    public static func publishFrame(_ envelope: Envelope) -> [UInt8] { Frame.publish([envelope.wire]).encoded() }
}
