import ContentStore
import Foundation
import Gossip
import Identity

/// A stream's signed manifest: who made it, its price, and its segments in
/// order, each a list of chunk CIDs with its duration. The creator signs it
/// (domain `peernode/stream-manifest/1`); it is stored and exchanged as one
/// raw chunk of canonical JSON, so its CID names it and any peer can serve
/// it. A live stream publishes a new manifest (higher `sequence`) per
/// segment, listing a window of the newest segments.
public struct StreamManifest: Codable, Sendable, Equatable {
    public static let currentVersion = 1
    /// An encrypted (paid) stream's manifest: nodes that know only version 1
    /// say so instead of failing its signature on fields they drop.
    public static let encryptedVersion = 2
    /// A manifest that describes its media (CMAF init segments, codecs,
    /// size, bandwidth, renditions: StreamManifest+Media.swift): older nodes
    /// say they cannot read it instead of failing its signature.
    public static let mediaVersion = 3
    public static let signingDomain = SigningDomain("peernode/stream-manifest/1")
    /// A manifest is one chunk.
    public static let maxEncodedBytes = StoreConfig.maxChunkSize

    public struct Segment: Codable, Sendable, Equatable {
        /// Media sequence number (HLS), increasing by one per segment.
        public var sequence: UInt64
        /// Seconds of media.
        public var duration: Double
        /// Total bytes of the segment file.
        public var size: UInt64
        /// The segment's bytes, in order, as chunks.
        public var chunks: [CID]
        /// True for the first segment after an encoder restart
        /// (`#EXT-X-DISCONTINUITY` before it); absent otherwise, so older
        /// manifests encode (and verify) as before.
        public var discontinuity: Bool?
        /// An encrypted stream's AES-128 IV for this segment (hex, 16 bytes).
        public var iv: String?
        /// A CMAF stream's new init segment from this segment on (a live
        /// encoder restarted with other settings); absent while the one
        /// before holds (the manifest's `initSegment` for the first).
        public var initSegment: InitSegment?

        public init(sequence: UInt64, duration: Double, size: UInt64, chunks: [CID], discontinuity: Bool? = nil,
                    iv: String? = nil) {
            self.sequence = sequence
            self.duration = duration
            self.size = size
            self.chunks = chunks
            self.discontinuity = discontinuity
            self.iv = iv
        }
    }

    /// How a paid stream's segments are encrypted (SegmentEncryption.swift).
    public struct Encryption: Codable, Sendable, Equatable {
        /// HLS's METHOD: "AES-128".
        public var method: String
        /// This publication's key nonce (hex, 16 bytes): with a segment's
        /// sequence it names the segment's key.
        public var keyNonce: String
    }

    public enum Kind: String, Codable, Sendable { case vod, live }

    public var version = StreamManifest.currentVersion
    public var kind: Kind
    /// "creator/name", the gossip StreamID.
    public var stream: String
    public var title: String
    public var creator: Address
    public var pricePerSecond: UInt64
    /// A tip of at least this much pins its chat line for `tipPinSeconds`
    /// (nil or 0: tips are highlighted but never pinned).
    public var tipPinPrice: UInt64?
    public var tipPinSeconds: Int?
    /// The longest segment, rounded up (EXT-X-TARGETDURATION).
    public var targetDuration: Int
    /// Increases with every manifest of the same stream.
    public var sequence: UInt64
    /// True once a live stream has ended (and always for a VOD).
    public var ended: Bool
    public var segments: [Segment]
    /// Discontinuities among the segments that left a live manifest
    /// (EXT-X-DISCONTINUITY-SEQUENCE of its first segment); absent when none.
    public var discontinuitySequence: UInt64?
    /// Set for a paid stream: its segments are encrypted; absent for a free one.
    public var encryption: Encryption?
    /// A CMAF (fragmented MP4) stream's init segment for its first listed
    /// segment; absent for MPEG-TS segments (every manifest before CMAF).
    public var initSegment: InitSegment?
    /// What the segments hold, measured from them (codecs, size, bandwidth).
    public var media: Media?
    /// More renditions of the same segments (an adaptive bitrate ladder),
    /// highest first after this manifest's own (`segments`), absent for one.
    public var renditions: [Rendition]?
    /// A frame of the video as a JPEG, for catalogs and players (PosterFrame).
    public var poster: StoredFile?
    /// Milliseconds since 1970 when the creator signed it.
    public var created: UInt64
    /// Ed25519 signature (hex) of the canonical JSON without this field.
    public var signature: String

