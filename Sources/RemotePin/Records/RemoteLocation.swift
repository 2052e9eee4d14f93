import Foundation

/// Where one of the node's files is kept remotely, and under which name.
/// Kept beside the store (DATA/remote-pins.json) rather than in the file's
/// manifest: a manifest is content-addressed, so recording a later pin in it
/// would change the CID that names the file.
public struct RemoteLocation: Codable, Sendable, Equatable {
    public enum Network: String, Codable, Sendable { case ipfs, arweave }

    public var network: Network
    /// The node's CID for the file (its manifest's CID), or the CID pinned as given.
    public var cid: String
    /// IPFS: the UnixFS root CID the file has there.
    public var ipfsCID: String?
    /// IPFS: the pinning service's request id and its last known status.
    public var pinRequestID: String?
    public var pinStatus: String?
    /// Arweave: the data item's id, and the key that signed it (base58).
    public var arweaveID: String?
    public var owner: String?
    /// The service the file went to (RPC API, pinning service or bundler URL).
    public var endpoint: String
    /// What the node needs to rebuild the manifest from the bytes alone.
    public var name: String?
    public var mediaType: String?
    public var size: UInt64?
    public var chunkSize: Int?
    public var recordedAt: String

    public init(network: Network, cid: String, ipfsCID: String? = nil, pinRequestID: String? = nil,
                pinStatus: String? = nil, arweaveID: String? = nil, owner: String? = nil, endpoint: String,
                name: String? = nil, mediaType: String? = nil, size: UInt64? = nil, chunkSize: Int? = nil) {
        self.network = network
        self.cid = cid
        self.ipfsCID = ipfsCID
        self.pinRequestID = pinRequestID
        self.pinStatus = pinStatus
        self.arweaveID = arweaveID
        self.owner = owner
        self.endpoint = endpoint
        self.name = name
        self.mediaType = mediaType
        self.size = size
        self.chunkSize = chunkSize
        self.recordedAt = ISO8601DateFormatter().string(from: Date())
    }
}

/// The node's record of remote locations: a small JSON file, rewritten
/// atomically on each change. Changes hold an flock on `PATH.lock`, so the
/// daemon's concurrent requests and `nodectl` beside it never lose each
/// other's records.
public struct RemoteLocationIndex: Sendable {
    public static let fileName = "remote-pins.json"
    public let path: String

    public init(path: String) { self.path = path }

    public func all() throws(RemotePinError) -> [RemoteLocation] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        guard let data = FileManager.default.contents(atPath: path) else { throw .config("cannot read \(path)") }
        do {
            return try JSONDecoder().decode([RemoteLocation].self, from: data)
        } catch {
            throw .config("\(path) is damaged (\(error)); move it aside to start a new record")
        }
    }

    public func locations(of cid: String) throws(RemotePinError) -> [RemoteLocation] {
        try all().filter { $0.cid == cid || $0.ipfsCID == cid || $0.arweaveID == cid }
    }

    /// Adds `location`, replacing an older record of the same file on the same network and endpoint.
    public func record(_ location: RemoteLocation) throws(RemotePinError) {
        try withLock { () throws(RemotePinError) in
            var entries = try all().filter {
                !($0.cid == location.cid && $0.network == location.network && $0.endpoint == location.endpoint)
            }
            entries.append(location)
            let tmp = path + ".tmp"
            do {
                try Data(encodeJSONPretty(entries)).write(to: URL(fileURLWithPath: tmp))
            } catch {
                throw .config("cannot write \(tmp): \(error)")
            }
            guard rename(tmp, path) == 0 else { throw .config("cannot replace \(path) (errno \(errno))") }
        }
    }

    /// Runs `body` holding an exclusive flock on `PATH.lock` (released when
    /// the descriptor closes, or by the kernel if the process dies).
    private func withLock<T>(_ body: () throws(RemotePinError) -> T) throws(RemotePinError) -> T {
        let lockPath = path + ".lock"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .config("cannot open \(lockPath) (errno \(errno))") }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw .config("cannot lock \(lockPath) (errno \(errno))") }
        }
        return try body()
    }
}

func encodeJSONPretty<T: Encodable>(_ value: T) -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
    return Array((try? encoder.encode(value)) ?? Data())
}
