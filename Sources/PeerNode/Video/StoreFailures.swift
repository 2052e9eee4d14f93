import Gossip
import Logging
import Synchronization

/// Live segments the store could not take (a full disk, a store error).
/// Each failure is counted (`peernode_segment_store_failures_total`), logged
/// (once per stream and 10 s, with how many were held back), and the last
/// error of each stream is shown by `GET /v1/streams` (`storeError`) until a
/// segment of that stream is stored again. The ingest keeps the segment and
/// tries it again on its next pass while the encoder's file is still there.
final class StoreFailures: Sendable {
    private let last = Mutex<[StreamID: String]>([:])
    private let limiter = LogLimiter(interval: .seconds(10))

    func note(_ stream: StreamID, path: String, error: any Error, metrics: NodeMetrics, logger: Logger) {
        metrics.add(.segmentStoreFailures)
        let message = "\(error)"
        last.withLock { $0[stream] = message }
        limiter.log("store:\(stream)", logger, .error, "a live segment could not be stored; it is tried again while its file is there",
                    ["stream": "\(stream)", "file": "\(path)", "error": "\(message)"])
    }

    func clear(_ stream: StreamID) { _ = last.withLock { $0.removeValue(forKey: stream) } }

    func message(for stream: StreamID) -> String? { last.withLock { $0[stream] } }
}

extension PeerNode {
    /// `storeSegment` for a live stream: a failure is counted, logged and
    /// shown on the stream before it is thrown back to the ingest.
    func storeLiveSegment(_ stream: StreamID, path: String, sequence: UInt64, duration: Double,
                          pin: Bool, format: SegmentFormat) throws -> StreamManifest.Segment {
        do {
            let segment = try storeSegment(path: path, sequence: sequence, duration: duration, pin: pin,
                                           nonce: own[stream]?.manifest.keyNonce, format: format)
            storeFailures.clear(stream)
            return segment
        } catch {
            storeFailures.note(stream, path: path, error: error, metrics: metrics, logger: logger)
            throw error
        }
    }
}
