import CSodium

/// An Ed25519 key pair (libsodium). The 64-byte secret key is seed ‖ public
/// key, the layout Solana's key files and wallets use.
public struct KeyPair: Sendable {
    public let publicKey: [UInt8]
    let secretKey: [UInt8]

    public var address: Address {
        // publicKey is always 32 bytes: it comes from libsodium.
        (try? Address(bytes: publicKey))!
    }

    /// A fresh key pair from the OS random source.
    public static func generate() -> KeyPair {
        Sodium.ensureInitialized()
        var seed = [UInt8](repeating: 0, count: 32)
        randombytes_buf(&seed, 32)
        return fromSeed(seed)
    }

    /// The deterministic key pair of a 32-byte seed.
    public static func fromSeed(_ seed: [UInt8]) -> KeyPair {
        Sodium.ensureInitialized()
        precondition(seed.count == 32, "an Ed25519 seed is 32 bytes")
        var pk = [UInt8](repeating: 0, count: Int(crypto_sign_PUBLICKEYBYTES))
        var sk = [UInt8](repeating: 0, count: Int(crypto_sign_SECRETKEYBYTES))
        _ = crypto_sign_seed_keypair(&pk, &sk, seed)
        return KeyPair(publicKey: pk, secretKey: sk)
    }

    /// From the 64 bytes of a Solana secret key; the public half must match
    /// the seed, so a corrupted key file is caught here.
    public init(secretKey bytes: [UInt8]) throws(IdentityError) {
        Sodium.ensureInitialized()
        switch bytes.count {
        case 64:
            let derived = KeyPair.fromSeed(Array(bytes[0..<32]))
            guard derived.publicKey == Array(bytes[32..<64]) else {
                throw .invalidSecretKey("the public half does not belong to the private half (corrupted key?)")
            }
            self = derived
        case 32:
            self = KeyPair.fromSeed(bytes)
        default:
            throw .invalidSecretKey("expected 64 bytes (or a 32-byte seed), got \(bytes.count)")
        }
    }

    /// From a base58 secret key as wallets export it (64 bytes, or a 32-byte seed).
    public init(base58SecretKey text: String) throws(IdentityError) {
        let trimmed = text.trimmingWhitespace()
        guard let bytes = Base58.decode(trimmed), !trimmed.isEmpty else {
            throw .invalidSecretKey("not base58 text")
        }
        try self.init(secretKey: bytes)
    }

    init(publicKey: [UInt8], secretKey: [UInt8]) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// The secret key as Solana stores it: 64 bytes.
    public var secretKeyBytes: [UInt8] { secretKey }

    /// A raw Ed25519 signature over `message`. Only for formats whose bytes
    /// already say what they are (Solana transactions, vouchers with their own
    /// prefix); everything else signs through `sign(_:domain:)`.
    public func sign<Bytes: Collection>(_ message: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        var signature = [UInt8](repeating: 0, count: Int(crypto_sign_BYTES))
        let msg = Array(message)
        _ = crypto_sign_detached(&signature, nil, msg, UInt64(msg.count), secretKey)
        return signature
    }

    public static func verify<Bytes: Collection>(signature: [UInt8], message: Bytes, publicKey: [UInt8]) -> Bool
    where Bytes.Element == UInt8 {
        Sodium.ensureInitialized()
        guard signature.count == Int(crypto_sign_BYTES), publicKey.count == Int(crypto_sign_PUBLICKEYBYTES) else {
            return false
        }
        let msg = Array(message)
        return crypto_sign_verify_detached(signature, msg, UInt64(msg.count), publicKey) == 0
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let end = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[start...end])
    }
}
