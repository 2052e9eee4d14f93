import ContentStore
import Identity
import Transport

/// A creator's signed record of a stream, published on the streams topic.
/// A newer announcement (higher envelope sequence) replaces an older one.
public struct StreamAnnouncement: Sendable, Equatable {
    public static let version: UInt8 = 1
    public static let maxTitleBytes = 200

    public var stream: StreamID
    public var title: String
    /// Price per second of watch time, in the smallest token unit.
    public var pricePerSecond: UInt64
    /// The current manifest (a VOD, or a live stream's latest manifest).
    public var manifest: CID?
    /// For live streams, the sequence number of the newest segment.
    public var liveSegment: UInt64?

    public init(stream: StreamID, title: String, pricePerSecond: UInt64, manifest: CID? = nil, liveSegment: UInt64? = nil) {
        self.stream = stream
        self.title = title
        self.pricePerSecond = pricePerSecond
        self.manifest = manifest
        self.liveSegment = liveSegment
    }

    public var creator: Address { stream.creator }

    func encoded() -> [UInt8] {
        var w = WireWriter()
        w.u8(Self.version)
        w.string(stream.description)
        w.string(title)
        w.u64(pricePerSecond)
        w.blob(manifest?.bytes ?? [])
        w.u8(liveSegment == nil ? 0 : 1)
        w.u64(liveSegment ?? 0)
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) throws(WireError) -> StreamAnnouncement {
        var r = WireReader(bytes)
        let version = try r.u8("announcement version")
        guard version == Self.version else { throw .unsupportedVersion(Int(version)) }
        let stream = try StreamID(try r.string("stream id", limit: 128))
        let title = try r.string("title", limit: maxTitleBytes)
        let price = try r.u64("price per second")
        let cidBytes = try r.blob("manifest", limit: 128)
        var manifest: CID?
        if !cidBytes.isEmpty {
            do { manifest = try CID(bytes: cidBytes) } catch { throw .invalid("manifest is not a CID") }
        }
        let hasLive = try r.u8("live flag")
        let live = try r.u64("live segment")
        try r.finish()
        guard hasLive <= 1 else { throw .invalid("live flag is \(hasLive)") }
        return StreamAnnouncement(stream: stream, title: title, pricePerSecond: price, manifest: manifest,
                                  liveSegment: hasLive == 1 ? live : nil)
    }
}

/// A chat line, signed by its author, optionally pointing at a tip (a
/// voucher or transaction reference) that highlights it.
public struct ChatMessage: Sendable, Equatable {
    public static let version: UInt8 = 1
    public static let maxTipReferenceBytes = 128

    public var text: String
    public var tipReference: String?

    public init(text: String, tipReference: String? = nil) {
        self.text = text
        self.tipReference = tipReference
    }

    func encoded() -> [UInt8] {
        var w = WireWriter()
        w.u8(Self.version)
        w.string(text)
        w.string(tipReference ?? "")
        return w.bytes
    }

    static func decode(_ bytes: [UInt8], maxText: Int) throws(WireError) -> ChatMessage {
        var r = WireReader(bytes)
        let version = try r.u8("chat version")
        guard version == Self.version else { throw .unsupportedVersion(Int(version)) }
        let text = try r.string("chat text", limit: maxText)
        let tip = try r.string("tip reference", limit: maxTipReferenceBytes)
        try r.finish()
        return ChatMessage(text: text, tipReference: tip.isEmpty ? nil : tip)
    }
}

/// What a stream's creator does to an address in its chat.
public struct ModerationAction: Sendable, Equatable {
    public static let version: UInt8 = 1

    public enum Kind: UInt8, Sendable {
        /// Hide the address's chat until `until`.
        case mute = 1
        /// Hide the address's chat for good.
        case ban = 2
        /// Lift a mute or ban.
        case lift = 3
    }

    public var kind: Kind
    public var target: Address
    /// For a mute: milliseconds since 1970 when it ends.
    public var until: UInt64

    public init(kind: Kind, target: Address, until: UInt64 = 0) {
        self.kind = kind
        self.target = target
        self.until = until
    }

    func encoded() -> [UInt8] {
        var w = WireWriter()
        w.u8(Self.version)
        w.u8(kind.rawValue)
        w.fixed(target.bytes)
        w.u64(until)
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) throws(WireError) -> ModerationAction {
        var r = WireReader(bytes)
        let version = try r.u8("moderation version")
        guard version == Self.version else { throw .unsupportedVersion(Int(version)) }
        let raw = try r.u8("moderation kind")
        guard let kind = Kind(rawValue: raw) else { throw .unknownKind(Int(raw)) }
        let targetBytes = try r.fixed(Address.byteCount, "target")
        guard let target = try? Address(bytes: targetBytes) else { throw .invalid("moderation target") }
        let until = try r.u64("until")
        try r.finish()
        return ModerationAction(kind: kind, target: target, until: until)
    }
}

/// A message delivered to a subscriber, already verified and in per-author order.
public struct GossipMessage: Sendable {
    public enum Content: Sendable {
        /// Verified once, here; kept signed so the peer table can hand it on.
        case peerRecord(SignedPeerRecord)
        case announcement(StreamAnnouncement)
        case chat(ChatMessage)
        case moderation(ModerationAction)
    }

    public let envelope: Envelope
    public let content: Content
    /// Local monotonic time (ns) when this node accepted it.
    public let receivedAt: UInt64
    /// Local monotonic time (ns) when it was handed to subscribers (later
    /// than `receivedAt` when it waited for an earlier message of its author).
    public internal(set) var deliveredAt: UInt64 = 0

    public var id: MessageID { envelope.id }
    public var topic: Topic { envelope.topic }
    public var author: Address { envelope.author }
}

extension GossipMessage.Content {
    /// Decodes a payload for its topic; the author checks belong to validation.
    static func decode(topic: Topic, payload: [UInt8], maxChatText: Int) throws(WireError) -> GossipMessage.Content {
        switch topic {
        case .peers: return .peerRecord(try SignedPeerRecord(wire: payload))
        case .streams: return .announcement(try StreamAnnouncement.decode(payload))
        case .chat: return .chat(try ChatMessage.decode(payload, maxText: maxChatText))
        case .moderation: return .moderation(try ModerationAction.decode(payload))
        }
    }
}
