import Transport
/// One message between two linked nodes: a 6-byte header (version, kind,
/// body length) and the body. The length is checked against the cap and
/// against the bytes received before anything is decoded (docs/gossip.md).
enum Frame: Sendable, Equatable {
    static let version: UInt8 = 1
    static let headerBytes = 6

    /// Our signed peer record and the topics we subscribe to, with the
    /// version of that set. Opens a link.
    case hello(record: [UInt8], version: UInt64, topics: [String])
    /// "Who are you?": sent over a link whose HELLO we did not see.
    case helloRequest
    /// Every topic we subscribe to now. A node may reach a peer over two
    /// links (each dialed the other), so frames can overtake each other; the
    /// version (increasing, also across restarts) lets the receiver ignore a
    /// set older than the one it has.
    case subscriptions(version: UInt64, topics: [String])
    /// Envelopes, each exactly as its author encoded and signed it.
    case publish([[UInt8]])
    /// Ids of recent messages on a topic we hold ("I have").
    case ihave(topic: String, ids: [MessageID])
    /// Ids we want sent in full ("I want").
    case iwant([MessageID])
    /// Asks the receiver to add us to its mesh of these topics.
    case graft([String])
    /// Removes us from the receiver's mesh; carries a back-off and peer records (PX).
    case prune(topics: [String], backoffSeconds: UInt32, peers: [[UInt8]])
    /// Asks for signed peer records (peer exchange).
    case peersRequest
    /// Signed peer records.
    case peers([[UInt8]])
    /// Asks for the recent stored messages of a chat topic.
    case historyRequest(topic: String, limit: UInt16)
    /// Stored envelopes of a chat topic, oldest first.
    case history(topic: String, envelopes: [[UInt8]])
    /// Keep-alive.
    case ping

    enum Kind: UInt8 {
        case hello = 1, helloRequest, subscriptions, publish, ihave, iwant, graft, prune, peersRequest, peers,
             historyRequest, history, ping
    }

    var kind: Kind {
        switch self {
        case .hello: return .hello
        case .helloRequest: return .helloRequest
        case .subscriptions: return .subscriptions
        case .publish: return .publish
        case .ihave: return .ihave
        case .iwant: return .iwant
        case .graft: return .graft
        case .prune: return .prune
        case .peersRequest: return .peersRequest
        case .peers: return .peers
        case .historyRequest: return .historyRequest
        case .history: return .history
        case .ping: return .ping
        }
    }

    func encoded() -> [UInt8] {
        var w = WireWriter()
        switch self {
        case .hello(let record, let version, let topics):
            w.blob(record)
            w.u64(version)
            w.u16(UInt16(topics.count))
            for t in topics { w.string(t) }
        case .helloRequest, .peersRequest, .ping:
            break
        case .subscriptions(let version, let topics):
            w.u64(version)
            w.u16(UInt16(topics.count))
            for t in topics { w.string(t) }
        case .publish(let envelopes):
            w.u16(UInt16(envelopes.count))
            for e in envelopes { w.blob(e) }
        case .ihave(let topic, let ids):
            w.string(topic)
            w.u16(UInt16(ids.count))
            for id in ids { w.fixed(id.bytes) }
        case .iwant(let ids):
            w.u16(UInt16(ids.count))
            for id in ids { w.fixed(id.bytes) }
        case .graft(let topics):
            w.u16(UInt16(topics.count))
            for t in topics { w.string(t) }
        case .prune(let topics, let backoff, let peers):
            w.u16(UInt16(topics.count))
            for t in topics { w.string(t) }
            w.u32(backoff)
            w.u16(UInt16(peers.count))
            for p in peers { w.blob(p) }
        case .peers(let records):
            w.u16(UInt16(records.count))
            for p in records { w.blob(p) }
        case .historyRequest(let topic, let limit):
            w.string(topic)
            w.u16(limit)
        case .history(let topic, let envelopes):
            w.string(topic)
            w.u16(UInt16(envelopes.count))
            for e in envelopes { w.blob(e) }
        }
        let body = w.bytes
        var out = WireWriter(capacity: body.count + Self.headerBytes)
        out.u8(Self.version)
        out.u8(kind.rawValue)
        out.u32(UInt32(body.count))
        out.fixed(body)
        return out.bytes
    }

    /// Limits a decoder enforces; from `GossipConfig`.
    struct Limits: Sendable {
        var maxFrameBytes: Int
        var maxListItems: Int
        var maxEnvelopeBytes: Int
        static let recordBytes = 2048

