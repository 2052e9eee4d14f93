import Solana

/// The program's custom error codes (InstructionError Custom(n)).
public enum ChannelProgramError: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case invalidInstruction = 100, notEnoughAccounts, missingSignature, notWritable, wrongOwner,
         wrongAccountSize, wrongChannelAddress, wrongPayer, wrongPayee, wrongSystemProgram, wrongSysvar,
         expiryInPast, notExpired, overflow, amountOverDeposit, voucherNotNewer, missingEd25519,
         badEd25519, accountInUse, notInitialized, zeroAmount, expiryNotLater, unauthorized,
         tooManyAccounts, rent, sameSlot

    public var description: String {
        switch self {
        case .invalidInstruction: return "unknown instruction or wrong data length"
        case .notEnoughAccounts: return "too few accounts for the instruction"
        case .missingSignature: return "the payer or closing party did not sign"
        case .notWritable: return "an account that must be writable is read-only"
        case .wrongOwner: return "the channel account is not owned by the channel program"
        case .wrongAccountSize: return "the channel account has the wrong size"
        case .wrongChannelAddress: return "the channel address does not match payer, payee and channel id"
        case .wrongPayer: return "the payer account is not this channel's payer"
        case .wrongPayee: return "the payee account is not this channel's payee"
        case .wrongSystemProgram: return "the System program account is wrong"
        case .wrongSysvar: return "the Instructions sysvar account is wrong"
        case .expiryInPast: return "the expiry is not in the future"
        case .notExpired: return "the channel has not expired yet; only the payee may close it now"
        case .overflow: return "an amount overflows (or the slot does not fit an opening)"
        case .amountOverDeposit: return "the voucher is for more than the deposit"
        case .voucherNotNewer: return "the voucher is not newer than the last claim: its amount is not above what was already claimed (replayed or lower)"
        case .missingEd25519: return "no Ed25519 signature check right before the claim"
        case .badEd25519: return "the Ed25519 check is not over this voucher by the channel's payer"
        case .accountInUse: return "a channel with this id already exists"
        case .notInitialized: return "the channel account is not an open channel"
        case .zeroAmount: return "the amount is zero"
        case .expiryNotLater: return "the new expiry is not later than the current one"
        case .unauthorized: return "only the channel's payer or payee may close it"
        case .tooManyAccounts: return "too many accounts"
        case .rent: return "the Rent sysvar could not be read"
        case .sameSlot: return "a channel cannot be closed in the slot it was opened in; try again"
        }
    }
}

extension ChannelProgramError {
    /// Solana knows no program's error codes; once a `ChannelProgram` is
    /// made (before any of its transactions can fail), failures name ours.
    static let named: Void = CustomErrorNames.register { ChannelProgramError(rawValue: $0)?.description }
}

extension TransactionFailure {
    /// The channel program's error, when that is what failed.
    public var channelError: ChannelProgramError? { customCode.flatMap(ChannelProgramError.init(rawValue:)) }
}
