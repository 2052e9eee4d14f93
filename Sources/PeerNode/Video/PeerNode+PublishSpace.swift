import ContentStore
import Foundation
import Gossip
import LMDB

/// What a publish needs of the disk, and undoing the pins of one that failed.
extension PeerNode {
    /// Free bytes a publish of `videoBytes` needs: the segments ffmpeg
    /// writes into the data directory's tmp folder (a stream copy is about
    /// the input's size; MPEG-TS adds a few percent), the same bytes again
    /// in the store, and the store's reserve. Segment files are deleted as
    /// soon as they are stored, so this is the peak, counted generously.
    func publishSpace(videoBytes: UInt64) -> (segments: UInt64, total: UInt64) {
        let segments = videoBytes + videoBytes / 8 + (1 << 20)
        return (segments, segments + segments + store.config.minFreeBytes)
    }

    /// Throws `diskFull` before any work when the publish cannot fit; the
    /// store's reusable pages count for the store's half.
    func requirePublishSpace(video: String) throws -> UInt64 {
        let attributes = try? FileManager.default.attributesOfItem(atPath: video)
        let size = (attributes?[.size] as? NSNumber)?.uint64Value ?? 0
        let need = publishSpace(videoBytes: size)
        do {
            try DiskSpace.require(need.total, at: dataDirectory, plus: Swift.min(store.reusableBytes, need.segments))
        } catch {
            throw PeerNodeError.diskFull(error)
        }
        return need.total
    }

    /// Stores one segment file pinned; also returns its root when this call
    /// pinned it (a segment some other stream already pinned is not ours to unpin).
    func addSegment(path: String, sequence: UInt64, duration: Double, nonce: [UInt8]?,
                    format: SegmentFormat) throws -> (StreamManifest.Segment, pinned: CID?) {
        let sealed = try sealSegment(path: path, sequence: sequence, nonce: nonce)
        defer { if sealed.path != path { try? FileManager.default.removeItem(atPath: sealed.path) } }
        let added = try store.addFile(path: sealed.path, name: Self.segmentFileName(sequence, format),
                                      mediaType: Self.segmentMediaType(format), pin: true)
        let segment = StreamManifest.Segment(sequence: sequence, duration: duration, size: added.manifest.size,
                                             chunks: added.manifest.chunks, iv: sealed.iv)
        return (segment, added.newlyPinned ? added.cid : nil)
    }

    /// Unpins what a failed publish pinned, so nothing of a stream that does
    /// not exist stays pinned (its chunks become evictable, and `gc` removes them).
    func unpinAfterFailure(_ roots: [CID], stream: StreamID, error: any Error) {
        for root in roots {
            do { try store.unpin(root) } catch {
                logger.warning("cannot unpin a segment of a failed publish; `nodectl unpin` it",
                               metadata: ["stream": "\(stream)", "segment": "\(root)", "error": "\(error)"])
            }
        }
        logger.warning("publish failed", metadata: ["stream": "\(stream)", "unpinned": "\(roots.count)",
                                                    "error": "\(error)"])
    }
}
