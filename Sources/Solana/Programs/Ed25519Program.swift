import Identity

/// The Ed25519 signature-verification precompile. Its instruction carries
/// the signature, public key and message itself (all three instruction
/// indices 0xFFFF: "in this instruction"); the runtime verifies it before any
/// program runs and fails the transaction if it does not verify.
public enum Ed25519Program {
    public static let id = WellKnown.ed25519Program
    static let headerSize = 2
    static let offsetsSize = 14

    /// Verification of one signature: layout is header, offsets, public key,
    /// signature, message.
    public static func verify(publicKey: [UInt8], signature: [UInt8], message: [UInt8]) -> Instruction {
        let keyOffset = headerSize + offsetsSize
        let signatureOffset = keyOffset + 32
        let messageOffset = signatureOffset + 64
        var w = ByteWriter(capacity: messageOffset + message.count)
        w.u8(1)   // signatures
        w.u8(0)   // padding
        w.u16(UInt16(signatureOffset))
        w.u16(0xFFFF)
        w.u16(UInt16(keyOffset))
        w.u16(0xFFFF)
        w.u16(UInt16(messageOffset))
        w.u16(UInt16(message.count))
        w.u16(0xFFFF)
        w.append(publicKey)
        w.append(signature)
        w.append(message)
        return Instruction(programId: id, accounts: [], data: w.bytes)
    }

    /// Signs `message` with `signer` and wraps it in a precompile instruction.
    public static func sign(_ message: [UInt8], with signer: KeyPair) -> Instruction {
        verify(publicKey: signer.publicKey, signature: signer.sign(message), message: message)
    }
}
