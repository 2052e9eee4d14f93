import Crypto
import Identity

/// An ANS-104 data item signed with an Ed25519 key (signature type 2,
/// "ed25519"; type 4, "solana", has the same layout and is accepted when
/// verifying). Layout, little-endian:
///
///     signature type (2) | signature (64) | owner public key (32)
///     | target flag (1) [target (32)] | anchor flag (1) [anchor (32)]
///     | tag count (8) | tag bytes (8) | tags (Avro) | data
///
/// The signature is Ed25519 over the deep hash of
/// ["dataitem", "1", "<type>", owner, target, anchor, tags, data];
/// the id is base64url(SHA-256(signature)).
public struct DataItem: Sendable, Equatable {
    public static let ed25519: UInt16 = 2
    public static let solana: UInt16 = 4
    static let signatureLength = 64
    static let ownerLength = 32
    static let headerLength = 2 + signatureLength + ownerLength

    public let signatureType: UInt16
    public let signature: [UInt8]
    /// The signer's Ed25519 public key.
    public let owner: [UInt8]
    public let target: [UInt8]?
    public let anchor: [UInt8]?
    public let tags: [DataItemTag]
    public let data: [UInt8]

    /// The raw id: SHA-256 of the signature.
    public var rawID: [UInt8] { Array(SHA256.hash(data: signature)) }
    /// The id gateways and bundlers use: base64url of `rawID` (43 characters).
    public var id: String { Base64URL.encode(rawID) }

    public func tag(_ name: String) -> String? {
        tags.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    // ---- signing -----------------------------------------------------------

    /// A data item carrying `data`, signed by `key`.
    public static func sign(data: [UInt8], tags: [DataItemTag] = [], target: [UInt8]? = nil, anchor: [UInt8]? = nil,
                            key: KeyPair, signatureType: UInt16 = DataItem.ed25519) throws(RemotePinError) -> DataItem {
        guard signatureType == ed25519 || signatureType == solana else {
            throw .invalidDataItem("signature type \(signatureType) is not an Ed25519 type (2 or 4)")
        }
        if let target, target.count != 32 { throw .invalidDataItem("a target is 32 bytes, not \(target.count)") }
        if let anchor, anchor.count != 32 { throw .invalidDataItem("an anchor is 32 bytes, not \(anchor.count)") }
        try AvroTags.validate(tags)
        guard AvroTags.encode(tags).count <= AvroTags.maxBytes else {
            throw .invalidDataItem("tags encode to more than \(AvroTags.maxBytes) bytes")
        }
        let unsigned = DataItem(signatureType: signatureType, signature: [], owner: key.publicKey, target: target,
                                anchor: anchor, tags: tags, data: data)
        // The deep hash already says what it signs ("dataitem", version, type), and
        // bundlers verify exactly these bytes, so this is a raw Ed25519 signature.
        let signature = key.sign(unsigned.signedMessage())
        return DataItem(signatureType: signatureType, signature: signature, owner: key.publicKey, target: target,
                        anchor: anchor, tags: tags, data: data)
    }

    /// The deep hash the signature covers.
    public func signedMessage() -> [UInt8] {
        DeepHash.hash(.list([
            .blob(Array("dataitem".utf8)), .blob(Array("1".utf8)), .blob(Array(String(signatureType).utf8)),
            .blob(owner), .blob(target ?? []), .blob(anchor ?? []), .blob(AvroTags.encode(tags)), .blob(data),
        ]))
    }

    /// Whether the signature is the owner's over this item's contents.
    public var signatureIsValid: Bool {
        KeyPair.verify(signature: signature, message: signedMessage(), publicKey: owner)
    }

    // ---- binary form ---------------------------------------------------------

    public func encoded() -> [UInt8] {
        let tagBytes = AvroTags.encode(tags)
        var out: [UInt8] = []
        out.reserveCapacity(Self.headerLength + 82 + tagBytes.count + data.count)
        out += le(UInt64(signatureType), 2)
        out += signature
        out += owner
        if let target { out.append(1); out += target } else { out.append(0) }
        if let anchor { out.append(1); out += anchor } else { out.append(0) }
        out += le(UInt64(tags.count), 8)
        out += le(UInt64(tagBytes.count), 8)
        out += tagBytes
        out += data
        return out
    }

    /// Parses and checks an item: its structure and its signature.
    public static func decode(_ bytes: [UInt8]) throws(RemotePinError) -> DataItem {
        let item = try parse(bytes)
        guard item.signatureIsValid else {
            throw .invalidDataItem("the Ed25519 signature does not verify (tampered item or wrong key)")
        }
        return item
    }

    /// Parses an item's structure without checking its signature.
    public static func parse(_ bytes: [UInt8]) throws(RemotePinError) -> DataItem {
        guard bytes.count >= 2 else { throw .invalidDataItem("\(bytes.count) bytes is too short") }
        let type = UInt16(bytes[0]) | UInt16(bytes[1]) << 8
        guard type == ed25519 || type == solana else {
            throw .invalidDataItem("signature type \(type) is not supported (Ed25519 types 2 and 4 only)")
        }
        guard bytes.count >= headerLength + 2 + 16 else { throw .invalidDataItem("\(bytes.count) bytes is too short") }
        let signature = Array(bytes[2..<2 + signatureLength])
        let owner = Array(bytes[2 + signatureLength..<headerLength])
        var offset = headerLength
        func optional32(_ what: String) throws(RemotePinError) -> [UInt8]? {
            guard offset < bytes.count else { throw .invalidDataItem("truncated before the \(what) flag") }
            let flag = bytes[offset]
            offset += 1
            switch flag {
            case 0: return nil
            case 1:
                guard offset + 32 <= bytes.count else { throw .invalidDataItem("truncated inside the \(what)") }
                defer { offset += 32 }
                return Array(bytes[offset..<offset + 32])
            default: throw .invalidDataItem("\(what) flag is \(flag), must be 0 or 1")
            }
        }
        let target = try optional32("target")
        let anchor = try optional32("anchor")
        guard offset + 16 <= bytes.count else { throw .invalidDataItem("truncated in the tag counts") }
        let tagCount = readLE(bytes, offset, 8)
        let tagByteCount = readLE(bytes, offset + 8, 8)
        offset += 16
        guard tagCount <= UInt64(AvroTags.maxTags) else { throw .invalidDataItem("\(tagCount) tags; at most \(AvroTags.maxTags)") }
        guard tagByteCount <= UInt64(AvroTags.maxBytes) else {
            throw .invalidDataItem("\(tagByteCount) tag bytes; at most \(AvroTags.maxBytes)")
        }
        guard offset + Int(tagByteCount) <= bytes.count else { throw .invalidDataItem("truncated inside the tags") }
        let tags = tagByteCount == 0 ? [] : try AvroTags.decode(bytes[offset..<offset + Int(tagByteCount)])
        guard tags.count == Int(tagCount) else {
            throw .invalidDataItem("the header says \(tagCount) tags, the tag bytes hold \(tags.count)")
        }
        try AvroTags.validate(tags)
        offset += Int(tagByteCount)
        return DataItem(signatureType: type, signature: signature, owner: owner, target: target, anchor: anchor,
                        tags: tags, data: Array(bytes[offset...]))
    }
}

private func le(_ value: UInt64, _ count: Int) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
}

private func readLE(_ bytes: [UInt8], _ offset: Int, _ count: Int) -> UInt64 {
    var v: UInt64 = 0
    for i in (0..<count).reversed() { v = v << 8 | UInt64(bytes[offset + i]) }
    return v
}
