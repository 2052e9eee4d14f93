import ContentStore
import Foundation
import Gossip

/// Publishing a VOD: cut (VODCut: CMAF by default, a ladder when the source
/// is large enough or one is asked for), stored and pinned rendition by
/// rendition, a paid one encrypted per segment, then one signed manifest
/// for all renditions, announced (docs/video.md).
extension PeerNode {
    /// `ladder`: "1080p,720p,480p" (nil: the default ladder of the source);
    /// `format`: MPEG-TS only to make what older players need.
    public func publishVOD(video: String, title: String, name: String? = nil, pricePerSecond: UInt64? = nil,
                           ladder: String? = nil, format: SegmentFormat = .fmp4) async throws -> Published {
        let id = try streamID(name: name, title: title)
        let asked = try ladder.map { text throws(PeerNodeError) in try Ladder.parse(text) }
        guard FileManager.default.isReadableFile(atPath: video) else { throw PeerNodeError.notFound("video file \(video)") }
        let needed = try requirePublishSpace(video: video)
        let work = dataDirectory + "/tmp/publish-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: work) }
        let (seconds, minFree) = (config.hlsSegmentSeconds, store.config.minFreeBytes)
        let cut = try await Task.detached {
            try VODCut.cut(video: video, into: work, segmentSeconds: seconds, format: format, ladder: asked,
                           spaceNeeded: needed, minFreeBytes: minFree)
        }.value
        // Paid streams are encrypted per segment (SegmentEncryption.swift).
        let price = pricePerSecond ?? config.pricePerSecond
        let nonce = price > 0 ? ContentKeys.newNonce() : nil
        // Whatever fails from here unpins the segments this publish pinned.
        var pinned: [CID] = []
        let manifest: StreamManifest, cid: CID
        do {
            var stored: [(segments: [StreamManifest.Segment], initSegment: StreamManifest.InitSegment?)] = []
            for rendition in cut {
                var initSegment: StreamManifest.InitSegment?
                if let map = rendition.playlist.entries.first?.map {
                    let (segment, root) = try storeInitSegment(path: rendition.directory + "/" + map)
                    initSegment = segment
                    if let root { pinned.append(root) }
                }
                var segments: [StreamManifest.Segment] = []
                for (i, entry) in rendition.playlist.entries.enumerated() {
                    let path = rendition.directory + "/" + entry.uri
                    let (segment, root) = try addSegment(path: path, sequence: UInt64(i), duration: entry.duration,
                                                         nonce: nonce, format: format)
                    segments.append(segment)
                    if let root { pinned.append(root) }
                    try? FileManager.default.removeItem(atPath: path)   // its space is needed for the next ones
                }
                stored.append((segments, initSegment))
            }
            var signed = StreamManifest(kind: .vod, stream: id, title: title, pricePerSecond: price, sequence: 1,
                                        ended: true, segments: stored[0].segments)
            signed.initSegment = stored[0].initSegment
            signed.media = cut[0].media
            var others: [StreamManifest.Rendition] = []
            for (rendition, store) in zip(cut, stored).dropFirst() {
                guard let media = rendition.media else { continue }
                others.append(StreamManifest.Rendition(media: media, initSegment: store.initSegment, segments: store.segments))
            }
            if !others.isEmpty { signed.renditions = others }
            if format == .fmp4, let (poster, root) = await storePoster(video: video, duration: cut[0].media?.duration ?? 0, work: work) {
                signed.poster = poster
                if let root { pinned.append(root) }
            }
            if signed.initSegment != nil || signed.media != nil || signed.poster != nil { signed.describeMedia() }
            if let nonce { signed.encrypt(nonce: nonce) }
            setTipPinning(&signed)
            cid = try await publish(&signed, liveSegment: nil)
            manifest = signed
        } catch {
            unpinAfterFailure(pinned, stream: id, error: error)
            throw error
        }
        own[id] = OwnStream(manifest: manifest, cid: cid, live: nil)
        savePublished()
        let names = manifest.allRenditions.map(\.media.name)
        logger.info("published", metadata: ["stream": "\(id)", "manifest": "\(cid)", "segments": "\(manifest.segments.count)",
                                            "renditions": "\(names.joined(separator: ","))"])
        return Published(stream: id.description, manifest: cid.description, segments: manifest.segments.count,
                         duration: manifest.totalDuration, renditions: names.isEmpty ? nil : names)
    }
}
