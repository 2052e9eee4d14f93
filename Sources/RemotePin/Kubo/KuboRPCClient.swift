import ContentStore
import CurlHTTP
import Foundation

/// A client of kubo's HTTP RPC API (`/api/v0`): add (multipart), pin/add,
/// pin/ls, cat, id. Every call is a POST, as kubo requires.
public struct KuboRPCClient: Sendable {
    public struct Config: Sendable, Equatable {
        /// The RPC API's base URL, e.g. http://127.0.0.1:5001.
        public var apiURL: String
        /// A whole Authorization header value ("Bearer ...", "Basic ..."), if the API needs one.
        public var authorization: String?
        /// Seconds for one call, the upload included.
        public var timeout: Double
        /// Largest file `cat` will take.
        public var maxCatBytes: Int

        public init(apiURL: String, authorization: String? = nil, timeout: Double = RemoteDefaults.requestTimeout,
                    maxCatBytes: Int = RemoteDefaults.maxFetchBytes) {
            self.apiURL = apiURL
            self.authorization = authorization
            self.timeout = timeout
            self.maxCatBytes = maxCatBytes
        }
    }

    public struct NodeID: Sendable, Decodable, Equatable {
        public let id: String
        public let agentVersion: String?
        public let addresses: [String]?
        enum CodingKeys: String, CodingKey { case id = "ID", agentVersion = "AgentVersion", addresses = "Addresses" }
    }

    public struct Added: Sendable, Equatable {
        public let name: String
        public let cid: CID
        /// kubo's cumulative DAG size, when it reports one.
        public let size: UInt64?
    }

    public let config: Config
    let transport: any HTTPClient

    public init(config: Config, transport: any HTTPClient = CurlClient()) {
        self.config = config
        self.transport = transport
    }

    // ---- calls ---------------------------------------------------------------

    public func id() throws(RemotePinError) -> NodeID {
        let (url, r) = try call("id")
        return try r.decode(NodeID.self, url: url)
    }

    /// Uploads `contents` as one file. With `expected`, a different CID from
    /// the server is an error (`.cidMismatch`) — the caller computed what
    /// kubo must answer. `cidVersion: 1` asks for `--cid-version 1` (raw leaves).
    public func add(_ contents: [UInt8], filename: String, expected: CID? = nil, cidVersion: Int = 0,
                    pin: Bool = true, onlyHash: Bool = false,
                    progress: (@Sendable (UInt64, UInt64) -> Void)? = nil) throws(RemotePinError) -> Added {
        var body = MultipartBody()
        body.addFile(filename: filename, contents: contents)
        return try add(body: .bytes(body.finished()), contentType: body.contentType, filename: filename,
                       expected: expected, cidVersion: cidVersion, pin: pin, onlyHash: onlyHash, progress: progress)
    }

    /// `add` for a file streamed as it is sent (never held in memory whole).
    public func add(streaming contents: HTTPBodyStream, filename: String, expected: CID? = nil, cidVersion: Int = 0,
                    pin: Bool = true, onlyHash: Bool = false,
                    progress: (@Sendable (UInt64, UInt64) -> Void)? = nil) throws(RemotePinError) -> Added {
        let body = MultipartBody()
        return try add(body: body.streaming(filename: filename, contents: contents), contentType: body.contentType,
                       filename: filename, expected: expected, cidVersion: cidVersion, pin: pin, onlyHash: onlyHash,
                       progress: progress)
    }

    private func add(body: HTTPBodyStream, contentType: String, filename: String, expected: CID?, cidVersion: Int,
                     pin: Bool, onlyHash: Bool,
                     progress: (@Sendable (UInt64, UInt64) -> Void)?) throws(RemotePinError) -> Added {
        var args = ["pin=\(pin)", "only-hash=\(onlyHash)"]
        if cidVersion != 0 { args.append("cid-version=\(cidVersion)") }
        let (url, r) = try call("add", args: args, stream: body, contentType: contentType, progress: progress)
        // kubo answers one JSON object per line (progress lines have no Hash).
        let lines = r.bodyText.split(whereSeparator: \.isNewline)
        struct Line: Decodable { let Name: String?; let Hash: String?; let Size: String? }
        var result: Line?
        for line in lines {
            if let l = try? JSONDecoder().decode(Line.self, from: Data(line.utf8)), l.Hash != nil { result = l }
        }
        guard let result, let hash = result.Hash else {
            throw .badResponse(url: url, reason: "no CID in the add reply \(r.bodyText.prefix(200).debugDescription)")
        }
        guard let cid = try? CID(hash) else { throw .badResponse(url: url, reason: "'\(hash)' is not a CID") }
        if let expected, cid != expected { throw .cidMismatch(expected: expected, got: hash) }
        return Added(name: result.Name ?? filename, cid: cid, size: result.Size.flatMap { UInt64($0) })
    }

