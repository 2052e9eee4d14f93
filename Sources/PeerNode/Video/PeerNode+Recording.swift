import ContentStore
import Foundation
import Gossip

/// Recording a live stream (`--record`, on by default for a paid one): the
/// segments that leave its live manifest stay pinned and listed in
/// streams.json, and when the stream ends the creator's node signs a VOD of
/// all of them, NAME-recording, which plays, and pins remotely, like any
/// VOD. Its segments are the live stream's own bytes (the same chunks, the
/// same IVs, the same key nonce and sequence numbers), so a viewer who
/// bought a second live does not buy it again from the recording's keys,
/// and nothing is encoded or stored twice.
extension PeerNode.OwnStream {
    mutating func keepForRecording(_ leaving: [StreamManifest.Segment]) {
        var segments = leaving
        // The first recorded segment carries the init segment in effect for
        // it, as the manifest's own will move on to later segments.
        if recorded.isEmpty, segments.first?.initSegment == nil, let current = manifest.initSegment {
            segments[0].initSegment = current
        }
        recorded += segments
    }
}

extension PeerNode {
    /// The stream a live stream's recording is published as.
    func recordingID(of id: StreamID) -> StreamID? {
        let suffix = "-recording"
        return try? StreamID(creator: address, name: String(id.name.prefix(StreamID.maxNameBytes - suffix.utf8.count)) + suffix)
    }

    /// Signs, stores and announces the VOD of an ended recorded live stream.
    /// A failure is logged: the live stream stays ended, its segments pinned.
    func publishRecording(of id: StreamID) async {
        guard let s = own[id], let recording = recordingID(of: id) else { return }
        var segments = s.recorded + s.manifest.segments
        guard !segments.isEmpty else { return }
        let firstInit = segments[0].initSegment ?? s.manifest.initSegment
        segments[0].initSegment = nil
        var vod = StreamManifest(kind: .vod, stream: recording, title: s.manifest.title + " (recording)",
                                 pricePerSecond: s.manifest.pricePerSecond, sequence: 1, ended: true, segments: segments)
        vod.version = s.manifest.version
        vod.encryption = s.manifest.encryption
        vod.initSegment = firstInit
        vod.tipPinPrice = s.manifest.tipPinPrice
        vod.tipPinSeconds = s.manifest.tipPinSeconds
        do {
            let cid = try await publish(&vod, liveSegment: nil)
            own[recording] = OwnStream(manifest: vod, cid: cid, live: nil)
            own[id]?.recorded = []
            savePublished()
            logger.info("live stream recorded", metadata: ["stream": "\(id)", "recording": "\(recording)",
                                                           "segments": "\(segments.count)", "manifest": "\(cid)"])
        } catch {
            logger.error("the recording of a live stream was not published; its segments stay pinned",
                         metadata: ["stream": "\(id)", "error": "\(error)"])
        }
    }
}
