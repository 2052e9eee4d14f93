import CSodium

extension KeyPair {
    /// A secret derived from this key's seed for one purpose: BLAKE2b keyed
    /// with the seed over the domain (length-prefixed, so two domains never
    /// collide) and `context`. The creator's per-segment content keys are
    /// derived this way, so they can always be computed again from the
    /// identity alone: nothing more to store, back up or lose in a crash.
    /// `count`: 16...64 bytes.
    public func derivedSecret(domain: SigningDomain, context: [UInt8], count: Int = 32) -> [UInt8] {
        precondition((16...64).contains(count), "a derived secret is 16 to 64 bytes")
        let seed = Array(secretKey.prefix(32))
        var message: [UInt8] = [UInt8(domain.name.utf8.count)] + Array(domain.name.utf8) + context
        var out = [UInt8](repeating: 0, count: count)
        _ = crypto_generichash(&out, count, &message, UInt64(message.count), seed, seed.count)
        return out
    }
}
