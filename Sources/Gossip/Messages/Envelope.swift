import Identity
import Transport

extension SigningDomain {
    /// Gossip envelopes.
    public static let gossipEnvelope = SigningDomain("peernode/gossip/envelope/v1")
    /// Signed peer records (in HELLO, peer exchange and on the peers topic).
    public static let peerRecord = SigningDomain("peernode/gossip/peer-record/v1")
}

/// A message as its author signed it: topic, author, sequence, timestamp,
/// payload. Relays forward these exact bytes and never re-sign. Decoding
/// does not verify; `verify()` does, once per message per node.
///
/// Sequence: `epoch` is the publisher's session (its start time in ms) and
/// `seq` counts from 1 within it, so a receiver can tell a gap (wait for it)
/// from a new session (start over) and deliver each author's messages in order.
public struct Envelope: Sendable {
    public static let version: UInt8 = 1
    public static let signatureBytes = 64

    public let topic: Topic
    public let author: Address
    public let epoch: UInt64
    public let seq: UInt64
    /// Milliseconds since 1970 on the author's clock.
    public let timestamp: UInt64
    public let payload: [UInt8]
    public let signature: [UInt8]
    /// The whole encoded envelope as it travels: signed bytes then signature.
    public let wire: [UInt8]
    /// SHA-256 of the signed bytes.
    public let id: MessageID

    var signedBytes: ArraySlice<UInt8> { wire[0..<(wire.count - Self.signatureBytes)] }

    /// Builds and signs a new envelope.
    public init(topic: Topic, author: KeyPair, epoch: UInt64, seq: UInt64, timestamp: UInt64,
                payload: [UInt8]) {
        var w = WireWriter(capacity: payload.count + 200)
        w.u8(Self.version)
        w.string(topic.description)
        w.fixed(author.publicKey)
        w.u64(epoch)
        w.u64(seq)
        w.u64(timestamp)
        w.blob(payload)
        let signed = w.bytes
        let signature = author.sign(signed, domain: .gossipEnvelope)
        self.topic = topic
        self.author = author.address
        self.epoch = epoch
        self.seq = seq
        self.timestamp = timestamp
        self.payload = payload
        self.signature = signature
        self.wire = signed + signature
        self.id = MessageID.of(signed[...])
    }

    /// Parses an encoded envelope; `maxPayload` is checked before the payload is copied.
    public init(wire: [UInt8], maxPayload: Int) throws(WireError) {
        var r = WireReader(wire)
        let version = try r.u8("envelope version")
        guard version == Self.version else { throw .unsupportedVersion(Int(version)) }
        let topicText = try r.string("topic", limit: Topic.maxBytes)
        let topic = try Topic(topicText)
        let author = try r.fixed(Address.byteCount, "author")
        epoch = try r.u64("epoch")
        seq = try r.u64("seq")
        timestamp = try r.u64("timestamp")
        payload = try r.blob("payload", limit: maxPayload)
        let signedEnd = r.offset
        signature = try r.fixed(Self.signatureBytes, "signature")
        try r.finish()
        self.topic = topic
        guard let authorAddress = try? Address(bytes: author) else { throw .invalid("author") }
        self.author = authorAddress
        self.wire = wire
        self.id = MessageID.of(wire[0..<signedEnd])
    }

    /// Whether the author signed these bytes.
    public func verify() -> Bool {
        author.verifies(signature: signature, message: signedBytes, domain: .gossipEnvelope)
    }
}
