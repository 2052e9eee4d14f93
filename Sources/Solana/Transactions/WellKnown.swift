import Identity

/// Addresses every Solana cluster has.
public enum WellKnown {
    public static let systemProgram = fixed("11111111111111111111111111111111")
    public static let upgradeableLoader = fixed("BPFLoaderUpgradeab1e11111111111111111111111")
    public static let ed25519Program = fixed("Ed25519SigVerify111111111111111111111111111")
    public static let rentSysvar = fixed("SysvarRent111111111111111111111111111111111")
    public static let clockSysvar = fixed("SysvarC1ock11111111111111111111111111111111")
    public static let instructionsSysvar = fixed("Sysvar1nstructions1111111111111111111111111")

    /// Lamports per signature on every cluster today (precompile signatures count too).
    public static let lamportsPerSignature: UInt64 = 5000
    public static let lamportsPerSol: UInt64 = 1_000_000_000

    // Constant, valid base58 of 32 bytes: a failure here is a typo in this file.
    private static func fixed(_ text: String) -> Address {
        guard let a = try? Address(base58: text) else { fatalError("bad well-known address \(text)") }
        return a
    }
}
