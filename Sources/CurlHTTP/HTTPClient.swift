/// The one request and response type of every HTTP client in the node
/// (remote pinning, Solana JSON-RPC, the daemon's own API).
public typealias HTTPRequest = CurlHTTP.Request
public typealias HTTPResponse = CurlHTTP.Response
/// `length` bytes made on demand: `read` fills the buffer and returns how
/// many bytes it wrote (0 only at the end), or throws to abort the request.
public typealias HTTPBodyStream = CurlHTTP.BodyStream

/// The seam between the clients and whatever speaks HTTP: libcurl in the
/// node (`CurlClient`), a fault-injecting or scripted wrapper in tests.
public protocol HTTPClient: Sendable {
    /// Sends `request` and blocks until the answer; throws only when there
    /// is none, never for an HTTP error status, which the caller reads.
    func send(_ request: HTTPRequest) throws(CurlHTTP.Failure) -> HTTPResponse
}

/// libcurl, on the calling thread.
public struct CurlClient: HTTPClient {
    public init() {}

    public func send(_ request: HTTPRequest) throws(CurlHTTP.Failure) -> HTTPResponse {
        try CurlHTTP.perform(request)
    }
}

extension HTTPClient {
    /// The same request from async code: the blocking transfer runs on
    /// `work`'s threads, never on Swift's cooperative pool.
    public func send(_ request: HTTPRequest, on work: BlockingWork = .shared) async throws(CurlHTTP.Failure) -> HTTPResponse {
        let result: Result<HTTPResponse, CurlHTTP.Failure>
        do {
            result = try await work.run { () -> Result<HTTPResponse, CurlHTTP.Failure> in
                do throws(CurlHTTP.Failure) { return .success(try send(request)) } catch { return .failure(error) }
            }
        } catch {
            // Only a shut-down pool refuses work; `.shared` never shuts down.
            throw .failed(-1, "the request was not started: \(error)")
        }
        return try result.get()
    }
}