        init(maxFrameBytes: Int, maxListItems: Int, maxEnvelopeBytes: Int) {
            self.maxFrameBytes = maxFrameBytes
            self.maxListItems = maxListItems
            self.maxEnvelopeBytes = maxEnvelopeBytes
        }

        init(_ config: GossipConfig) {
            self.init(maxFrameBytes: config.maxFrameBytes, maxListItems: config.maxListItems,
                      maxEnvelopeBytes: config.maxPayloadBytes + 512)
        }
    }

    static func decode(_ bytes: [UInt8], limits: Limits) throws(WireError) -> Frame {
        if bytes.count > limits.maxFrameBytes {
            throw .oversize(field: "frame", length: bytes.count, limit: limits.maxFrameBytes)
        }
        var r = WireReader(bytes)
        let version = try r.u8("frame version")
        guard version == Self.version else { throw .unsupportedVersion(Int(version)) }
        let rawKind = try r.u8("frame kind")
        let length = Int(try r.u32("frame length"))
        if length > limits.maxFrameBytes - headerBytes {
            throw .oversize(field: "frame body", length: length, limit: limits.maxFrameBytes - headerBytes)
        }
        guard length == r.remaining else {
            if length > r.remaining { throw .truncated(field: "frame body") }
            throw .trailingBytes(r.remaining - length)
        }
        guard let kind = Kind(rawValue: rawKind) else { throw .unknownKind(Int(rawKind)) }
        let n = limits.maxListItems
        let frame: Frame
        switch kind {
        case .hello:
            let record = try r.blob("hello record", limit: Limits.recordBytes)
            let version = try r.u64("subscription version")
            let count = try r.count("hello topics", limit: n)
            var topics: [String] = []
            for _ in 0..<count { topics.append(try r.string("topic", limit: Topic.maxBytes)) }
            frame = .hello(record: record, version: version, topics: topics)
        case .helloRequest: frame = .helloRequest
        case .peersRequest: frame = .peersRequest
        case .ping: frame = .ping
        case .subscriptions:
            let version = try r.u64("subscription version")
            frame = .subscriptions(version: version, topics: try readTopics(&r, limit: n))
        case .publish:
            let count = try r.count("envelopes", limit: n)
            var envelopes: [[UInt8]] = []
            for _ in 0..<count { envelopes.append(try r.blob("envelope", limit: limits.maxEnvelopeBytes)) }
            frame = .publish(envelopes)
        case .ihave:
            let topic = try r.string("topic", limit: Topic.maxBytes)
            frame = .ihave(topic: topic, ids: try readIDs(&r, limit: n))
        case .iwant:
            frame = .iwant(try readIDs(&r, limit: n))
        case .graft:
            frame = .graft(try readTopics(&r, limit: n))
        case .prune:
            let topics = try readTopics(&r, limit: n)
            let backoff = try r.u32("backoff")
            let count = try r.count("prune peers", limit: n)
            var peers: [[UInt8]] = []
            for _ in 0..<count { peers.append(try r.blob("peer record", limit: Limits.recordBytes)) }
            frame = .prune(topics: topics, backoffSeconds: backoff, peers: peers)
        case .peers:
            let count = try r.count("peer records", limit: n)
            var peers: [[UInt8]] = []
            for _ in 0..<count { peers.append(try r.blob("peer record", limit: Limits.recordBytes)) }
            frame = .peers(peers)
        case .historyRequest:
            let topic = try r.string("topic", limit: Topic.maxBytes)
            frame = .historyRequest(topic: topic, limit: try r.u16("history limit"))
        case .history:
            let topic = try r.string("topic", limit: Topic.maxBytes)
            let count = try r.count("history envelopes", limit: n)
            var envelopes: [[UInt8]] = []
            for _ in 0..<count { envelopes.append(try r.blob("envelope", limit: limits.maxEnvelopeBytes)) }
            frame = .history(topic: topic, envelopes: envelopes)
        }
        try r.finish()
        return frame
    }

    private static func readIDs(_ r: inout WireReader, limit: Int) throws(WireError) -> [MessageID] {
        let count = try r.count("message ids", limit: limit)
        if count * MessageID.byteCount > r.remaining { throw .truncated(field: "message ids") }
        var ids: [MessageID] = []
        ids.reserveCapacity(count)
        for _ in 0..<count { ids.append(try MessageID(bytes: try r.fixed(MessageID.byteCount, "message id"))) }
        return ids
    }

    private static func readTopics(_ r: inout WireReader, limit: Int) throws(WireError) -> [String] {
        let count = try r.count("topics", limit: limit)
        var topics: [String] = []
        for _ in 0..<count { topics.append(try r.string("topic", limit: Topic.maxBytes)) }
        return topics
    }
}
