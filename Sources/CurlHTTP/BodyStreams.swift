import Foundation

extension CurlHTTP.BodyStream {
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

extension CurlHTTP.Response {
    /// The start of the body as text, for error messages.
    public var bodyText: String { String(decoding: body.prefix(4096), as: UTF8.self) }
}
