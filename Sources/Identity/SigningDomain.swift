/// Domain separation: every kind of signed message has its own context
/// string, mixed into the signed bytes, so a signature made for one kind can
/// never be replayed as another (a chat line as a peer record, say).
public struct SigningDomain: Hashable, Sendable, CustomStringConvertible {
    public let name: String

    public init(_ name: String) {
        precondition(!name.isEmpty && name.utf8.count < 256, "a signing domain is 1 to 255 bytes")
        self.name = name
    }

    public var description: String { name }

    /// The signed bytes: "peernode-sig-v1", one length byte, the domain, the message.
    public func signedBytes<Bytes: Collection>(_ message: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        var out = Array(Self.prefix)
        out.reserveCapacity(Self.prefix.count + 1 + name.utf8.count + message.count)
        out.append(UInt8(name.utf8.count))
        out.append(contentsOf: name.utf8)
        out.append(contentsOf: message)
        return out
    }

    static let prefix = Array("peernode-sig-v1".utf8)
}

extension KeyPair {
    public func sign<Bytes: Collection>(_ message: Bytes, domain: SigningDomain) -> [UInt8]
    where Bytes.Element == UInt8 {
        sign(domain.signedBytes(message))
    }

    public static func verify<Bytes: Collection>(signature: [UInt8], message: Bytes, domain: SigningDomain,
                                                 publicKey: [UInt8]) -> Bool where Bytes.Element == UInt8 {
        verify(signature: signature, message: domain.signedBytes(message), publicKey: publicKey)
    }
}

extension Address {
    /// Whether `signature` is this address's signature of `message` in `domain`.
    public func verifies<Bytes: Collection>(signature: [UInt8], message: Bytes, domain: SigningDomain) -> Bool
    where Bytes.Element == UInt8 {
        KeyPair.verify(signature: signature, message: message, domain: domain, publicKey: bytes)
    }
}
