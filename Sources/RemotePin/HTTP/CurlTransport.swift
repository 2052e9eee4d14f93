import ScratchHTTP

/// The node's transport: libcurl through the project's HTTP module.
public struct CurlTransport: HTTPTransport {
    public init() {}

    public func send(_ request: HTTPRequest) throws(RemotePinError) -> HTTPResponse {
        let r = curlPerform(method: request.method, url: request.url, headers: request.headers, body: request.body,
                            timeout: request.timeout, maxBody: request.maxResponseBytes,
                            progress: request.uploadProgress, downloadProgress: request.downloadProgress)
        if r.tooLarge {
            throw .badResponse(url: request.url, reason: "response larger than \(request.maxResponseBytes) bytes")
        }
        if r.isTimeout { throw .timedOut(url: request.url, seconds: request.timeout) }
        if r.code != 0 { throw .unreachable(url: request.url, reason: r.message) }
        return HTTPResponse(status: r.status, headers: r.headers, body: r.body)
    }
}
