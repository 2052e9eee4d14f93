import CurlHTTP
import Foundation
import PeerNode

/// The one typed client of a daemon's HTTP API (nodectl's online commands,
/// the demo, the tests): the URL from `api.json` and the token from
/// `api.token` in the data directory, answers decoded as the server's own
/// types (PeerNode's API folder), so what it encodes is what this decodes.
public struct NodeClient: Sendable {
    public let baseURL: String
    public let token: String

    /// The daemon's refusal (its `error` text and HTTP status) or an unreachable daemon (no status).
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public let status: Int?
        public init(_ description: String, status: Int? = nil) {
            self.description = description
            self.status = status
        }
    }

    public init(baseURL: String, token: String) {
        self.baseURL = baseURL
        self.token = token
    }

    /// The daemon running on `dataDirectory`; fails when it wrote no api.json.
    public init(dataDirectory: String) throws {
        guard let data = FileManager.default.contents(atPath: dataDirectory + "/api.json"),
              let file = try? JSONDecoder().decode(APIFileURL.self, from: data) else {
            throw Failure("no daemon is running for \(dataDirectory) (no api.json); start one with `nodectl daemon --data-dir \(dataDirectory)`")
        }
        baseURL = file.url
        token = (try? String(contentsOfFile: dataDirectory + "/api.token", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    }

    /// Only the field a client needs (`PeerNodeDaemon.APIFile` has more, written once the API listens).
    private struct APIFileURL: Decodable { let url: String }

    /// Calls the API; returns the body, or throws the daemon's error message
    /// with its status. Every method but GET carries the token.
    public func call(_ method: String, _ path: String, body: Data? = nil, timeout: Double = 600) throws -> Data {
        let (status, data) = try exchange(method, path, body: body, timeout: timeout)
        guard (200..<300).contains(status) else {
            let message = (try? JSONDecoder().decode(APIServer.ErrorBody.self, from: data))?.error
            throw Failure(message ?? "the daemon answered \(status) to \(method) \(path)", status: status)
        }
        return data
    }

    /// The status and the body, whatever the status; throws only when the daemon cannot be reached.
    private func exchange(_ method: String, _ path: String, body: Data?, timeout: Double) throws -> (Int, Data) {
        var headers = [("Accept", "application/json")]
        if method != "GET" { headers.append(("Authorization", "Bearer " + token)) }
        if body != nil { headers.append(("Content-Type", "application/json")) }
        let response: CurlHTTP.Response
        do {
            response = try CurlHTTP.perform(CurlHTTP.Request(method: method, url: baseURL + path, headers: headers,
                                                             body: Array(body ?? Data()), timeout: timeout,
                                                             maxResponseBytes: 64 << 20))
        } catch {
            throw Failure("cannot reach the daemon at \(baseURL) (is it running?): \(error)")
        }
        return (response.status, Data(response.body))
    }

    /// A call's outcome either way: the status, and the answer decoded as `T`
    /// on success or the daemon's `error` text on a refusal. For callers that
    /// check refusals (the tests); others use the throwing methods.
    public struct Answer<T: Decodable>: CustomStringConvertible {
        public let status: Int
        public let value: T?
        /// The refusal's body (its `error`, and what was done before it); nil on success.
        public let refusal: APIServer.ErrorBody?
        /// The daemon's `error` text ("" on success; the body's start when it was no error JSON).
        public let error: String
        public var description: String { "\(status) " + (value.map { "\($0)" } ?? error) }
    }

    /// `method path` with `body` (raw bytes, sent as JSON), as an `Answer`.
    public func answer<T: Decodable>(_ method: String, _ path: String, body: Data?, as type: T.Type = T.self,
                                     timeout: Double = 600) throws -> Answer<T> {
        let (status, data) = try exchange(method, path, body: body, timeout: timeout)
        guard (200..<300).contains(status) else {
            let refusal = try? JSONDecoder().decode(APIServer.ErrorBody.self, from: data)
            return Answer(status: status, value: nil, refusal: refusal,
                          error: refusal?.error ?? String(decoding: data.prefix(300), as: UTF8.self))
        }
        return Answer(status: status, value: try Self.decode(data, path), refusal: nil, error: "")
    }

    /// The same with `body` encoded as JSON.
    public func answer<T: Decodable>(_ method: String, _ path: String, json body: some Encodable,
                                     as type: T.Type = T.self, timeout: Double = 600) throws -> Answer<T> {
        try answer(method, path, body: try JSONEncoder().encode(body), as: type, timeout: timeout)
    }

    /// A call whose body is `body` encoded as JSON.
    public func call(_ method: String, _ path: String, json body: some Encodable, timeout: Double = 600) throws -> Data {
        try call(method, path, body: try JSONEncoder().encode(body), timeout: timeout)
    }

    /// GET, decoded as the server's type.
    public func get<T: Decodable>(_ path: String, as type: T.Type = T.self, timeout: Double = 600) throws -> T {
        try Self.decode(try call("GET", path, timeout: timeout), path)
    }

    /// POST (with the token), decoded as the server's type.
    public func post<T: Decodable>(_ path: String, body: Data? = nil, as type: T.Type = T.self,
                                   timeout: Double = 600) throws -> T {
        try Self.decode(try call("POST", path, body: body, timeout: timeout), path)
    }

    /// An answer as `T`; the error quotes the start of the body.
    public static func decode<T: Decodable>(_ data: Data, _ path: String, as type: T.Type = T.self) throws -> T {
        do { return try JSONDecoder().decode(T.self, from: data) } catch {
            throw Failure("\(path) answered JSON this client does not understand (\(error)): \(String(decoding: data.prefix(300), as: UTF8.self))")
        }
    }
}

extension NodeClient.Answer: Sendable where T: Sendable {}
