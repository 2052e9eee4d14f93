#if canImport(Glibc)
import Glibc
#endif

/// Where an add reads its bytes from, by offset, so chunks can be read in
/// parallel.
///
/// `@unchecked Sendable`: a file is read with `pread` (no shared file
/// position) and memory is only ever read; the memory must outlive the add,
/// which `ChunkStore.addBytes` guarantees by holding it for the whole call.
struct IngestSource: @unchecked Sendable {
    enum Kind {
        case file(fd: Int32, path: String)
        case memory(UnsafeRawBufferPointer)
    }
    let kind: Kind

    /// Fills `buffer` with the bytes at `offset`; returns how many were there.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws -> Int {
        switch kind {
        case .memory(let source):
            let n = Swift.max(0, Swift.min(buffer.count, source.count - Int(offset)))
            if n > 0 { buffer.baseAddress!.copyMemory(from: source.baseAddress! + Int(offset), byteCount: n) }
            return n
        case .file(let fd, let path):
            var filled = 0
            while filled < buffer.count {
                let n = pread(fd, buffer.baseAddress! + filled, buffer.count - filled, off_t(offset) + off_t(filled))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw ContentStoreError.io(path: path, problem: "read failed (\(String(cString: strerror(errno))))")
                }
                if n == 0 { break }
                filled += n
            }
            return filled
        }
    }
}
