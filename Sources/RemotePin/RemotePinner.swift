import ContentStore
import CurlHTTP
import Foundation
import Identity

/// Pins the node's files to IPFS and Arweave, and fetches them back.
///
/// IPFS: the file's bytes go to a kubo RPC API with the CID the node
/// computed beforehand (a different answer is an error); then, when a
/// pinning service is configured, a pin request names that CID and is
/// followed to pinned or failed. Arweave: the bytes go to a bundler as one
/// ANS-104 data item signed with the node's key, tagged so that the file's
/// manifest can be rebuilt and checked from the item alone.
///
/// Fetching back accepts bytes only when they hash to the remote CID, and
/// restores a file only when the manifest rebuilt from them has the CID
/// asked for.
public struct RemotePinner: Sendable {
    public let config: RemoteConfig
    let transport: any HTTPClient

    /// Tag names on the node's data items.
    public enum Tag {
        public static let contentType = "Content-Type"
        public static let appName = "App-Name"
        public static let manifestCID = "Manifest-CID"
        public static let ipfsCID = "IPFS-CID"
        public static let fileName = "File-Name"
        public static let chunkSize = "Chunk-Size"
        public static let streamID = "Stream-Id"
        public static let app = "peernode"
    }

    /// Keys of a pin request's `meta`: enough to find a file by its manifest
    /// CID and rebuild the manifest, for a node with no local record.
    public enum Meta {
        public static let manifest = "peernode-manifest"
        public static let mediaType = "peernode-media-type"
        public static let chunkSize = "peernode-chunk-size"
        public static let size = "peernode-size"
    }

    public init(config: RemoteConfig, transport: any HTTPClient = CurlClient()) {
        self.config = config
        self.transport = transport
    }

    public typealias Progress = @Sendable (UInt64, UInt64) -> Void

    // ---- IPFS ------------------------------------------------------------------

    /// Uploads a stored file to the kubo API and, if a pinning service is
    /// configured, pins it there and waits for the outcome.
    public func pinToIPFS(_ manifestCID: CID, store: ChunkStore, upload: Progress? = nil,
                          onStatus: ((PinStatus) -> Void)? = nil) throws -> RemoteLocation {
        // Two passes over the stored chunks, never the whole file in memory:
        // the CID kubo must answer, then the upload.
        let hashing = try StoredFileReader(store: store, cid: manifestCID)
        let manifest = hashing.manifest
        let expected = try UnixFS.root(options: .kuboDefault) { try hashing.read(upTo: $0) }.cid
        let kubo = KuboRPCClient(config: config.kubo, transport: transport)
        let uploading = try StoredFileReader(store: store, cid: manifestCID)
        let added = try kubo.add(streaming: uploading.bodyStream, filename: manifest.name, expected: expected, pin: true,
                                 progress: upload)
        var location = RemoteLocation(network: .ipfs, cid: manifestCID.description, ipfsCID: added.cid.description,
                                      pinStatus: "pinned", endpoint: config.kubo.apiURL, name: manifest.name,
                                      mediaType: manifest.mediaType, size: manifest.size, chunkSize: manifest.chunkSize)
        if let service = try config.pinning() {
            let meta = [Meta.manifest: manifestCID.description, Meta.mediaType: manifest.mediaType,
                        Meta.chunkSize: String(manifest.chunkSize), Meta.size: String(manifest.size)]
            let status = try requestPin(added.cid.description, name: manifest.name, meta: meta, service: service,
                                        onStatus: onStatus)
            location.endpoint = service.endpoint
            location.pinRequestID = status.requestid
            location.pinStatus = status.status.rawValue
        }
        return location
    }

    /// Asks the pinning service to pin a CID the node does not hold (content
    /// already on IPFS); needs a pinning service.
    public func pinCIDToIPFS(_ cid: CID, name: String?, onStatus: ((PinStatus) -> Void)? = nil) throws -> RemoteLocation {
        guard let service = try config.pinning() else {
            throw RemotePinError.config("\(cid) is not a file in this node's store, so it can only be pinned by a pinning "
                                        + "service: set pinningService and pinningServiceToken")
        }
        let status = try requestPin(cid.description, name: name, meta: [:], service: service, onStatus: onStatus)
        return RemoteLocation(network: .ipfs, cid: cid.description, ipfsCID: cid.description, pinRequestID: status.requestid,
                              pinStatus: status.status.rawValue, endpoint: service.endpoint, name: name)
    }

    private func requestPin(_ cid: String, name: String?, meta: [String: String], service: PinningServiceClient.Config,
                            onStatus: ((PinStatus) -> Void)?) throws(RemotePinError) -> PinStatus {
        let client = PinningServiceClient(config: service, transport: transport)
        var origins: [String]? = nil
        if let addresses = try? KuboRPCClient(config: config.kubo, transport: transport).id().addresses, !addresses.isEmpty {
            origins = addresses  // where the service can fetch the DAG from
        }
        let created = try client.add(Pin(cid: cid, name: name, origins: origins, meta: meta.isEmpty ? nil : meta))
        return try client.waitUntilDone(created.requestid, timeout: config.pinWaitTimeout ?? RemoteDefaults.pinWaitTimeout,
                                        onChange: onStatus)
    }

    // ---- Arweave ---------------------------------------------------------------

