import ContentStore
import CurlHTTP

/// Reads a stored file's bytes in order, chunk by chunk from the store, so
/// a large file can be hashed and uploaded without holding it in memory.
/// Each chunk is checked against its CID as it is read.
public final class StoredFileReader: @unchecked Sendable {
    // Used by one pass (a hash or one upload) on one thread at a time; the
    // mutable position is never shared between concurrent readers.
    private let store: ChunkStore
    public let manifest: FileManifest
    private var chunkIndex = 0
    private var pending: [UInt8] = []
    private var pendingOffset = 0

    public init(store: ChunkStore, cid: CID) throws {
        self.store = store
        manifest = try store.manifest(cid)
    }

    /// Up to `count` bytes; fewer only at the end of the file.
    public func read(upTo count: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            if pendingOffset == pending.count {
                guard try loadNextChunk() else { break }
            }
            let n = min(count - out.count, pending.count - pendingOffset)
            out.append(contentsOf: pending[pendingOffset..<pendingOffset + n])
            pendingOffset += n
        }
        return out
    }

    /// Fills `buffer` as far as the current chunk allows; 0 at the end.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if pendingOffset == pending.count {
            guard try loadNextChunk() else { return 0 }
        }
        let n = min(buffer.count, pending.count - pendingOffset)
        pending.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + pendingOffset, byteCount: n) }
        pendingOffset += n
        return n
    }

    private func loadNextChunk() throws -> Bool {
        while chunkIndex < manifest.chunks.count {
            let cid = manifest.chunks[chunkIndex]
            chunkIndex += 1
            guard let bytes = try store.chunk(cid) else {
                throw RemotePinError.fileUnreadable(manifest.name, "chunk \(cid) is missing from the store")
            }
            guard cid.matches(bytes) else {
                throw RemotePinError.fileUnreadable(manifest.name, "chunk \(cid) in the store is corrupt; run nodectl verify --repair")
            }
            pending = bytes
            pendingOffset = 0
            if !bytes.isEmpty { return true }
        }
        return false
    }

    /// A body stream over the file (for one upload).
    public var bodyStream: HTTPBodyStream {
        HTTPBodyStream(length: Int(manifest.size)) { [self] buffer in try self.read(into: buffer) }
    }
}
