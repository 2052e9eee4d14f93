import CurlHTTP

extension HTTPClient {
    /// Sends `request`; throws `.unreachable`, `.timedOut` or `.badResponse`
    /// (too large), never for an HTTP error status, which the caller reads.
    func call(_ request: HTTPRequest) throws(RemotePinError) -> HTTPResponse {
        do {
            return try send(request)
        } catch {
            throw RemotePinError(error, request: request)
        }
    }
}

extension RemotePinError {
    /// What the remote clients report when no answer came.
    init(_ failure: CurlHTTP.Failure, request: HTTPRequest) {
        switch failure {
        case .timedOut: self = .timedOut(url: request.url, seconds: request.timeout)
        case .tooLarge(let n): self = .badResponse(url: request.url, reason: "response larger than \(n) bytes")
        case .couldNotConnect(let why): self = .unreachable(url: request.url, reason: why)
        case .failed: self = .unreachable(url: request.url, reason: failure.description)
        case .bodyFailed(let why): self = .fileUnreadable(request.url, why)
        }
    }
}
