import Foundation

/// The seam between the remote clients and whatever speaks HTTP (libcurl in
/// the node, anything in a test). Clients build requests; a transport sends
/// them and maps failures to `RemotePinError`.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// Sent instead of `body` when set: a body produced while it goes out.
    public var bodyStream: HTTPBodyStream?
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
        self.bodyStream = nil
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
        self.uploadProgress = uploadProgress
        self.downloadProgress = downloadProgress
    }
}

/// `length` bytes made on demand: `read` fills the buffer and returns how
/// many bytes it wrote (0 only at the end), or throws to abort the request.
public struct HTTPBodyStream: Sendable {
    public let length: Int
    public let read: @Sendable (UnsafeMutableRawBufferPointer) throws -> Int

    public init(length: Int, read: @escaping @Sendable (UnsafeMutableRawBufferPointer) throws -> Int) {
        self.length = length
        self.read = read
    }

    /// The bytes of `parts` one after the other.
    public static func concatenating(_ parts: [HTTPBodyStream]) -> HTTPBodyStream {
        let state = ConcatenationState(parts)
        return HTTPBodyStream(length: parts.reduce(0) { $0 + $1.length }) { buffer in try state.read(into: buffer) }
    }

    public static func bytes(_ bytes: [UInt8]) -> HTTPBodyStream {
        let state = ConcatenationState([])
        return HTTPBodyStream(length: bytes.count) { buffer in state.copy(bytes, into: buffer) }
    }
}

/// The position inside a concatenated or in-memory stream. A stream is read
/// by one transfer on one thread, one call at a time; the lock only makes
/// that assumption safe to state.
private final class ConcatenationState: @unchecked Sendable {
    private let lock = NSLock()
    private let parts: [HTTPBodyStream]
    private var index = 0
    private var offset = 0

    init(_ parts: [HTTPBodyStream]) { self.parts = parts }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        lock.lock()
        defer { lock.unlock() }
        while index < parts.count {
            let n = try parts[index].read(buffer)
            if n > 0 { return n }
            index += 1
        }
        return 0
    }

    func copy(_ bytes: [UInt8], into buffer: UnsafeMutableRawBufferPointer) -> Int {
        lock.lock()
        defer { lock.unlock() }
        let n = min(buffer.count, bytes.count - offset)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: n) }
        offset += n
        return n
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
