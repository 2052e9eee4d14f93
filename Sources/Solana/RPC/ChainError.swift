import CurlHTTP
import Identity

/// Why an instruction failed, as the RPC reports it.
public enum InstructionFailure: Sendable, Equatable, CustomStringConvertible {
    /// `{"Custom": n}`: a program's own error code.
    case custom(UInt32)
    /// Any of the runtime's named errors ("InvalidArgument", ...).
    case named(String)

    public var description: String {
        switch self {
        case .custom(let n):
            if let name = CustomErrorNames.name(of: n) { return "custom program error \(n) (\(name))" }
            return "custom program error \(n)"
        case .named(let s): return s
        }
    }
}

/// A transaction error in the RPC's JSON shape, decoded.
public enum TransactionFailure: Sendable, Equatable, CustomStringConvertible {
    case instruction(index: Int, InstructionFailure)
    /// "BlockhashNotFound", "AlreadyProcessed", "InsufficientFundsForFee", ...
    case named(String)

    public init(json: JSON) {
        if let name = json.string { self = .named(name); return }
        if let pair = json["InstructionError"]?.array, pair.count == 2, let index = pair[0].int64 {
            if let code = pair[1]["Custom"]?.uint64, code <= UInt64(UInt32.max) {
                self = .instruction(index: Int(index), .custom(UInt32(code)))
            } else {
                self = .instruction(index: Int(index), .named(pair[1].string ?? pair[1].description))
            }
            return
        }
        self = .named(json.description)
    }

    /// The custom error code of the failed instruction, if any.
    public var customCode: UInt32? {
        if case .instruction(_, .custom(let n)) = self { return n }
        return nil
    }

    public var description: String {
        switch self {
        case .instruction(let i, let f): return "instruction \(i) failed: \(f)"
        case .named(let s): return s
        }
    }
}

/// Everything that can go wrong talking to a Solana cluster.
public enum ChainError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No answer: connection refused, time-out, DNS (after retries).
    case unreachable(url: String, reason: String)
    /// An HTTP status other than 200.
    case http(url: String, status: Int, body: String)
    /// A JSON-RPC error object (code, message); for a failed preflight the
    /// transaction error and the program's logs.
    case rpc(code: Int, message: String, failure: TransactionFailure?, logs: [String])
    /// The answer is not the JSON the method promises.
    case badResponse(method: String, reason: String)
    /// The transaction was processed and failed.
    case transactionFailed(signature: String, failure: TransactionFailure)
    /// No confirmation within the time-out; it may still land.
    case notConfirmed(signature: String, seconds: Double)
    /// The transaction's blockhash expired before it landed: it never will;
    /// build it again with a new blockhash.
    case blockhashExpired(signature: String)
    case accountNotFound(Address)
    case encoding(SolanaError)
    case config(String)

    /// The transaction error, whether from preflight or after processing.
    public var failure: TransactionFailure? {
        switch self {
        case .rpc(_, _, let f, _): return f
        case .transactionFailed(_, let f): return f
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .unreachable(let url, let reason):
            return "cannot reach the Solana RPC at \(url): \(reason) (is the network up? for the local one run localnet/localnet start)"
        case .http(let url, let status, let body):
            return "the Solana RPC at \(url) answered HTTP \(status): \(body.prefix(200))"
        case .rpc(let code, let message, let failure, _):
            if let failure { return "RPC error \(code): \(message) [\(failure)]" }
            return "RPC error \(code): \(message)"
        case .badResponse(let method, let reason): return "unexpected answer to \(method): \(reason)"
        case .transactionFailed(let sig, let failure): return "transaction \(sig) failed: \(failure)"
        case .notConfirmed(let sig, let seconds):
            return "transaction \(sig) was not confirmed within \(seconds) s; check it later with its signature"
        case .blockhashExpired(let sig):
            return "transaction \(sig) did not land before its blockhash expired; nothing happened, send it again"
        case .accountNotFound(let a): return "no account at \(a)"
        case .encoding(let e): return e.description
        case .config(let why): return "chain configuration: \(why)"
        }
    }
}

extension ChainError {
    /// What the Solana client reports when no answer came.
    init(_ failure: CurlHTTP.Failure, url: String, timeout: Double) {
        switch failure {
        case .timedOut: self = .unreachable(url: url, reason: "no answer within \(timeout) s")
        case .tooLarge(let n): self = .badResponse(method: "POST", reason: "answer larger than \(n) bytes")
        case .couldNotConnect(let why): self = .unreachable(url: url, reason: why)
        case .failed, .bodyFailed: self = .unreachable(url: url, reason: failure.description)
        }
    }
}
