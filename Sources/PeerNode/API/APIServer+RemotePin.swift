import Hummingbird
import RemotePin

/// `POST /v1/pin-remote` and `POST /v1/fetch-remote` (docs/http-api.md,
/// docs/remote-pinning.md).
extension APIServer {
    public struct PinRemoteRequest: Codable, Sendable {
        public init(cid: String?, ipfs: Bool? = nil, arweave: Bool? = nil, streamId: String? = nil) {
            self.cid = cid
            self.ipfs = ipfs
            self.arweave = arweave
            self.streamId = streamId
        }

        public var cid: String?
        public var ipfs: Bool?
        public var arweave: Bool?
        public var streamId: String?
    }

    public struct FetchRemoteRequest: Codable, Sendable {
        public init(cid: String?, from: String? = nil) {
            self.cid = cid
            self.from = from
        }

        public var cid: String?
        public var from: String?
    }

    static func addRemotePinRoutes(to router: Router<BasicRequestContext>, node: PeerNode, token: String) {
        router.post("/v1/pin-remote") { request, _ in
            try await guarded(node.metrics, request: request, token: token) {
                let body = try await body(PinRemoteRequest.self, of: request)
                return json(try await node.pinRemote(cid: body.cid, ipfs: body.ipfs ?? false, arweave: body.arweave ?? false,
                                                     streamID: body.streamId))
            }
        }
        router.post("/v1/fetch-remote") { request, _ in
            try await guarded(node.metrics, request: request, token: token) {
                let body = try await body(FetchRemoteRequest.self, of: request)
                return json(try await node.fetchRemote(cid: body.cid, from: body.from))
            }
        }
    }

    /// Remote services' failures: 502 when a service could not be reached or
    /// answered wrongly, 504 when it did not answer (or finish a pin) in
    /// time, 503 when the node's remote.json does not allow the call; 400/404
    /// for what the request itself asked wrongly.
    static func remoteStatus(for error: any Error) -> HTTPResponse.Status? {
        switch error {
        case let e as RemotePinServiceError:
            switch e {
            case .noTarget: return .badRequest
            case .notInStore, .noRemoteCopy: return .notFound
            case .pinPending: return .gatewayTimeout
            case .noVerifiedCopy: return .badGateway
            case .partlyDone(_, let then): return status(for: then)
            }
        case let e as RemotePinError:
            switch e {
            case .config: return .serviceUnavailable
            case .timedOut, .pinTimedOut: return .gatewayTimeout
            case .fileUnreadable: return .internalServerError
            case .unreachable, .server, .badResponse, .cidMismatch, .contentMismatch, .pinFailed, .invalidDataItem:
                return .badGateway
            }
        default: return nil
        }
    }
}