    public func pinAdd(_ cid: CID) throws(RemotePinError) {
        let (url, r) = try call("pin/add", args: ["arg=\(cid)"])
        struct Reply: Decodable { let Pins: [String]? }
        let reply = try r.decode(Reply.self, url: url)
        guard reply.Pins?.contains(cid.description) == true else {
            throw .badResponse(url: url, reason: "the reply does not list \(cid) as pinned")
        }
    }

    /// Recursive pins, or just `cid` (an error from the server when it is not pinned).
    public func pinLs(_ cid: CID? = nil) throws(RemotePinError) -> [String: String] {
        let (url, r) = try call("pin/ls", args: cid.map { ["arg=\($0)"] } ?? [])
        struct Reply: Decodable { struct Key: Decodable { let `Type`: String }; let Keys: [String: Key] }
        return try r.decode(Reply.self, url: url).Keys.mapValues(\.Type)
    }

    /// Puts one block (`ipfs block put`); the server must name it by the CIDv1
    /// of its SHA-256 under `codec`.
    @discardableResult
    public func blockPut(_ block: [UInt8], codec: CID.Codec = .raw) throws(RemotePinError) -> CID {
        var body = MultipartBody()
        body.addFile(filename: "block", contents: block)
        let codecName = codec == .dagPB ? "dag-pb" : codec == .raw ? "raw" : "dag-json"
        let (url, r) = try call("block/put", args: ["cid-codec=\(codecName)", "mhtype=sha2-256"], body: body.finished(),
                                contentType: body.contentType)
        struct Reply: Decodable { let Key: String }
        let key = try r.decode(Reply.self, url: url).Key
        let expected = CID.hashing(block, codec: codec)
        guard let cid = try? CID(key), cid == expected else { throw .cidMismatch(expected: expected, got: key) }
        return cid
    }

    /// One block's bytes (`ipfs block get`), checked against its CID.
    public func blockGet(_ cid: CID) throws(RemotePinError) -> [UInt8] {
        let (_, r) = try call("block/get", args: ["arg=\(cid)"], maxResponse: 2 << 20)
        guard cid.matches(r.body) else { throw .contentMismatch(cid: cid, gotBytes: r.body.count) }
        return r.body
    }

    /// A file's bytes; accepted only when they hash back to `cid`.
    public func cat(_ cid: CID) throws(RemotePinError) -> [UInt8] {
        let (_, r) = try call("cat", args: ["arg=\(cid)"], maxResponse: config.maxCatBytes)
        guard ContentVerifier.matches(r.body, cid: cid) else { throw .contentMismatch(cid: cid, gotBytes: r.body.count) }
        return r.body
    }

    // ---- plumbing ------------------------------------------------------------

    private func call(_ command: String, args: [String] = [], body: [UInt8] = [], stream: HTTPBodyStream? = nil,
                      contentType: String? = nil, maxResponse: Int = 16 << 20,
                      progress: (@Sendable (UInt64, UInt64) -> Void)? = nil) throws(RemotePinError) -> (String, HTTPResponse) {
        var url = joinURL(config.apiURL, "/api/v0/" + command)
        if !args.isEmpty { url += "?" + args.joined(separator: "&") }
        var headers: [(String, String)] = []
        if let auth = config.authorization { headers.append(("Authorization", auth)) }
        if let contentType { headers.append(("Content-Type", contentType)) }
        var request = HTTPRequest(method: "POST", url: url, headers: headers, body: body, timeout: config.timeout,
                                  maxResponseBytes: maxResponse, uploadProgress: progress)
        request.bodyStream = stream
        let r = try transport.call(request)
        guard r.status == 200 else {
            struct KuboError: Decodable { let Message: String }
            let message = (try? JSONDecoder().decode(KuboError.self, from: Data(r.body)))?.Message
                ?? r.bodyText.trimmingCharacters(in: .whitespacesAndNewlines)
            throw .server(url: url, status: r.status, message: message.isEmpty ? "(no message)" : message)
        }
        return (url, r)
    }
}
