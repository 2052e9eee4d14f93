import CurlHTTP

/// The node's transport: libcurl through the CurlHTTP module.
public struct CurlTransport: HTTPTransport {
    public init() {}

    public func send(_ request: HTTPRequest) throws(RemotePinError) -> HTTPResponse {
        var curlRequest = CurlHTTP.Request(
            method: request.method, url: request.url, headers: request.headers, body: request.body,
            timeout: request.timeout, maxResponseBytes: request.maxResponseBytes,
            uploadProgress: request.uploadProgress, downloadProgress: request.downloadProgress)
        if let stream = request.bodyStream {
            curlRequest.bodyStream = CurlHTTP.BodyStream(length: stream.length, read: stream.read)
        }
        let r: CurlHTTP.Response
        do {
            r = try CurlHTTP.perform(curlRequest)
        } catch {
            switch error {
            case .timedOut: throw .timedOut(url: request.url, seconds: request.timeout)
            case .tooLarge(let n): throw .badResponse(url: request.url, reason: "response larger than \(n) bytes")
            case .couldNotConnect(let why): throw .unreachable(url: request.url, reason: why)
            case .failed: throw .unreachable(url: request.url, reason: error.description)
            case .bodyFailed(let why): throw .fileUnreadable(request.url, why)
            }
        }
        return HTTPResponse(status: r.status, headers: r.headers, body: r.body)
    }
}
