import CSodium

/// The X25519 key pair ZeroMQ CURVE uses, derived from the node's Ed25519
/// identity (the birational map libsodium implements), so a peer that
/// authenticates with a CURVE key proves it holds the identity's private key.
public struct CurveKeyPair: Sendable {
    public let publicKey: [UInt8]
    public let secretKey: [UInt8]
}

extension KeyPair {
    public func curveKeyPair() throws(IdentityError) -> CurveKeyPair {
        var pk = [UInt8](repeating: 0, count: Int(crypto_scalarmult_curve25519_BYTES))
        var sk = [UInt8](repeating: 0, count: Int(crypto_scalarmult_curve25519_BYTES))
        guard crypto_sign_ed25519_pk_to_curve25519(&pk, publicKey) == 0,
              crypto_sign_ed25519_sk_to_curve25519(&sk, secretKey) == 0 else {
            throw .keyConversionFailed
        }
        return CurveKeyPair(publicKey: pk, secretKey: sk)
    }
}

extension Address {
    /// The X25519 public key a peer with this address must present over CURVE.
    public func curvePublicKey() throws(IdentityError) -> [UInt8] {
        var pk = [UInt8](repeating: 0, count: Int(crypto_scalarmult_curve25519_BYTES))
        guard crypto_sign_ed25519_pk_to_curve25519(&pk, bytes) == 0 else { throw .keyConversionFailed }
        return pk
    }
}
