import CurlHTTP
import Foundation

/// Uploads ANS-104 data items to a bundler (`POST {bundler}/tx`) and fetches
/// them back from a gateway (`GET {gateway}/tx/{id}`: the whole item),
/// accepting an item only when its signature verifies and its id is the one
/// asked for.
public struct BundlerClient: Sendable {
    public struct Config: Sendable, Equatable {
        public var bundlerURL: String
        /// Where items are fetched back; the bundler's own gateway unless set.
        public var gatewayURL: String
        public var timeout: Double
        public var maxBytes: Int

        public init(bundlerURL: String, gatewayURL: String? = nil, timeout: Double = RemoteDefaults.requestTimeout,
                    maxBytes: Int = RemoteDefaults.maxFetchBytes) {
            self.bundlerURL = bundlerURL
            self.gatewayURL = gatewayURL ?? bundlerURL
            self.timeout = timeout
            self.maxBytes = maxBytes
        }
    }

    /// The bundler's receipt (the fields every bundler sends).
    public struct Receipt: Sendable, Decodable, Equatable {
        public let id: String
        public let timestamp: Int64?
    }

    public let config: Config
    let transport: any HTTPClient

    public init(config: Config, transport: any HTTPClient = CurlClient()) {
        self.config = config
        self.transport = transport
    }

    public func upload(_ item: DataItem, progress: (@Sendable (UInt64, UInt64) -> Void)? = nil) throws(RemotePinError) -> Receipt {
        let receipt = try uploadEncoded(item.encoded(), progress: progress)
        guard receipt.id == item.id else {
            throw .badResponse(url: joinURL(config.bundlerURL, "/tx"),
                               reason: "the bundler's receipt names item \(receipt.id), ours is \(item.id)")
        }
        return receipt
    }

    /// Uploads an item's bytes as they are (the bundler checks them).
    public func uploadEncoded(_ bytes: [UInt8], progress: (@Sendable (UInt64, UInt64) -> Void)? = nil) throws(RemotePinError) -> Receipt {
        let url = joinURL(config.bundlerURL, "/tx")
        let r = try transport.call(HTTPRequest(method: "POST", url: url,
                                               headers: [("Content-Type", "application/octet-stream")],
                                               body: bytes, timeout: config.timeout, uploadProgress: progress))
        guard r.status == 200 || r.status == 201 || r.status == 202 else {
            struct Failure: Decodable { let error: String }
            let message = (try? JSONDecoder().decode(Failure.self, from: Data(r.body)))?.error
                ?? r.bodyText.trimmingCharacters(in: .whitespacesAndNewlines)
            throw .server(url: url, status: r.status, message: message)
        }
        return try r.decode(Receipt.self, url: url)
    }

    /// The whole item with id `id`, checked: structure, signature, id.
    public func fetch(id: String, progress: (@Sendable (UInt64, UInt64) -> Void)? = nil) throws(RemotePinError) -> DataItem {
        guard let raw = Base64URL.decode(id), raw.count == 32 else {
            throw .invalidDataItem("'\(id)' is not a data item id (43 base64url characters)")
        }
        let url = joinURL(config.gatewayURL, "/tx/\(id)")
        let r = try transport.call(HTTPRequest(method: "GET", url: url, timeout: config.timeout,
                                               maxResponseBytes: config.maxBytes + 8192, downloadProgress: progress))
        guard r.status == 200 else {
            throw .server(url: url, status: r.status, message: r.bodyText.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let item = try DataItem.decode(r.body)
        guard item.rawID == raw else {
            throw .invalidDataItem("the gateway returned item \(item.id) when asked for \(id)")
        }
        return item
    }
}
