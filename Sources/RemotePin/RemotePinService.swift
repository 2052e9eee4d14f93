import ContentStore
import CurlHTTP
import Foundation
import Identity

/// One node's remote pinning, as `nodectl pin-remote` / `fetch-remote` and
/// the daemon's `POST /v1/pin-remote` / `POST /v1/fetch-remote` run it: the
/// node's store and key, its remote services (DATA/remote.json) and its
/// record of where each file went (DATA/remote-pins.json).
///
/// Every call blocks (libcurl) until the remote services answer; the daemon
/// runs it on threads of its own. Each location is recorded as soon as it
/// exists, so a later failure never loses an earlier success.
public struct RemotePinService: Sendable {
    public let store: ChunkStore
    public let config: RemoteConfig
    public let index: RemoteLocationIndex
    let pinner: RemotePinner
    /// The node's key, asked for only when a file goes to Arweave.
    let identity: @Sendable () throws -> KeyPair

    public init(store: ChunkStore, identity: @escaping @Sendable () throws -> KeyPair, config: RemoteConfig,
                dataDirectory: String, transport: any HTTPClient = CurlClient()) {
        self.store = store
        self.identity = identity
        self.config = config
        self.index = RemoteLocationIndex(path: dataDirectory + "/" + RemoteLocationIndex.fileName)
        self.pinner = RemotePinner(config: config, transport: transport)
    }

    public init(store: ChunkStore, identity: KeyPair, config: RemoteConfig, dataDirectory: String) {
        self.init(store: store, identity: { identity }, config: config, dataDirectory: dataDirectory)
    }

    public typealias Progress = RemotePinner.Progress

    // ---- pinning ------------------------------------------------------------------

    /// Pins `cid` to IPFS and/or stores it on Arweave (IPFS first), recording
    /// each location in remote-pins.json as soon as it exists.
    ///
    /// IPFS: a file in the store is uploaded to kubo (and pinned by the
    /// pinning service, if one is set); any other CID can only be pinned by a
    /// pinning service. Arweave: the file must be in the store; that is
    /// checked before anything is sent anywhere.
    public func pin(_ cid: CID, ipfs: Bool, arweave: Bool, streamID: String? = nil, upload: Progress? = nil,
                    onStatus: ((PinStatus) -> Void)? = nil) throws -> [RemoteLocation] {
        guard ipfs || arweave else { throw RemotePinServiceError.noTarget }
        let manifest = try? store.manifest(cid)
        if arweave && manifest == nil { throw RemotePinServiceError.notInStore(cid) }
        var done: [RemoteLocation] = []
        do {
            if ipfs { done.append(try record(try pinToIPFS(cid, manifest: manifest, upload: upload, onStatus: onStatus))) }
            if arweave {
                done.append(try record(try pinner.storeOnArweave(cid, store: store, key: try identity(), streamID: streamID,
                                                                 upload: upload)))
            }
        } catch {
            if done.isEmpty { throw error }
            throw RemotePinServiceError.partlyDone(done, then: error)
        }
        return done
    }

    private func pinToIPFS(_ cid: CID, manifest: FileManifest?, upload: Progress?,
                           onStatus: ((PinStatus) -> Void)?) throws -> RemoteLocation {
        do {
            return manifest != nil
                ? try pinner.pinToIPFS(cid, store: store, upload: upload, onStatus: onStatus)
                : try pinner.pinCIDToIPFS(cid, name: nil, onStatus: onStatus)
        } catch RemotePinError.pinTimedOut(let requestID, let ipfsCID, let status, let seconds) {
            // The service may still finish: keep the request id so it can be looked up later.
            let pending = try record(RemoteLocation(
                network: .ipfs, cid: cid.description, ipfsCID: ipfsCID, pinRequestID: requestID, pinStatus: status,
                endpoint: (try? config.pinning())??.endpoint ?? "", name: manifest?.name, mediaType: manifest?.mediaType,
                size: manifest?.size, chunkSize: manifest?.chunkSize))
            throw RemotePinServiceError.pinPending(pending, seconds: seconds, recordedIn: index.path)
        }
    }

