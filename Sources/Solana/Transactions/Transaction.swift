import Identity

/// A signed legacy transaction: signatures (one per required signer, in
/// account-key order) followed by the message.
public struct Transaction: Sendable, Equatable {
    /// The packet limit: a transaction larger than this is refused by every cluster.
    public static let maximumSize = 1232

    public let message: Message
    public private(set) var signatures: [[UInt8]]

    /// Builds and signs a transaction. `signers` must hold exactly the keys
    /// the message needs (the fee payer first in the message; any order here).
    public init(instructions: [Instruction], feePayer: Address, recentBlockhash: [UInt8],
                signers: [KeyPair]) throws(SolanaError) {
        let message = try Message(feePayer: feePayer, instructions: instructions, recentBlockhash: recentBlockhash)
        try self.init(message: message, signers: signers)
    }

    public init(message: Message, signers: [KeyPair]) throws(SolanaError) {
        self.message = message
        let bytes = message.serialized()
        var byKey: [Address: KeyPair] = [:]
        for s in signers { byKey[s.address] = s }
        var sigs: [[UInt8]] = []
        for key in message.signerKeys {
            guard let kp = byKey.removeValue(forKey: key) else {
                throw .missingSigner("\(key) must sign and no key pair for it was given")
            }
            sigs.append(kp.sign(bytes))
        }
        guard byKey.isEmpty else {
            throw .missingSigner("\(byKey.keys.map(\.base58).sorted().joined(separator: ", ")) signed but the message does not name them as signers")
        }
        self.signatures = sigs
        let size = serialized().count
        guard size <= Self.maximumSize else { throw .transactionTooLarge(size: size) }
    }

    /// Decodes a wire transaction (for tests and tools).
    public init(decoding bytes: [UInt8]) throws(SolanaError) {
        guard bytes.count <= Self.maximumSize else { throw .transactionTooLarge(size: bytes.count) }
        var r = ByteReader(bytes)
        let n = try r.compactU16()
        var sigs: [[UInt8]] = []
        for _ in 0..<n { sigs.append(try r.take(64)) }
        let message = try Message(reading: &r)
        guard r.remaining == 0 else { throw .malformed("\(r.remaining) bytes after the transaction") }
        guard sigs.count == Int(message.header.requiredSignatures) else {
            throw .malformed("\(sigs.count) signatures for \(message.header.requiredSignatures) signers")
        }
        self.message = message
        self.signatures = sigs
    }

    /// The wire bytes (what sendTransaction carries, base64 encoded).
    public func serialized() -> [UInt8] {
        var w = ByteWriter(capacity: 512)
        w.compactU16(signatures.count)
        for s in signatures { w.append(s) }
        w.append(message.serialized())
        return w.bytes
    }

    /// The transaction id: the fee payer's signature in base58.
    public var signature: String { Base58.encode(signatures.first ?? []) }

    /// Whether every signature verifies against its signer's key.
    public var signaturesVerify: Bool {
        let bytes = message.serialized()
        return zip(message.signerKeys, signatures).allSatisfy {
            KeyPair.verify(signature: $1, message: bytes, publicKey: $0.bytes)
        } && signatures.count == message.signerKeys.count
    }

    /// Signatures the fee is charged for: the transaction's own plus those the
    /// Ed25519 precompile verifies.
    public var feeSignatureCount: Int {
        var n = signatures.count
        for ix in message.instructions
        where message.accountKeys[Int(ix.programIndex)] == WellKnown.ed25519Program && !ix.data.isEmpty {
            n += Int(ix.data[0])
        }
        return n
    }
}
