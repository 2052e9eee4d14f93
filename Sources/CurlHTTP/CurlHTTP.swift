import CCurl

/// A small blocking HTTP client over libcurl's easy interface: one request,
/// one handle, on the calling thread. Bodies are byte arrays; progress and
/// a whole-request time-out are per request. Clients reach it through
/// `HTTPClient` (the seam tests wrap), and from async code through
/// `BlockingWork`.
public enum CurlHTTP {
    /// A request body produced while it is sent: `length` bytes in all,
    /// `read` fills the buffer and returns how many bytes it wrote (0 only at
    /// the end), or throws to abort the transfer.
    public struct BodyStream: Sendable {
        public let length: Int
        public let read: @Sendable (UnsafeMutableRawBufferPointer) throws -> Int

        public init(length: Int, read: @escaping @Sendable (UnsafeMutableRawBufferPointer) throws -> Int) {
            self.length = length
            self.read = read
        }
    }

    public struct Request: Sendable {
        public var method: String
        public var url: String
        public var headers: [(String, String)]
        public var body: [UInt8]
        /// Sent instead of `body` when set.
        public var bodyStream: BodyStream?
        /// Seconds for the whole request: connect, send, receive.
        public var timeout: Double
        /// A longer response body is an error (`.tooLarge`).
        public var maxResponseBytes: Int
        public var uploadProgress: (@Sendable (UInt64, UInt64) -> Void)?
        public var downloadProgress: (@Sendable (UInt64, UInt64) -> Void)?

        public init(method: String, url: String, headers: [(String, String)] = [], body: [UInt8] = [],
                    timeout: Double, maxResponseBytes: Int = 16 << 20,
                    uploadProgress: (@Sendable (UInt64, UInt64) -> Void)? = nil,
                    downloadProgress: (@Sendable (UInt64, UInt64) -> Void)? = nil) {
            self.method = method
            self.url = url
            self.headers = headers
            self.body = body
            self.bodyStream = nil
            self.timeout = timeout
            self.maxResponseBytes = maxResponseBytes
            self.uploadProgress = uploadProgress
            self.downloadProgress = downloadProgress
        }
    }

    public struct Response: Sendable {
        public let status: Int
        /// Names in lower case; a repeated header keeps its last value.
        public let headers: [String: String]
        public let body: [UInt8]

        public init(status: Int, headers: [String: String] = [:], body: [UInt8]) {
            self.status = status
            self.headers = headers
            self.body = body
        }
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// Nothing answered: refused, unresolvable, no route.
        case couldNotConnect(String)
        case timedOut
        case tooLarge(Int)
        case failed(Int32, String)
        /// The body stream threw; its error, described.
        case bodyFailed(String)

        public var description: String {
            switch self {
            case .couldNotConnect(let why): return why
            case .timedOut: return "timed out"
            case .tooLarge(let n): return "response larger than \(n) bytes"
            case .failed(let code, let why): return "\(why) (curl error \(code))"
            case .bodyFailed(let why): return "could not produce the request body: \(why)"
            }
        }
    }