    private func record(_ location: RemoteLocation) throws(RemotePinError) -> RemoteLocation {
        try index.record(location)
        return location
    }

    // ---- fetching back ------------------------------------------------------------

    /// What `fetch` got.
    public enum Fetched: Sendable {
        /// The file, verified and restored into the store (pinned) from `location`.
        case restored(FileManifest, from: RemoteLocation)
        /// An IPFS CID with no record: its bytes from `gateway`, checked
        /// against the CID, not stored.
        case bytes([UInt8], gateway: String)
    }

    /// Fetches `cid` back. A manifest CID is looked up in remote-pins.json,
    /// else asked of the pinning service; each copy found (only those on
    /// `network`, if given) is tried in turn until one is fetched, verified
    /// and restored. Any other CID with no record is fetched from the IPFS
    /// gateway and verified. `onFailure` hears each copy that failed.
    public func fetch(_ cid: CID, from network: RemoteLocation.Network? = nil, progress: Progress? = nil,
                      onFailure: ((RemoteLocation, any Error) -> Void)? = nil) throws -> Fetched {
        var locations = try index.locations(of: cid.description).filter { $0.cid == cid.description }
        if locations.isEmpty, cid.codec == .dagJSON {
            locations = try pinner.discover(cid)
        }
        if let network { locations = locations.filter { $0.network == network } }

        if locations.isEmpty {
            guard cid.codec != .dagJSON else { throw RemotePinServiceError.noRemoteCopy(cid, recordedIn: index.path) }
            return .bytes(try GatewayClient(config: config.gateway, transport: pinner.transport).fetch(cid, progress: progress),
                          gateway: config.gateway.gatewayURL)
        }
        var failures: [String] = []
        for location in locations {
            do {
                return .restored(try pinner.restore(cid, from: location, into: store, progress: progress), from: location)
            } catch {
                failures.append("\(location.network.rawValue) (\(location.endpoint)): \(error)")
                onFailure?(location, error)
            }
        }
        throw RemotePinServiceError.noVerifiedCopy(cid, failures: failures)
    }
}

/// What `RemotePinService` refuses or could not finish, beyond one remote
/// call's `RemotePinError`.
public enum RemotePinServiceError: Error, CustomStringConvertible {
    /// Neither IPFS nor Arweave was asked for.
    case noTarget
    /// Only a file in the store can be uploaded (Arweave always needs one).
    case notInStore(CID)
    /// The pinning service took the request but had not finished it in time; it is recorded.
    case pinPending(RemoteLocation, seconds: Double, recordedIn: String)
    case noRemoteCopy(CID, recordedIn: String)
    /// Copies were found, but none could be fetched and verified.
    case noVerifiedCopy(CID, failures: [String])
    /// These locations were done and recorded, then the next target failed.
    case partlyDone([RemoteLocation], then: any Error)

    public var description: String {
        switch self {
        case .noTarget: return "say where: IPFS, Arweave or both"
        case .notInStore(let cid): return "\(cid) is not a file in this node's store; add it first (nodectl add)"
        case .pinPending(let location, let seconds, let path):
            return "pin request \(location.pinRequestID ?? "?") for \(location.ipfsCID ?? location.cid) is still "
                + "\(location.pinStatus ?? "?") after \(Int(seconds)) s; recorded in \(path) — the service may finish it later"
        case .noRemoteCopy(let cid, let path):
            return "no remote copy of \(cid) is recorded in \(path) or known to the pinning service"
        case .noVerifiedCopy(let cid, let failures):
            return "no remote copy of \(cid) could be fetched and verified:\n  " + failures.joined(separator: "\n  ")
        case .partlyDone(let done, let error):
            let where_ = done.map { "\($0.network.rawValue) as \($0.arweaveID ?? $0.ipfsCID ?? $0.cid)" }
            return "\(error) (done before that, and recorded: \(where_.joined(separator: ", ")))"
        }
    }

    /// The locations recorded before the error, for callers that report them.
    public var recorded: [RemoteLocation] {
        switch self {
        case .pinPending(let location, _, _): return [location]
        case .partlyDone(let done, _): return done
        default: return []
        }
    }
}
