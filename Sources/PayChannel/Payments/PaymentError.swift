import Identity
import Solana

/// Why a payment service refused or failed, in words a user can act on.
public enum PaymentError: Error, Equatable, CustomStringConvertible {
    case badConfig(String)
    /// The payer's balance cannot cover what the chain needs: `needed` is
    /// what the address must hold (deposit or top-up, a new channel account's
    /// rent, the transaction fee, and its own account's rent-exempt minimum).
    case insufficientFunds(Address, needed: UInt64)
    /// The chain failed or could not be reached while doing `action`.
    case chain(action: String, ChainError)
    /// The voucher book refused (bad signature, not increasing, over the
    /// deposit, ...) or could not store.
    case voucher(VoucherError)
    /// The channel registry (LMDB) failed.
    case storage(String)
    /// No channel account lives at this address on chain.
    case unknownChannel(Address)
    /// The channel pays someone else.
    case notOurChannel(channel: Address, payee: Address)
    /// The voucher's signer or the channel's payer is not the peer that sent it.
    case wrongPayer(channel: Address, payer: Address, peer: Address)
    /// The channel's expiry has passed on the chain's clock.
    case channelExpired(channel: Address, expiry: Int64, now: Int64)
    /// The program the channels live in is not one to take vouchers through
    /// (another build, or upgradeable by a key we do not trust).
    case untrustedProgram(Address, reason: String)

    public var description: String {
        switch self {
        case .badConfig(let why): return "payment config: \(why)"
        case .insufficientFunds(let address, let needed):
            return "\(address) has too few lamports: it must hold \(needed) (deposit, rent and fee); fund it (test networks: nodectl chain airdrop) or lower channelDeposit"
        case .chain(let action, let error): return "\(action): \(error)"
        case .voucher(let error): return error.description
        case .storage(let why): return "channel registry: \(why)"
        case .unknownChannel(let channel):
            return "no payment channel at \(channel) on chain (never opened, or closed); the payer must open one"
        case .notOurChannel(let channel, let payee): return "channel \(channel) pays \(payee), not this node"
        case .wrongPayer(let channel, let payer, let peer):
            return "voucher on channel \(channel) comes from peer \(peer), but it is \(payer)'s to sign; refused"
        case .channelExpired(let channel, let expiry, let now):
            return "channel \(channel) expired at \(expiry) (chain time now \(now)); the payer must extend it or open a new one"
        case .untrustedProgram(let program, let reason):
            return "vouchers through program \(program) are refused: \(reason)"
        }
    }
}
