/// A node's or wallet's address: the 32-byte Ed25519 public key, written in
/// base58 exactly as Solana writes addresses.
public struct Address: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public static let byteCount = 32
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) throws(IdentityError) {
        guard bytes.count == Self.byteCount else {
            throw .invalidAddress("an address is \(Self.byteCount) bytes, got \(bytes.count)")
        }
        self.bytes = bytes
    }

    public init(base58 text: String) throws(IdentityError) {
        guard let decoded = Base58.decode(text) else {
            throw .invalidAddress("'\(text)' is not base58")
        }
        guard decoded.count == Self.byteCount else {
            throw .invalidAddress("'\(text)' decodes to \(decoded.count) bytes, an address is \(Self.byteCount)")
        }
        self.bytes = decoded
    }

    public var base58: String { Base58.encode(bytes) }
    public var description: String { base58 }

    public static func < (a: Address, b: Address) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }

    /// The 32 bytes in one go: addresses key the gossip and exchange tables,
    /// and the synthesized hash fed them to the hasher a byte at a time.
    public func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(base58: text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(base58)
    }
}
