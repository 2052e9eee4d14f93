import CurlHTTP
import Foundation
import Solana
import Testing

/// The retry rules of SolanaRPC.call, through the HTTPClient seam: network
/// failures and HTTP 429/5xx are retried with back-off up to `retries` times;
/// any other answer, a JSON-RPC error included, is final.
@Suite struct RetryTests {
    /// Answers from a script, counting the attempts.
    final class Script: HTTPClient, @unchecked Sendable {  // the lock guards every field
        private let lock = NSLock()
        private var replies: [Result<HTTPResponse, CurlHTTP.Failure>]
        private(set) var attempts = 0

        init(_ replies: [Result<HTTPResponse, CurlHTTP.Failure>]) { self.replies = replies }

        func send(_ request: HTTPRequest) throws(CurlHTTP.Failure) -> HTTPResponse {
            let next: Result<HTTPResponse, CurlHTTP.Failure> = lock.withLock {
                attempts += 1
                return replies.isEmpty ? .failure(.couldNotConnect("script ended")) : replies.removeFirst()
            }
            return try next.get()
        }

        var count: Int { lock.withLock { attempts } }
    }

    static let ok = HTTPResponse(status: 200, body: Array(#"{"jsonrpc":"2.0","result":42,"id":1}"#.utf8))

    func rpc(_ script: Script, retries: Int = 3) throws -> SolanaRPC {
        var config = ChainConfig(rpcURL: "http://127.0.0.1:1")
        config.retries = retries
        config.retryDelay = 0.001
        return try SolanaRPC(config: config, http: script)
    }

    @Test func serverErrorsAndNetworkFailuresAreRetried() async throws {
        let script = Script([.success(HTTPResponse(status: 503, body: [])), .failure(.couldNotConnect("refused")),
                             .success(HTTPResponse(status: 429, body: [])), .success(Self.ok)])
        #expect(try await rpc(script).slot() == 42)
        #expect(script.count == 4)
    }

    @Test func retriesStopAtTheLimit() async throws {
        let script = Script(Array(repeating: .success(HTTPResponse(status: 502, body: Array("bad gateway".utf8))), count: 10))
        await #expect(throws: ChainError.http(url: "http://127.0.0.1:1", status: 502, body: "bad gateway")) {
            try await rpc(script, retries: 2).slot()
        }
        #expect(script.count == 3)
    }

    @Test func answersAreFinal() async throws {
        let rpcError = HTTPResponse(status: 200, body: Array(#"{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params"},"id":1}"#.utf8))
        let script = Script([.success(rpcError), .success(Self.ok)])
        await #expect(throws: ChainError.rpc(code: -32602, message: "Invalid params", failure: nil, logs: [])) {
            try await rpc(script).slot()
        }
        #expect(script.count == 1)
        let notFound = Script([.success(HTTPResponse(status: 404, body: [])), .success(Self.ok)])
        await #expect(throws: ChainError.self) { try await rpc(notFound).slot() }
        #expect(notFound.count == 1)
        let junk = Script([.success(HTTPResponse(status: 200, body: Array("{\"result\":".utf8)))])
        await #expect(throws: ChainError.self) { try await rpc(junk).slot() }
    }
}