    private static let initialized: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    public static func perform(_ request: Request) throws(Failure) -> Response {
        guard initialized, let handle = curl_easy_init() else { throw .failed(-1, "libcurl could not start") }
        defer { curl_easy_cleanup(handle) }
        let transfer = Transfer(request: request)
        let context = Unmanaged.passUnretained(transfer).toOpaque()
        var headerList: UnsafeMutablePointer<curl_slist>? = nil
        for (name, value) in request.headers { headerList = curl_slist_append(headerList, "\(name): \(value)") }
        headerList = curl_slist_append(headerList, "Expect:")  // no 100-continue round trip
        defer { curl_slist_free_all(headerList) }

        _ = peernode_curl_setopt_str(handle, CURLOPT_URL, request.url)
        _ = peernode_curl_setopt_ptr(handle, CURLOPT_HTTPHEADER, headerList)
        _ = peernode_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, max(1, Int(request.timeout * 1000)))
        _ = peernode_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        switch request.method {
        case "GET": break
        case "HEAD": _ = peernode_curl_setopt_long(handle, CURLOPT_NOBODY, 1)
        default: _ = peernode_curl_setopt_str(handle, CURLOPT_CUSTOMREQUEST, request.method)
        }
        if !request.body.isEmpty || request.bodyStream != nil || request.method == "POST" || request.method == "PUT" {
            _ = peernode_curl_setopt_long(handle, CURLOPT_POST, 1)
            let length = request.bodyStream?.length ?? request.body.count
            _ = peernode_curl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(length))
            _ = peernode_curl_setopt_ptr(handle, CURLOPT_READDATA, context)
            _ = peernode_curl_setopt_data_fn(handle, CURLOPT_READFUNCTION, readBody)
            if request.method != "POST" { _ = peernode_curl_setopt_str(handle, CURLOPT_CUSTOMREQUEST, request.method) }
        }
        _ = peernode_curl_setopt_ptr(handle, CURLOPT_WRITEDATA, context)
        _ = peernode_curl_setopt_data_fn(handle, CURLOPT_WRITEFUNCTION, writeBody)
        _ = peernode_curl_setopt_ptr(handle, CURLOPT_HEADERDATA, context)
        _ = peernode_curl_setopt_data_fn(handle, CURLOPT_HEADERFUNCTION, writeHeader)
        if request.uploadProgress != nil || request.downloadProgress != nil {
            _ = peernode_curl_setopt_ptr(handle, CURLOPT_XFERINFODATA, context)
            _ = peernode_curl_setopt_xferinfo_fn(handle, CURLOPT_XFERINFOFUNCTION, progress)
            _ = peernode_curl_setopt_long(handle, CURLOPT_NOPROGRESS, 0)
        }

        let code = curl_easy_perform(handle)
        if transfer.tooLarge { throw .tooLarge(request.maxResponseBytes) }
        if let failure = transfer.bodyFailure { throw .bodyFailed(failure) }
        switch code {
        case CURLE_OK: break
        case CURLE_OPERATION_TIMEDOUT: throw .timedOut
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            throw .couldNotConnect(String(cString: curl_easy_strerror(code)))
        default: throw .failed(Int32(code.rawValue), String(cString: curl_easy_strerror(code)))
        }
        var status = 0
        _ = peernode_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return Response(status: status, headers: transfer.headers, body: transfer.body)
    }
}

/// One transfer's state, reached from libcurl's callbacks through the
/// context pointer; used only on the thread running `perform`.
private final class Transfer {
    let request: CurlHTTP.Request
    var sent = 0
    var body: [UInt8] = []
    var headers: [String: String] = [:]
    var tooLarge = false
    var bodyFailure: String?

    init(request: CurlHTTP.Request) { self.request = request }
}

private func transfer(_ context: UnsafeMutableRawPointer?) -> Transfer {
    Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
}

/// libcurl's "abort the transfer" answer from a read callback.
private let readAbort = 0x1000_0000

private let readBody: peernode_curl_data_fn = { buffer, size, count, context in
    let t = transfer(context)
    if let stream = t.request.bodyStream {
        guard let buffer else { return 0 }
        let room = min(size * count, stream.length - t.sent)
        guard room > 0 else { return 0 }
        do {
            let n = try stream.read(UnsafeMutableRawBufferPointer(start: buffer, count: room))
            guard n > 0 else {
                t.bodyFailure = "the body ended after \(t.sent) of \(stream.length) bytes"
                return readAbort
            }
            t.sent += n
            return n
        } catch {
            t.bodyFailure = "\(error)"
            return readAbort
        }
    }
    let n = min(size * count, t.request.body.count - t.sent)
    if n > 0, let buffer {
        t.request.body.withUnsafeBytes { source in
            UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress! + t.sent, byteCount: n)
        }
        t.sent += n
    }
    return n
}

private let writeBody: peernode_curl_data_fn = { buffer, size, count, context in
    let t = transfer(context)
    let n = size * count
    guard t.body.count + n <= t.request.maxResponseBytes else {
        t.tooLarge = true
        return 0  // makes libcurl stop with a write error
    }
    t.body.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: n))
    return n
}

private let writeHeader: peernode_curl_data_fn = { buffer, size, count, context in
    let t = transfer(context)
    let n = size * count
    let line = String(decoding: UnsafeRawBufferPointer(start: buffer, count: n), as: UTF8.self)
    if line.hasPrefix("HTTP/") {
        t.headers = [:]  // a new response (after a 100 Continue or a redirect)
    } else if let colon = line.firstIndex(of: ":") {
        let name = line[..<colon].lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: " \t\r\n")
        t.headers[name] = value
    }
    return n
}

private let progress: peernode_curl_xferinfo_fn = { context, downloadTotal, downloaded, uploadTotal, uploaded in
    let t = transfer(context)
    if uploadTotal > 0 { t.request.uploadProgress?(UInt64(uploaded), UInt64(uploadTotal)) }
    if downloaded > 0 { t.request.downloadProgress?(UInt64(downloaded), UInt64(max(0, downloadTotal))) }
    return 0
}

private extension Substring {
    func trimmingCharacters(in set: String) -> String {
        let chars = Set(set)
        var s = self[...]
        while let f = s.first, chars.contains(f) { s = s.dropFirst() }
        while let l = s.last, chars.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
