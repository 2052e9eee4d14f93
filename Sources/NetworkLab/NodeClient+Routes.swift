import Foundation
import PayChannel
import PeerNode

/// One method per route of the daemon's API (docs/http-api.md), each
/// decoding the type the server encodes: callers never read the daemon's
/// answers as untyped JSON. Paths are built here once.
extension NodeClient {
    /// GET /v1/id: the node's address and endpoints.
    public func id() throws -> APIServer.Identity { try get("/v1/id") }

    /// GET /v1/peers: gossip peers and exchange peers with their scores.
    public func peers() throws -> APIServer.Peers { try get("/v1/peers") }

    /// GET /v1/streams: every stream known from announcements, and our own.
    public func streams() throws -> [PeerNode.StreamSummary] { try get("/v1/streams") }

    /// Whether `stream` (CREATOR/NAME) is in GET /v1/streams; false when the daemon does not answer.
    public func knows(_ stream: String) -> Bool { ((try? streams()) ?? []).contains { $0.stream == stream } }

    /// GET /v1/stats: the store's figures and the node's counters.
    public func stats() throws -> APIServer.Stats { try get("/v1/stats") }

    /// GET /v1/streams/CREATOR/NAME/manifest: the stream's current signed manifest.
    public func manifest(_ stream: String) throws -> StreamManifest { try get("/v1/streams/\(stream)/manifest") }

    /// POST /v1/publish: cuts, stores and announces a video (slow: the timeout is generous).
    public func publish(_ request: APIServer.PublishRequest, timeout: Double = 600) throws -> PeerNode.Published {
        try Self.decode(try call("POST", "/v1/publish", json: request, timeout: timeout), "/v1/publish")
    }

    /// POST /v1/live: follows an encoder's HLS folder as a live stream.
    public func startLive(_ request: APIServer.LiveRequest) throws -> APIServer.LiveStarted {
        try Self.decode(try call("POST", "/v1/live", json: request), "/v1/live")
    }

    /// POST /v1/live/CREATOR/NAME/end.
    public func endLive(_ stream: String) throws -> APIServer.LiveEnded { try post("/v1/live/\(stream)/end") }

    /// POST /v1/watch/CREATOR/NAME: the player's URL (fetching starts).
    public func watch(_ stream: String) throws -> APIServer.Watch { try post("/v1/watch/\(stream)") }

    /// GET /v1/chat/CREATOR/NAME, each tip checked against the creator's receipt.
    public func chat(_ stream: String, limit: Int? = nil) throws -> PeerNode.Chat {
        try get("/v1/chat/\(stream)" + (limit.map { "?limit=\($0)" } ?? ""))
    }

    /// POST /v1/chat/CREATOR/NAME: says `text`; the message's id.
    public func say(_ text: String, in stream: String) throws -> APIServer.ChatPosted {
        try Self.decode(try call("POST", "/v1/chat/\(stream)", json: APIServer.ChatRequest(text: text)), "/v1/chat")
    }

    /// POST /v1/tip: pays the creator now, with its receipt.
    public func tip(_ request: APIServer.TipRequest) throws -> NodePayments.TipResult {
        try Self.decode(try call("POST", "/v1/tip", json: request), "/v1/tip")
    }

    /// GET /v1/earnings: what this node earned, claimed and has pending.
    public func earnings() throws -> EarningsReport { try get("/v1/earnings") }

    /// GET /v1/channels: the channels we pay into and are paid on.
    public func channels() throws -> PeerNode.Channels { try get("/v1/channels") }

    /// GET /v1/spending: what this node paid, per stream and per kind.
    public func spending() throws -> PeerNode.Spending { try get("/v1/spending") }

    /// POST /v1/claim: settles every channel with anything unclaimed, now.
    public func claim() throws -> [Claim] { try post("/v1/claim") }

    /// POST /v1/gc: removes what is neither pinned nor recent.
    public func collectGarbage() throws -> APIServer.Collected { try post("/v1/gc") }

    /// POST /v1/pin-remote.
    public func pinRemote(_ request: APIServer.PinRemoteRequest) throws -> PeerNode.PinnedRemotely {
        try Self.decode(try call("POST", "/v1/pin-remote", json: request), "/v1/pin-remote")
    }

    /// POST /v1/fetch-remote.
    public func fetchRemote(_ request: APIServer.FetchRemoteRequest) throws -> PeerNode.FetchedRemotely {
        try Self.decode(try call("POST", "/v1/fetch-remote", json: request), "/v1/fetch-remote")
    }

    /// One counter of GET /metrics (Prometheus text); 0 when absent or the daemon does not answer.
    public func counter(_ name: String) -> Double {
        guard let data = try? call("GET", "/metrics") else { return 0 }
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.split(separator: " ").last ?? "") ?? 0
        }
        return 0
    }
}
