import Solana

/// Lamports as SOL with nine decimals, as the demo and nodectl print them.
public func formatSol(_ lamports: UInt64) -> String {
    let whole = lamports / WellKnown.lamportsPerSol
    let frac = lamports % WellKnown.lamportsPerSol
    var f = String(frac)
    f = String(repeating: "0", count: 9 - f.count) + f
    while f.hasSuffix("0") && f.count > 1 { f.removeLast() }
    return "\(whole).\(f) SOL"
}
