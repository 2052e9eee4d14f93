import CurlHTTP
import Foundation

/// A multipart/form-data body with file parts, as kubo's /api/v0/add takes it.
struct MultipartBody {
    let boundary: String
    private(set) var bytes: [UInt8] = []

    init(boundary: String = "peernode-" + UUID().uuidString) {
        self.boundary = boundary
    }

    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    mutating func addFile(field: String = "file", filename: String, contents: [UInt8],
                          contentType: String = "application/octet-stream") {
        let safeName = filename.replacingOccurrences(of: "\"", with: "_").replacingOccurrences(of: "\r", with: "_")
            .replacingOccurrences(of: "\n", with: "_")
        var head = "--\(boundary)\r\n"
        head += "Content-Disposition: form-data; name=\"\(field)\"; filename=\"\(safeName)\"\r\n"
        head += "Content-Type: \(contentType)\r\n\r\n"
        bytes += Array(head.utf8)
        bytes += contents
        bytes += Array("\r\n".utf8)
    }

    func finished() -> [UInt8] {
        bytes + Array("--\(boundary)--\r\n".utf8)
    }

    /// One file part whose contents are streamed, as a whole body.
    func streaming(field: String = "file", filename: String, contents: HTTPBodyStream,
                   contentType: String = "application/octet-stream") -> HTTPBodyStream {
        var head = MultipartBody(boundary: boundary)
        head.addFile(field: field, filename: filename, contents: [], contentType: contentType)
        // addFile ended the part with CRLF; the contents go before it.
        let headBytes = Array(head.bytes.dropLast(2))
        let tail = Array("\r\n--\(boundary)--\r\n".utf8)
        return .concatenating([.bytes(headBytes), contents, .bytes(tail)])
    }
}
