import Foundation

/// What a restart of the encoder into the same folder does (names start
/// again at index0.ts, the media sequence at 0, new content).
public enum LiveRestart: String, Codable, Sendable, CaseIterable {
    /// The stream goes on: the new segments follow the old ones, after an
    /// `#EXT-X-DISCONTINUITY` (timestamps and codec settings start again).
    case `continue`
    /// The stream ends (`#EXT-X-ENDLIST`) and a new live stream, named
    /// NAME-2, NAME-3, ..., takes the new segments.
    case new
}

/// A live stream's creator settings: set by `POST /v1/live` (or
/// config.json's defaults), saved in streams.json with the stream.
public struct LiveSettings: Codable, Sendable, Equatable {
    /// Seconds without a new segment before a stalled stream is ended.
    public var stallTimeout: Double
    public var restart: LiveRestart
    /// Keep every segment and sign a VOD of them all when the stream ends
    /// (PeerNode+Recording.swift); absent in files of older nodes: no recording.
    public var record: Bool?

    static let stallTimeouts: ClosedRange<Double> = 1...86_400

    public init(stallTimeout: Double, restart: LiveRestart, record: Bool? = nil) {
        self.stallTimeout = stallTimeout
        self.restart = restart
        self.record = record
    }

    /// The request's choices over the node's defaults, each checked.
    /// A paid stream is recorded unless the creator says not to.
    static func resolve(stallTimeout: Double?, restart: String?, record: Bool? = nil, paid: Bool = false,
                        config: NodeConfig) throws(PeerNodeError) -> LiveSettings {
        let timeout = stallTimeout ?? config.liveStallTimeout
        guard stallTimeouts.contains(timeout) else {
            throw .badRequest("stallTimeout must be 1 to 86400 (seconds); got \(timeout)")
        }
        let text = restart ?? config.liveEncoderRestart
        guard let choice = LiveRestart(rawValue: text) else {
            throw .badRequest("onRestart must be " + LiveRestart.allCases.map(\.rawValue).joined(separator: " or ") + "; got \"\(text)\"")
        }
        // Absent when not recording, as streams.json of older nodes has it.
        return LiveSettings(stallTimeout: timeout, restart: choice, record: (record ?? paid) ? true : nil)
    }
}

/// Where a live stream is, as `/v1/streams` and `nodectl streams` show it.
public enum LiveStatus: String, Codable, Sendable {
    /// Started, no segment yet: players get an empty playlist and wait.
    case waiting
    case live
    /// No new segment for `stalledTargetDurations` target durations: the
    /// encoder is gone or stuck; ended after the stream's stall timeout.
    case stalled
    case ended

    /// As in RFC 8216 §6.3.4 (a client reloads after a target duration and
    /// backs off): three target durations without a segment is a stall.
    public static let stalledTargetDurations = 3.0

    /// The status of a live manifest whose newest segment came at `lastSegment`.
    static func of(_ manifest: StreamManifest, lastSegment: Date, now: Date = Date()) -> LiveStatus {
        if manifest.ended { return .ended }
        if manifest.segments.isEmpty { return .waiting }
        let quiet = now.timeIntervalSince(lastSegment)
        return quiet > stalledTargetDurations * Double(manifest.targetDuration) ? .stalled : .live
    }
}
