import Identity

/// Where the node settles and how patiently it talks to the cluster.
/// Every default is documented here and nowhere else.
public struct ChainConfig: Sendable, Equatable {
    /// JSON-RPC URL. Default: the local network started by `localnet/localnet start`.
    public var rpcURL: String = "http://127.0.0.1:8899"
    /// The program the node settles through (PayChannel's payment-channel
    /// program, printed by `nodectl chain deploy`); the RPC client does not use it.
    public var programId: Address?
    /// Time-out of one HTTP request, seconds.
    public var requestTimeout: Double = 10
    /// Extra attempts after a failed request (network errors, HTTP 429/5xx only).
    public var retries: Int = 3
    /// Pause before the first retry, seconds; doubles each time.
    public var retryDelay: Double = 0.25
    /// How long to wait for a transaction's confirmation, seconds.
    public var confirmTimeout: Double = 30
    /// Pause between signature-status polls, seconds.
    public var pollInterval: Double = 0.2
    /// While a sent transaction is not seen, send it again this often, seconds.
    public var rebroadcastInterval: Double = 2
    /// "processed", "confirmed" or "finalized": the least status counted as confirmed.
    public var commitment: String = "confirmed"

    public init(rpcURL: String = "http://127.0.0.1:8899", programId: Address? = nil) {
        self.rpcURL = rpcURL
        self.programId = programId
    }

    public func validated() throws(ChainError) -> ChainConfig {
        guard rpcURL.hasPrefix("http://") || rpcURL.hasPrefix("https://") else {
            throw .config("the RPC URL must start with http:// or https://, got '\(rpcURL)'")
        }
        guard requestTimeout > 0, confirmTimeout > 0, pollInterval > 0, rebroadcastInterval > 0, retries >= 0, retries <= 10 else {
            throw .config("time-outs must be positive and retries 0...10")
        }
        guard ["processed", "confirmed", "finalized"].contains(commitment) else {
            throw .config("commitment must be processed, confirmed or finalized, got '\(commitment)'")
        }
        return self
    }
}
