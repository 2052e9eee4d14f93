/// The seam between the remote clients and whatever speaks HTTP (libcurl in
/// the node, anything in a test). Clients build requests; a transport sends
/// them and maps failures to `RemotePinError`.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// Whole-request time-out in seconds (connect + send + receive).
    public var timeout: Double
    /// Refuse a response body longer than this.
    public var maxResponseBytes: Int
    /// Called with (bytes sent, bytes to send) while the body goes out.
    public var uploadProgress: (@Sendable (UInt64, UInt64) -> Void)?
    /// Called with (bytes received, bytes expected or 0 when unknown) while the response comes in.
    public var downloadProgress: (@Sendable (UInt64, UInt64) -> Void)?

    public init(method: String, url: String, headers: [(String, String)] = [], body: [UInt8] = [],
                timeout: Double, maxResponseBytes: Int = 16 << 20,
                uploadProgress: (@Sendable (UInt64, UInt64) -> Void)? = nil,
                downloadProgress: (@Sendable (UInt64, UInt64) -> Void)? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
        self.uploadProgress = uploadProgress
        self.downloadProgress = downloadProgress
    }
}

public struct HTTPResponse: Sendable {
    public let status: Int
    /// Header names in lower case.
    public let headers: [String: String]
    public let body: [UInt8]

    public init(status: Int, headers: [String: String], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public var bodyText: String { String(decoding: body.prefix(4096), as: UTF8.self) }
}

public protocol HTTPTransport: Sendable {
    /// Sends `request`; throws `.unreachable`, `.timedOut` or `.badResponse`
    /// (too large) — never for an HTTP error status, which the caller reads.
    func send(_ request: HTTPRequest) throws(RemotePinError) -> HTTPResponse
}
