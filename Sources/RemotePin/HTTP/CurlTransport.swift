import CurlHTTP

/// The node's transport: libcurl through the CurlHTTP module.
public struct CurlTransport: HTTPTransport {
    public init() {}

    public func send(_ request: HTTPRequest) throws(RemotePinError) -> HTTPResponse {
        do {
            return try CurlHTTP.perform(request)
        } catch {
            switch error {
            case .timedOut: throw .timedOut(url: request.url, seconds: request.timeout)
            case .tooLarge(let n): throw .badResponse(url: request.url, reason: "response larger than \(n) bytes")
            case .couldNotConnect(let why): throw .unreachable(url: request.url, reason: why)
            case .failed: throw .unreachable(url: request.url, reason: error.description)
            case .bodyFailed(let why): throw .fileUnreadable(request.url, why)
            }
        }
    }
}
