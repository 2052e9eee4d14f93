/// What can go wrong building, signing, sending or reading Solana
/// transactions and accounts, each with a message a user can act on.
public enum SolanaError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Bytes ended early (an account, a message, an RPC field).
    case truncated(String)
    /// Bytes or text that do not have the expected shape.
    case malformed(String)
    /// The transaction does not fit the 1232-byte packet limit.
    case transactionTooLarge(size: Int)
    /// More than 256 accounts, an instruction with too many accounts, ...
    case tooManyAccounts(Int)
    /// A signer the message needs was not given (or an extra one was).
    case missingSigner(String)
    /// No bump in 255...0 gives an address off the curve (practically never happens).
    case noProgramAddress
    /// The seeds are too long or too many for a program address.
    case invalidSeeds(String)

    public var description: String {
        switch self {
        case .truncated(let what): return "truncated data: \(what)"
        case .malformed(let what): return "malformed data: \(what)"
        case .transactionTooLarge(let size):
            return "the transaction is \(size) bytes; Solana accepts at most \(Transaction.maximumSize) (use fewer instructions or accounts)"
        case .tooManyAccounts(let n): return "a message can name at most 256 accounts, this one names \(n)"
        case .missingSigner(let why): return "signers do not match the message: \(why)"
        case .noProgramAddress: return "no bump seed gives a valid program address for these seeds"
        case .invalidSeeds(let why): return "invalid program address seeds: \(why)"
        }
    }
}
