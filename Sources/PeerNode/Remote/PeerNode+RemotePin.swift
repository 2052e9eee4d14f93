import ContentStore
import CurlHTTP
import Foundation
import RemotePin

/// Remote pinning through the daemon (`POST /v1/pin-remote`,
/// `POST /v1/fetch-remote`): the same flows as `nodectl pin-remote` and
/// `fetch-remote` (`RemotePinService`), on the node's own store and key,
/// with DATA/remote.json read at each call.
extension PeerNode {
    /// Remote operations that may run at once; more wait for a free thread.
    static let remoteThreads = 4

    public struct PinnedRemotely: Sendable, Codable {
        /// The CID asked for.
        public let cid: String
        /// One record per network, as written to DATA/remote-pins.json.
        public let records: [RemoteLocation]
    }

    public struct FetchedRemotely: Sendable, Codable {
        /// The CID asked for.
        public let cid: String
        /// `ipfs` or `arweave`, and the service the bytes came from.
        public let from: String
        public let endpoint: String
        /// The name the bytes had there: the IPFS CID or the Arweave item id.
        public let remote: String
        public let size: UInt64
        /// The file's manifest CID in this node's store (the CID asked for,
        /// unless that was a bare IPFS CID).
        public let manifest: String
        public let chunks: Int
    }

    /// Pins a file of the store to IPFS and/or stores it on Arweave.
    public nonisolated func pinRemote(cid text: String?, ipfs: Bool, arweave: Bool,
                                      streamID: String? = nil) async throws -> PinnedRemotely {
        let cid = try Self.requestCID(text)
        guard ipfs || arweave else {
            throw PeerNodeError.badRequest("say where: \"ipfs\": true, \"arweave\": true, or both")
        }
        let service = try remotePinService()
        if !arweave, (try? store.manifest(cid)) == nil, try service.config.pinning() == nil {
            throw PeerNodeError.notFound("\(cid) is not a file in this node's store; with no pinning service in "
                                         + "\(RemoteConfig.fileName) only a stored file can be pinned")
        }
        let records = try await offLoop { try service.pin(cid, ipfs: ipfs, arweave: arweave, streamID: streamID) }
        for r in records {
            logger.info("pinned remotely", metadata: ["cid": "\(cid)", "network": "\(r.network.rawValue)",
                                                      "remote": "\(r.arweaveID ?? r.ipfsCID ?? "")"])
        }
        return PinnedRemotely(cid: cid.description, records: records)
    }

    /// Fetches a file back from IPFS or Arweave (only `from`, if given),
    /// verifies it and restores it into the store. A bare IPFS CID with no
    /// record is fetched from the gateway, verified and added as a new file.
    public nonisolated func fetchRemote(cid text: String?, from: String? = nil) async throws -> FetchedRemotely {
        let cid = try Self.requestCID(text)
        let network = try from.map { from throws(PeerNodeError) in
            guard let network = RemoteLocation.Network(rawValue: from) else {
                throw .badRequest("\"from\" is \"ipfs\" or \"arweave\", not \"\(from)\"")
            }
            return network
        }
        let service = try remotePinService()
        let store = self.store
        let fetched = try await offLoop { () throws -> FetchedRemotely in
            switch try service.fetch(cid, from: network) {
            case .restored(let manifest, let location):
                return FetchedRemotely(cid: cid.description, from: location.network.rawValue, endpoint: location.endpoint,
                                       remote: location.arweaveID ?? location.ipfsCID ?? cid.description,
                                       size: manifest.size, manifest: cid.description, chunks: manifest.chunks.count)
            case .bytes(let bytes, let gateway):
                let added = try store.addBytes(bytes, name: cid.description, pin: true)
                return FetchedRemotely(cid: cid.description, from: RemoteLocation.Network.ipfs.rawValue, endpoint: gateway,
                                       remote: cid.description, size: added.manifest.size,
                                       manifest: added.cid.description, chunks: added.manifest.chunks.count)
            }
        }
        logger.info("fetched remotely", metadata: ["cid": "\(cid)", "from": "\(fetched.from)", "bytes": "\(fetched.size)"])
        return fetched
    }

    nonisolated func remotePinService() throws -> RemotePinService {
        RemotePinService(store: store, identity: identity, config: try RemoteConfig.load(dataDirectory: dataDirectory),
                         dataDirectory: dataDirectory)
    }

    /// Runs blocking remote work on `remoteWork`'s threads. A service that
    /// cannot be reached while there is no remote.json at all means remote
    /// pinning is not configured, and says so.
    nonisolated func offLoop<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        do {
            return try await remoteWork.run(body)
        } catch is CancellationError {
            throw PeerNodeError.unavailable("the node is stopping (or the request was given up) before the remote call began")
        } catch RemotePinError.unreachable(let url, let reason)
                    where !FileManager.default.fileExists(atPath: dataDirectory + "/" + RemoteConfig.fileName) {
            throw PeerNodeError.unavailable("remote services are not configured: there is no \(RemoteConfig.fileName) in "
                                            + "\(dataDirectory), and nothing answers at the default \(url) (\(reason)); "
                                            + "set the services there (docs/remote-pinning.md)")
        }
    }

    static func requestCID(_ text: String?) throws(PeerNodeError) -> CID {
        guard let text, !text.isEmpty else {
            throw .badRequest("the body needs \"cid\": a file's manifest CID (bagu...) or an IPFS CID")
        }
        do { return try CID(text) } catch {
            throw .badRequest("\"\(text)\" is not a CID: \(error)")
        }
    }
}