    public init(kind: Kind, stream: StreamID, title: String, pricePerSecond: UInt64, sequence: UInt64, ended: Bool,
                segments: [Segment]) {
        self.kind = kind
        self.stream = stream.description
        self.title = title
        self.creator = stream.creator
        self.pricePerSecond = pricePerSecond
        self.targetDuration = max(1, Int((segments.map(\.duration).max() ?? 1).rounded(.up)))
        self.sequence = sequence
        self.ended = ended
        self.segments = segments
        self.created = UInt64(Date().timeIntervalSince1970 * 1000)
        self.signature = ""
    }

    static func canonical<T: Encodable>(_ value: T) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding these plain value types cannot fail.
        return Array((try? encoder.encode(value)) ?? Data())
    }

    /// The bytes the signature covers.
    var signedPayload: [UInt8] {
        var unsigned = self
        unsigned.signature = ""
        return Self.canonical(unsigned)
    }

    public mutating func sign(with key: KeyPair) throws(PeerNodeError) {
        guard key.address == creator else { throw .badManifest("only the creator \(creator) may sign it") }
        signature = hexString(key.sign(signedPayload, domain: Self.signingDomain))
    }

    /// The stored form: canonical JSON including the signature.
    public func encoded() -> [UInt8] { Self.canonical(self) }

    public var cid: CID { CID.hashing(encoded()) }

    public var streamID: StreamID? { try? StreamID(stream) }

    /// Decodes and checks the signature, the stream id and the segment order.
    public static func decode(_ bytes: [UInt8]) throws(PeerNodeError) -> StreamManifest {
        guard bytes.count <= maxEncodedBytes else { throw .badManifest("\(bytes.count) bytes; the limit is \(maxEncodedBytes)") }
        let manifest: StreamManifest
        do { manifest = try JSONDecoder().decode(StreamManifest.self, from: Data(bytes)) } catch {
            throw .badManifest("not manifest JSON: \(error)")
        }
        guard (currentVersion...mediaVersion).contains(manifest.version) else {
            throw .badManifest("version \(manifest.version) is not supported")
        }
        if let encryption = manifest.encryption {
            guard manifest.version >= encryptedVersion, encryption.method == SegmentCipher.method,
                  hexBytes(encryption.keyNonce)?.count == 16 else {
                throw .badManifest("encryption \(encryption.method) with nonce '\(encryption.keyNonce.prefix(40))' is not AES-128 with a 16-byte nonce")
            }
            for segment in manifest.segments where hexBytes(segment.iv ?? "")?.count != SegmentCipher.ivBytes {
                throw .badManifest("encrypted segment \(segment.sequence) has no 16-byte IV")
            }
        }
        guard let id = manifest.streamID, id.creator == manifest.creator else {
            throw .badManifest("stream '\(manifest.stream.prefix(80))' does not belong to creator \(manifest.creator)")
        }
        guard let signature = hexBytes(manifest.signature),
              manifest.creator.verifies(signature: signature, message: manifest.signedPayload, domain: signingDomain) else {
            throw .badManifest("the creator's signature does not verify")
        }
        for (a, b) in zip(manifest.segments, manifest.segments.dropFirst()) where b.sequence != a.sequence + 1 {
            throw .badManifest("segment \(b.sequence) follows \(a.sequence)")
        }
        try manifest.checkMedia()
        return manifest
    }

    public var totalDuration: Double { segments.reduce(0) { $0 + $1.duration } }

    /// What `seconds` of this stream cost a viewer: at its price per second,
    /// rounded up (a segment's seconds, a key's price, a whole VOD).
    public func secondsCost(_ seconds: Double) -> UInt64 {
        UInt64((max(0, seconds) * Double(pricePerSecond)).rounded(.up))
    }

    /// Makes this (not yet signed) manifest an encrypted one, with a fresh key nonce.
    mutating func encrypt(nonce: [UInt8]) {
        version = max(version, Self.encryptedVersion)
        encryption = Encryption(method: SegmentCipher.method, keyNonce: hexString(nonce))
    }

    /// The key nonce of an encrypted stream.
    var keyNonce: [UInt8]? { encryption.flatMap { hexBytes($0.keyNonce) } }
}

/// Lower-case hex, as manifests and the node's files write bytes.
func hexString(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

package func hexBytes(_ text: String) -> [UInt8]? {
    let digits = Array(text.utf8)
    guard digits.count % 2 == 0 else { return nil }
    var out: [UInt8] = []
    out.reserveCapacity(digits.count / 2)
    var i = 0
    while i < digits.count {
        guard let hi = hexValue(digits[i]), let lo = hexValue(digits[i + 1]) else { return nil }
        out.append(hi << 4 | lo)
        i += 2
    }
    return out
}

private func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case 48...57: return c - 48
    case 97...102: return c - 87
    case 65...70: return c - 55
    default: return nil
    }
}
