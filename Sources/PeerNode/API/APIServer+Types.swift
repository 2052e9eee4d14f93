import Foundation

// The API's request and response bodies that are not a PeerNode or PayChannel
// type of their own: the server encodes them and NetworkLab's NodeClient
// decodes the same types, so the two cannot drift apart.
extension APIServer {
    public struct PublishRequest: Codable, Sendable {
        public init(video: String, title: String, name: String? = nil, pricePerSecond: UInt64? = nil,
                    ladder: String? = nil) {
            self.video = video
            self.title = title
            self.name = name
            self.pricePerSecond = pricePerSecond
            self.ladder = ladder
        }

        public var video: String
        public var title: String
        public var name: String?
        public var pricePerSecond: UInt64?
        /// Renditions to encode, "1080p,720p,480p,360p" (none above the
        /// source); absent: the source's height and the usual rungs below it.
        public var ladder: String?
    }

    public struct LiveRequest: Codable, Sendable {
        public init(hlsDir: String, title: String, name: String? = nil, pricePerSecond: UInt64? = nil, stallTimeout: Double? = nil,
                    onRestart: String? = nil, record: Bool? = nil) {
            self.record = record
            self.hlsDir = hlsDir
            self.title = title
            self.name = name
            self.pricePerSecond = pricePerSecond
            self.stallTimeout = stallTimeout
            self.onRestart = onRestart
        }

        public var hlsDir: String
        public var title: String
        public var name: String?
        public var pricePerSecond: UInt64?
        /// Seconds without a new segment before the stream is ended (default: config.json's liveStallTimeout).
        public var stallTimeout: Double?
        /// `continue` or `new`: what an encoder restart into the folder does (default: liveEncoderRestart).
        public var onRestart: String?
        /// Sign a VOD of every segment (NAME-recording) when it ends (default: only a paid stream).
        public var record: Bool?
    }

    public struct Identity: Codable, Sendable {
        public let address: String
        public let gossip: String
        public let exchange: String
    }

    public struct Watch: Codable, Sendable {
        public let stream: String
        public let url: String
        public let kind: String
        public let segments: Int
        public let pricePerSecond: UInt64
        /// Why this node may not be able to pay for the stream, and what to do (nil: it can).
        public let warning: String?
    }

    public struct Peers: Codable, Sendable {
        public let gossip: [String]
        public let exchange: [ChunkExchange.PeerInfo]
    }

    public struct Stats: Codable, Sendable {
        public let chunks: Int
        public let bytes: UInt64
        public let quota: UInt64?
        /// Pinned roots (files, manifests, chunks): never evicted.
        public let pinnedRoots: Int
        public let counters: [String: UInt64]
    }

    public struct TipRequest: Codable, Sendable {
        public init(stream: String, amount: UInt64, message: String? = nil) {
            self.stream = stream
            self.amount = amount
            self.message = message
        }

        public var stream: String
        public var amount: UInt64
        public var message: String?
    }

    public struct ChatRequest: Codable, Sendable {
        public init(text: String) {
            self.text = text
        }

        public var text: String
    }

    /// POST /v1/gc.
    public struct Collected: Codable, Sendable {
        public let chunks: Int
        public let bytes: Int
        public let manifests: Int
    }

    /// POST /v1/live.
    public struct LiveStarted: Codable, Sendable {
        public let stream: String
    }

    /// POST /v1/live/CREATOR/NAME/end (`ended` is the string "true", as it always was).
    public struct LiveEnded: Codable, Sendable {
        public let stream: String
        public let ended: String
    }

    /// POST /v1/chat/CREATOR/NAME: the chat message's id.
    public struct ChatPosted: Codable, Sendable {
        public let id: String
    }
}