    /// Stores a file on Arweave as one data item signed with `key`.
    public func storeOnArweave(_ manifestCID: CID, store: ChunkStore, key: KeyPair, streamID: String? = nil,
                               upload: Progress? = nil) throws -> RemoteLocation {
        let manifest = try store.manifest(manifestCID)
        let bytes = try store.readFile(manifestCID)
        var tags = [DataItemTag(Tag.contentType, manifest.mediaType.isEmpty ? "application/octet-stream" : manifest.mediaType),
                    DataItemTag(Tag.appName, Tag.app),
                    DataItemTag(Tag.manifestCID, manifestCID.description),
                    DataItemTag(Tag.ipfsCID, UnixFS.root(of: bytes, options: .kuboCIDv1).cid.description),
                    DataItemTag(Tag.chunkSize, String(manifest.chunkSize))]
        if !manifest.name.isEmpty { tags.append(DataItemTag(Tag.fileName, String(manifest.name.prefix(1024)))) }
        if let streamID, !streamID.isEmpty { tags.append(DataItemTag(Tag.streamID, streamID)) }
        let item = try DataItem.sign(data: bytes, tags: tags, key: key)
        let bundler = BundlerClient(config: config.bundler, transport: transport)
        _ = try bundler.upload(item, progress: upload)
        return RemoteLocation(network: .arweave, cid: manifestCID.description, arweaveID: item.id,
                              owner: Base58.encode(key.publicKey), endpoint: config.bundler.bundlerURL,
                              name: manifest.name, mediaType: manifest.mediaType, size: manifest.size,
                              chunkSize: manifest.chunkSize)
    }

    // ---- fetching back ------------------------------------------------------------

    /// Pinned copies of a file that the pinning service knows by its manifest
    /// CID (for a node without a local record); empty with no pinning service.
    public func discover(_ manifestCID: CID) throws(RemotePinError) -> [RemoteLocation] {
        guard let service = try config.pinning() else { return [] }
        let found = try PinningServiceClient(config: service, transport: transport)
            .list(meta: [Meta.manifest: manifestCID.description], limit: 10)
        return found.results.map { s in
            let meta = s.pin.meta ?? [:]
            return RemoteLocation(network: .ipfs, cid: manifestCID.description, ipfsCID: s.pin.cid,
                                  pinRequestID: s.requestid, pinStatus: s.status.rawValue, endpoint: service.endpoint,
                                  name: s.pin.name, mediaType: meta[Meta.mediaType], size: meta[Meta.size].flatMap { UInt64($0) },
                                  chunkSize: meta[Meta.chunkSize].flatMap { Int($0) })
        }
    }

    /// The file's bytes from where `location` says it is, verified against
    /// the remote CID (IPFS) or the signature, id, owner and IPFS-CID tag (Arweave).
    public func fetch(_ location: RemoteLocation, progress: Progress? = nil) throws -> [UInt8] {
        try fetchVerified(location, progress: progress).bytes
    }

    private func fetchVerified(_ location: RemoteLocation, progress: Progress?) throws -> (bytes: [UInt8], item: DataItem?) {
        switch location.network {
        case .ipfs:
            guard let text = location.ipfsCID, let cid = try? CID(text) else {
                throw RemotePinError.config("the IPFS record of \(location.cid) has no valid CID")
            }
            return (try GatewayClient(config: config.gateway, transport: transport).fetch(cid, progress: progress), nil)
        case .arweave:
            guard let id = location.arweaveID else { throw RemotePinError.config("the Arweave record of \(location.cid) has no id") }
            let item = try BundlerClient(config: config.bundler, transport: transport).fetch(id: id, progress: progress)
            if let owner = location.owner, Base58.encode(item.owner) != owner {
                throw RemotePinError.invalidDataItem("item \(id) is signed by \(Base58.encode(item.owner)), not by \(owner)")
            }
            if let tagged = item.tag(Tag.ipfsCID) {
                guard let cid = try? CID(tagged), ContentVerifier.matches(item.data, cid: cid) else {
                    throw RemotePinError.invalidDataItem("item \(id)'s data does not match its IPFS-CID tag \(tagged)")
                }
            }
            return (item.data, item)
        }
    }

    /// Fetches the file and puts it back in `store` (chunks, then the
    /// manifest, pinned) if, and only if, the manifest rebuilt from the
    /// bytes has the CID `manifestCID`.
    @discardableResult
    public func restore(_ manifestCID: CID, from location: RemoteLocation, into store: ChunkStore,
                        progress: Progress? = nil) throws -> FileManifest {
        let (bytes, item) = try fetchVerified(location, progress: progress)
        // An Arweave item says how to rebuild the manifest where the record does not.
        let name = location.name ?? item?.tag(Tag.fileName) ?? ""
        let mediaType = location.mediaType ?? item?.tag(Tag.contentType)
        let chunkSize = location.chunkSize ?? item?.tag(Tag.chunkSize).flatMap { Int($0) }
        guard let chunkSize, chunkSize > 0, chunkSize <= StoreConfig.maxChunkSize else {
            throw RemotePinError.config("the record of \(manifestCID) does not say how the file was chunked")
        }
        let chunks = stride(from: 0, to: bytes.count, by: chunkSize).map { bytes[$0..<min(bytes.count, $0 + chunkSize)] }
        let manifest = FileManifest(name: name, mediaType: mediaType ?? "application/octet-stream",
                                    size: UInt64(bytes.count), chunkSize: chunkSize, chunks: chunks.map { CID.hashing($0) })
        guard manifest.cid == manifestCID else {
            throw RemotePinError.contentMismatch(cid: manifestCID, gotBytes: bytes.count)
        }
        for (chunk, cid) in zip(chunks, manifest.chunks) { _ = try store.putChunk(chunk, expected: cid) }
        try store.putManifest(manifest, pin: true)
        return manifest
    }
}
