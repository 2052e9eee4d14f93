import ContentStore

/// What can go wrong talking to IPFS and Arweave, with messages a user can act on.
public enum RemotePinError: Error, Equatable, CustomStringConvertible {
    case fileUnreadable(String, String)
    /// The server could not be reached at all (refused, unresolvable, timed out connecting).
    case unreachable(url: String, reason: String)
    case timedOut(url: String, seconds: Double)
    /// The server answered with an error status; `message` is its own words.
    case server(url: String, status: Int, message: String)
    case badResponse(url: String, reason: String)
    /// The server named a different CID than the one we computed.
    case cidMismatch(expected: CID, got: String)
    /// Bytes from a gateway do not hash to the CID they were fetched by.
    case contentMismatch(cid: CID, gotBytes: Int)
    case pinFailed(requestID: String, cid: String, reason: String)
    case pinTimedOut(requestID: String, cid: String, status: String, seconds: Double)
    case invalidDataItem(String)
    case config(String)

    public var description: String {
        switch self {
        case .fileUnreadable(let path, let why): return "cannot read \(path): \(why)"
        case .unreachable(let url, let reason): return "cannot reach \(url): \(reason) (is the service running?)"
        case .timedOut(let url, let s): return "no answer from \(url) within \(formatSeconds(s))"
        case .server(let url, let status, let message): return "\(url) answered HTTP \(status): \(message)"
        case .badResponse(let url, let reason): return "unexpected answer from \(url): \(reason)"
        case .cidMismatch(let expected, let got):
            return "the server reports CID \(got) but this file's CID is \(expected); refusing to trust it"
        case .contentMismatch(let cid, let n):
            return "the \(n) bytes received for \(cid) do not hash to that CID; discarded"
        case .pinFailed(let id, let cid, let reason): return "pin request \(id) for \(cid) failed: \(reason)"
        case .pinTimedOut(let id, let cid, let status, let s):
            return "pin request \(id) for \(cid) still \(status) after \(formatSeconds(s)); it may finish later"
        case .invalidDataItem(let why): return "invalid ANS-104 data item: \(why)"
        case .config(let why): return "remote configuration: \(why)"
        }
    }
}

func formatSeconds(_ s: Double) -> String {
    s == s.rounded() ? "\(Int(s)) s" : "\(s) s"
}
