import CurlHTTP
import Dispatch

/// One HTTP answer.
public struct HTTPReply: Sendable {
    public var status: Int
    public var body: [UInt8]

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }
}

/// Posts a JSON body and returns the answer: the seam between the Solana
/// client and the HTTP stack, so tests and other transports can plug in.
public protocol HTTPPoster: Sendable {
    func postJSON(url: String, body: [UInt8], timeout: Double) async throws(ChainError) -> HTTPReply
}

/// The node's transport: libcurl through CurlHTTP. The blocking transfer runs
/// on a dispatch queue, never on Swift's cooperative pool.
public struct CurlPoster: HTTPPoster {
    /// Largest RPC answer accepted (a getAccountInfo of a 10 MiB account in base64 fits).
    public static let maxResponseBytes = 16 << 20
    private static let queue = DispatchQueue(label: "peernode.paychannel.rpc", attributes: .concurrent)

    public init() {}

    public func postJSON(url: String, body: [UInt8], timeout: Double) async throws(ChainError) -> HTTPReply {
        let request = CurlHTTP.Request(method: "POST", url: url, headers: [("Content-Type", "application/json")],
                                       body: body, timeout: timeout, maxResponseBytes: Self.maxResponseBytes)
        let result: Result<HTTPReply, ChainError> = await withCheckedContinuation { continuation in
            Self.queue.async {
                do throws(CurlHTTP.Failure) {
                    let r = try CurlHTTP.perform(request)
                    continuation.resume(returning: .success(HTTPReply(status: r.status, body: r.body)))
                } catch {
                    let failure: ChainError
                    switch error {
                    case .timedOut: failure = .unreachable(url: url, reason: "no answer within \(timeout) s")
                    case .tooLarge(let n): failure = .badResponse(method: "POST", reason: "answer larger than \(n) bytes")
                    case .couldNotConnect(let why): failure = .unreachable(url: url, reason: why)
                    case .failed, .bodyFailed: failure = .unreachable(url: url, reason: error.description)
                    }
                    continuation.resume(returning: .failure(failure))
                }
            }
        }
        return try result.get()
    }
}
