import CSodium

/// libsodium must be initialised once per process before any other call;
/// `sodium_init` is itself thread-safe and idempotent, so every entry point
/// of this module calls `Sodium.ensureInitialized()` first.
enum Sodium {
    static let initialized: Bool = sodium_init() >= 0

    static func ensureInitialized() {
        precondition(initialized, "libsodium failed to initialise (sodium_init < 0)")
    }
}
