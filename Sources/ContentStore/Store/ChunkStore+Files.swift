#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Adding files (split, hash, store, manifest) and reading them back.
extension ChunkStore {
    public struct AddResult: Sendable, Equatable {
        public let cid: CID
        public let manifest: FileManifest
        /// This add pinned the file; false when it was pinned before (or not
        /// pinned). A caller undoing a failed batch unpins only these.
        public var newlyPinned = false
    }

    /// Called with (bytes done, bytes in all) while a file is added or read.
    public typealias Progress = (UInt64, UInt64) -> Void

    /// Adds a file: chunks are written in batches of `ingestBatchBytes`, and
    /// the manifest (and pin) only in a last transaction once every chunk is
    /// committed. A crash at any point leaves no manifest whose chunks are
    /// missing; chunks of an interrupted add are unpinned and evictable.
    public func addFile(path: String, name: String? = nil, mediaType: String = "application/octet-stream",
                        pin: Bool = true, progress: Progress? = nil) throws(ContentStoreError) -> AddResult {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw .io(path: path, problem: "cannot open (\(String(cString: strerror(errno))))") }
        defer { Glibc.close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw .io(path: path, problem: "is not a regular file")
        }
        let total = UInt64(info.st_size)
        let displayName = name ?? (path as NSString).lastPathComponent
        let result = try add(name: displayName, mediaType: mediaType, total: total, pin: pin, progress: progress,
                             source: IngestSource(kind: .file(fd: fd, path: path)))
        var after = stat()
        guard fstat(fd, &after) == 0, after.st_size == info.st_size, after.st_mtim.tv_sec == info.st_mtim.tv_sec,
              after.st_mtim.tv_nsec == info.st_mtim.tv_nsec else {
            throw .io(path: path, problem: "changed while it was being added; add it again once it is complete")
        }
        return result
    }

    /// Adds bytes held in memory as a file.
    public func addBytes<Bytes: ContiguousBytes>(_ data: Bytes, name: String, mediaType: String = "application/octet-stream",
                                                 pin: Bool = true) throws(ContentStoreError) -> AddResult {
        try ContentStoreError.wrapping(name) { try data.withUnsafeBytes { source in
            try add(name: name, mediaType: mediaType, total: UInt64(source.count), pin: pin, progress: nil,
                    source: IngestSource(kind: .memory(source)))
        } }
    }

    /// The ingest loop. Chunks are read from `source` and hashed a group at a time on both
    /// cores; a writer thread, the only one touching the write transactions,
    /// stores them in batches meanwhile.
    func add(name: String, mediaType: String, total: UInt64, pin: Bool, progress: Progress?,
             source: IngestSource) throws(ContentStoreError) -> AddResult {
        let chunkSize = config.chunkSize
        try requireSpace(total)
        // A batch's worth of buffers lets hashing run on while the writer
        // commits the previous batch.
        let handoff = ChunkHandoff(buffers: Swift.max(Self.hashGroup, config.ingestBatchBytes / chunkSize),
                                   bufferSize: chunkSize)
        let writerDone = DispatchSemaphore(value: 0)
        let writer = Thread { [self] in
            defer { writerDone.signal() }
            do {
                try writeBatches(from: handoff)
            } catch {
                handoff.fail(error)
                while let item = handoff.pop() { handoff.giveBack(item.buffer) }
            }
        }
        writer.name = "ingest-writer"
        writer.start()

        let chunkCount = Int((total + UInt64(chunkSize) - 1) / UInt64(chunkSize))
        var cids: [CID] = []
        cids.reserveCapacity(chunkCount)
        var protectedKeys: [[UInt8]] = []
        defer { unprotect(protectedKeys) }
        var readError: (any Error)?
        do {
            var next = 0
            while next < chunkCount {
                let group = Swift.min(Self.hashGroup, chunkCount - next)
                var buffers: [UnsafeMutableRawBufferPointer] = []
                for _ in 0..<group { buffers.append(try handoff.takeFree()) }
                let first = next
                let hashed = try readAndHash(buffers: buffers, firstChunk: first, total: total, name: name,
                                             handoff: handoff, source: source)
                for (i, item) in hashed.enumerated() {
                    protect([item.key])
                    protectedKeys.append(item.key)
                    handoff.push(item)
                    cids.append(item.cid)
                    progress?(Swift.min(total, UInt64(first + i + 1) * UInt64(chunkSize)), total)
                }
                next += group
            }
        } catch {
            readError = error
        }
        handoff.finishProducing()
        writerDone.wait()
        if let readError { throw ContentStoreError(readError, path: name) }
        if let failure = handoff.failure { throw ContentStoreError(failure, path: directory) }
        let manifest = FileManifest(name: name, mediaType: mediaType, size: total, chunkSize: chunkSize, chunks: cids)
        let (cid, newlyPinned) = try storeManifest(manifest, pin: pin)
        return AddResult(cid: cid, manifest: manifest, newlyPinned: newlyPinned)
    }

    /// Chunks read and hashed together, spread over the cores.
    static let hashGroup = 8

    /// Fills and hashes `buffers` (chunks `firstChunk...`) in parallel.
    private func readAndHash(buffers: [UnsafeMutableRawBufferPointer], firstChunk: Int, total: UInt64, name: String,
                             handoff: ChunkHandoff,
                             source: IngestSource) throws -> [ChunkHandoff.Item] {
        let chunkSize = UInt64(config.chunkSize)
        let slots = ParallelSlots<Result<ChunkHandoff.Item, any Error>>(count: buffers.count)
        // Each buffer is used by exactly one iteration.
        let work = UncheckedSendable(value: buffers)
        DispatchQueue.concurrentPerform(iterations: buffers.count) { i in
            let buffers = work.value
            let offset = UInt64(firstChunk + i) * chunkSize
            let want = Int(Swift.min(chunkSize, total - offset))
            let buffer = UnsafeMutableRawBufferPointer(rebasing: buffers[i][0..<want])
            slots[i] = Result {
                let n = try source.read(into: buffer, at: offset)
                guard n == want else {
                    throw ContentStoreError.io(path: name, problem: "ended early: changed while it was being added")
                }
                return ChunkHandoff.Item(buffer: buffers[i], count: n, cid: CID.hashing(buffer: UnsafeRawBufferPointer(buffer)))
            }
        }
        let results = slots.take()
        var items: [ChunkHandoff.Item] = []
        var errors: [any Error] = []
        for result in results {
            switch result {
            case .success(let item): items.append(item)
            case .failure(let error): errors.append(error)
            case nil: errors.append(ContentStoreError.io(path: name, problem: "a chunk was not read"))
            }
        }
        if let error = errors.first {
            for b in buffers { handoff.giveBack(b) }
            throw error
        }
        return items
    }

    /// The writer thread: one transaction per `ingestBatchBytes` of chunks.
    func writeBatches(from handoff: ChunkHandoff) throws {
        while !handoff.isDrained {
            try write { txn in
                var batch = 0
                var added: Int64 = 0
                while batch < config.ingestBatchBytes, let item = handoff.pop() {
                    defer { handoff.giveBack(item.buffer) }
                    if try storeChunk(txn, key: item.key, bytes: item.bytes, time: now()) { added += Int64(item.count) }
                    batch += item.count
                }
                try addToTotal(txn, added)
                try evictIfOverQuota(txn)
                // The disk may have filled since the add began (another
                // writer): refuse the batch before its commit writes a page.
                if added > 0 { try requireSpace(UInt64(added)) }
            }
        }
    }

    /// Stores a manifest whose chunks are all present; pins it if asked.
    @discardableResult
    public func putManifest(_ manifest: FileManifest, pin shouldPin: Bool) throws(ContentStoreError) -> CID {
        try storeManifest(manifest, pin: shouldPin).cid
    }

    /// `putManifest`, also saying whether this call pinned it.
    func storeManifest(_ manifest: FileManifest, pin shouldPin: Bool) throws(ContentStoreError) -> (cid: CID, newlyPinned: Bool) {
        let bytes = manifest.encoded()
        let cid = CID.hashing(bytes, codec: .dagJSON)
        let newlyPinned = try write { txn in
            for chunk in manifest.chunks where try !txn.contains(meta, key: chunk.bytes) {
                throw ContentStoreError.missingChunk(manifest: cid, chunk: chunk)
            }
            try txn.put(manifests, key: cid.bytes, value: bytes)
            if shouldPin { return try pin(txn, cid) }
            return false
        }
        try syncToDisk()
        return (cid, newlyPinned)
    }

    /// Stores manifest bytes that arrived from elsewhere, checked against their CID.
    /// Chunks may still be missing (a relay fetching them later).
    @discardableResult
    public func putManifestBytes(_ bytes: [UInt8], expected: CID) throws(ContentStoreError) -> FileManifest {
        let manifest = try FileManifest.decode(bytes)
        let actual = CID.hashing(bytes, codec: .dagJSON)
        guard actual == expected else { throw .chunkMismatch(expected: expected, actual: actual) }
        try write { txn in try txn.put(manifests, key: expected.bytes, value: bytes) }
        return manifest
    }

    public func manifest(_ cid: CID) throws(ContentStoreError) -> FileManifest {
        guard cid.codec == .dagJSON else {
            throw cid.codec == .raw && hasChunk(cid) ? .notAManifest(cid) : .notFound(cid)
        }
        let bytes = try read { txn in try txn.get(manifests, key: cid.bytes) }
        guard let bytes else { throw .notFound(cid) }
        return try FileManifest.decode(bytes)
    }

    /// The canonical bytes of a stored manifest (to serve it to peers).
    public func manifestBytes(_ cid: CID) throws(ContentStoreError) -> [UInt8]? {
        try read { txn in try txn.get(manifests, key: cid.bytes) }
    }

    /// Streams a file's bytes to `sink`, chunk by chunk, each straight from
    /// the memory map: the only copy is the one `sink` makes.
    public func readFile(_ cid: CID, progress: Progress? = nil,
                         to sink: (UnsafeRawBufferPointer) throws -> Void) throws(ContentStoreError) {
        let manifest = try manifest(cid)
        var done: UInt64 = 0
        try ContentStoreError.wrapping(directory) {
            try env.read { txn in
                for chunk in manifest.chunks {
                    let key = chunk.bytes
                    let found: Void? = try txn.withValue(chunks, key: key) { bytes in
                        try verifyIfRecovering(chunk, key: key, bytes: bytes)
                        try sink(bytes)
                        done += UInt64(bytes.count)
                    }
                    if found == nil { throw ContentStoreError.missingChunk(manifest: cid, chunk: chunk) }
                    progress?(done, manifest.size)
                }
            }
        }
        volatile.withLock { v in
            for chunk in manifest.chunks { v.pendingAccess[chunk.bytes] = v.clock.now() }
        }
    }

    /// A file's bytes in memory (small files and tests).
    public func readFile(_ cid: CID) throws(ContentStoreError) -> [UInt8] {
        var out: [UInt8] = []
        try readFile(cid) { out.append(contentsOf: $0) }
        return out
    }

    public struct Listing: Sendable, Equatable {
        public let cid: CID
        public let name: String
        public let size: UInt64
        public let chunks: Int
        public let pinned: Bool
    }

    /// The stored files (manifests), by CID.
    public func listFiles() throws(ContentStoreError) -> [Listing] {
        try read { txn in
            var out: [Listing] = []
            try txn.forEach(manifests) { key, value in
                let keyBytes = Array(key)
                guard let cid = try? CID(bytes: keyBytes),
                      let m = try? FileManifest.decode(Array(value)) else { return true }
                out.append(Listing(cid: cid, name: m.name, size: m.size, chunks: m.chunks.count,
                                   pinned: try txn.contains(pins, key: keyBytes)))
                return true
            }
            return out
        }
    }
}
