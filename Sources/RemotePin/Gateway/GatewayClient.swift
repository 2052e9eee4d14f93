import ContentStore
import CurlHTTP

/// Fetches files from an IPFS HTTP gateway (`GET /ipfs/{cid}`) and accepts
/// them only when their recomputed CID matches.
public struct GatewayClient: Sendable {
    public struct Config: Sendable, Equatable {
        public var gatewayURL: String
        public var timeout: Double
        public var maxBytes: Int

        public init(gatewayURL: String, timeout: Double = RemoteDefaults.requestTimeout,
                    maxBytes: Int = RemoteDefaults.maxFetchBytes) {
            self.gatewayURL = gatewayURL
            self.timeout = timeout
            self.maxBytes = maxBytes
        }
    }

    public let config: Config
    let transport: any HTTPClient

    public init(config: Config, transport: any HTTPClient = CurlClient()) {
        self.config = config
        self.transport = transport
    }

    public func fetch(_ cid: CID, progress: (@Sendable (UInt64, UInt64) -> Void)? = nil) throws(RemotePinError) -> [UInt8] {
        let url = joinURL(config.gatewayURL, "/ipfs/\(cid)")
        let r = try transport.call(HTTPRequest(method: "GET", url: url, timeout: config.timeout,
                                               maxResponseBytes: config.maxBytes, downloadProgress: progress))
        guard r.status == 200 else {
            throw .server(url: url, status: r.status, message: r.bodyText.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        guard ContentVerifier.matches(r.body, cid: cid) else { throw .contentMismatch(cid: cid, gotBytes: r.body.count) }
        return r.body
    }
}
