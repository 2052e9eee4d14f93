import Foundation
import Identity

/// A content identifier (CID) with a sha2-256 multihash.
///
/// Chunks are CIDv1, codec raw (0x55), written in multibase base32 lower
/// ("bafkrei..."): the same bytes get the same CID from kubo (`ipfs block
/// put`, or `ipfs add --raw-leaves --cid-version 1` for one chunk), so any
/// IPFS gateway can serve our chunks and we can verify theirs. Manifests use
/// codec dag-json (0x0129). CIDv0 ("Qm...", dag-pb) is parsed and printed
/// for UnixFS roots from kubo.
public struct CID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public static func == (a: CID, b: CID) -> Bool { a.bytes == b.bytes }
    public func hash(into hasher: inout Hasher) { hasher.combine(bytes) }
    public enum Codec: UInt64, Sendable {
        case raw = 0x55
        case dagPB = 0x70
        case dagJSON = 0x0129
    }

    public static let sha256Code: UInt64 = 0x12
    public static let digestLength = 32

    public let version: Int
    public let codec: Codec
    /// The sha2-256 digest of the block's bytes.
    public let digest: [UInt8]
    /// The binary form: varint version, varint codec, multihash (v0: the
    /// multihash only). Kept, not recomputed: it is the store's key.
    public let bytes: [UInt8]

    public init(version: Int = 1, codec: Codec, digest: [UInt8]) throws(CIDError) {
        guard digest.count == Self.digestLength else { throw .badDigestLength(digest.count) }
        guard version == 1 || (version == 0 && codec == .dagPB) else { throw .unsupportedVersion(UInt64(version)) }
        self.version = version
        self.codec = codec
        self.digest = digest
        let multihash = [UInt8(Self.sha256Code), UInt8(Self.digestLength)] + digest
        bytes = version == 0 ? multihash : Varint.encode(1) + Varint.encode(codec.rawValue) + multihash
    }

    /// The CIDv1 of `bytes` under `codec` (raw unless told otherwise).
    public static func hashing<Bytes: ContiguousBytes>(_ bytes: Bytes, codec: Codec = .raw) -> CID {
        // A sha256 digest is always 32 bytes and v1 takes any codec.
        (try? CID(codec: codec, digest: ChunkHash.sha256(bytes)))!
    }

    public static func hashing(buffer: UnsafeRawBufferPointer, codec: Codec = .raw) -> CID {
        (try? CID(codec: codec, digest: ChunkHash.sha256(buffer)))!
    }

    /// Whether `bytes` are the block this CID names.
    public func matches(_ bytes: UnsafeRawBufferPointer) -> Bool {
        ChunkHash.sha256(bytes) == digest
    }

    public func matches<Bytes: ContiguousBytes>(_ bytes: Bytes) -> Bool {
        bytes.withUnsafeBytes { matches($0) }
    }

    public init(bytes: [UInt8]) throws(CIDError) {
        if bytes.count == 34, bytes[0] == 0x12, bytes[1] == 0x20 {
            try self.init(version: 0, codec: .dagPB, digest: Array(bytes[2...]))
            return
        }
        var offset = 0
        guard let version = Varint.decode(bytes, at: &offset) else { throw .truncated }
        guard version == 1 else { throw .unsupportedVersion(version) }
        guard let codecValue = Varint.decode(bytes, at: &offset) else { throw .truncated }
        guard let codec = Codec(rawValue: codecValue) else { throw .unsupportedCodec(codecValue) }
        guard let hashCode = Varint.decode(bytes, at: &offset) else { throw .truncated }
        guard hashCode == Self.sha256Code else { throw .unsupportedHash(hashCode) }
        guard let length = Varint.decode(bytes, at: &offset) else { throw .truncated }
        guard length == UInt64(Self.digestLength) else { throw .badDigestLength(Int(clamping: length)) }
        guard bytes.count - offset == Self.digestLength else {
            throw bytes.count - offset < Self.digestLength ? .truncated : .trailingBytes
        }
        try self.init(version: 1, codec: codec, digest: Array(bytes[offset...]))
    }

    /// Parses "b..." (base32 CIDv1), "z..." (base58btc CIDv1) or "Qm..." (CIDv0).
    public init(_ text: String) throws(CIDError) {
        guard let first = text.first else { throw .empty }
        if text.count == 46, text.hasPrefix("Qm") {
            guard let decoded = Base58.decode(text) else { throw .badEncoding(text) }
            try self.init(bytes: decoded)
            return
        }
        let body = String(text.dropFirst())
        let decoded: [UInt8]?
        switch first {
        case "b", "B": decoded = Base32.decode(body)
        case "z": decoded = Base58.decode(body)
        default: throw .unsupportedMultibase(first)
        }
        guard let decoded else { throw .badEncoding(text) }
        try self.init(bytes: decoded)
    }

    public var description: String {
        version == 0 ? Base58.encode(bytes) : "b" + Base32.encode(bytes)
    }

    /// The same content under CIDv1 (for CIDv0 roots).
    public var v1: CID { (try? CID(version: 1, codec: codec, digest: digest))! }

    public static func < (a: CID, b: CID) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }
}

extension CID: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

public enum CIDError: Error, Equatable, CustomStringConvertible {
    case empty
    case truncated
    case trailingBytes
    case badEncoding(String)
    case unsupportedMultibase(Character)
    case unsupportedVersion(UInt64)
    case unsupportedCodec(UInt64)
    case unsupportedHash(UInt64)
    case badDigestLength(Int)

    public var description: String {
        switch self {
        case .empty: return "empty CID"
        case .truncated: return "CID is truncated"
        case .trailingBytes: return "CID has bytes after its digest"
        case .badEncoding(let text): return "'\(text)' is not a valid CID (bad characters for its multibase)"
        case .unsupportedMultibase(let c): return "unsupported multibase prefix '\(c)' (use base32 'b...' or 'Qm...')"
        case .unsupportedVersion(let v): return "unsupported CID version \(v)"
        case .unsupportedCodec(let c): return "unsupported codec 0x\(String(c, radix: 16)) (raw, dag-pb and dag-json are known)"
        case .unsupportedHash(let h): return "unsupported hash function 0x\(String(h, radix: 16)) (only sha2-256)"
        case .badDigestLength(let n): return "digest is \(n) bytes; sha2-256 digests are 32"
        }
    }
}
