#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Foundation

/// One HTTP answer.
public struct HTTPReply: Sendable {
    public var status: Int
    public var body: [UInt8]

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }
}

/// Posts a JSON body and returns the answer. The seam between the Solana
/// client and the HTTP stack, so tests and other transports can plug in.
public protocol HTTPPoster: Sendable {
    func postJSON(url: String, body: [UInt8], timeout: Double) async throws(ChainError) -> HTTPReply
}

/// The default transport: Foundation's URLSession (libcurl underneath on Linux).
/// Each request is independent; nothing is shared between calls but the session.
public struct URLSessionPoster: HTTPPoster {
    public init() {}

    public func postJSON(url: String, body: [UInt8], timeout: Double) async throws(ChainError) -> HTTPReply {
        guard let target = URL(string: url) else { throw .config("'\(url)' is not a URL") }
        var request = URLRequest(url: target, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(body)
        let result: Result<HTTPReply, ChainError> = await withCheckedContinuation { continuation in
            let task = URLSession.shared.dataTask(with: request) { data, response, error in
                if let error {
                    continuation.resume(returning: .failure(.unreachable(url: url, reason: error.localizedDescription)))
                    return
                }
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                continuation.resume(returning: .success(HTTPReply(status: status, body: Array(data ?? Data()))))
            }
            task.resume()
        }
        return try result.get()
    }
}
