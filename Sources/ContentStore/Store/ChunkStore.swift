import Foundation
import LMDB
import Synchronization

/// A node's content store: chunks named by CID in LMDB, file manifests, pins,
/// a quota with LRU eviction of unpinned chunks, and a scrub.
///
/// LMDB layout (all keys are binary CIDs unless said):
/// - `chunks`: the chunk bytes
/// - `meta`: a `ChunkRecord` per chunk (size, pin count, last access)
/// - `lru`: access-time ‖ CID for every *unpinned* chunk: the eviction order
/// - `manifests`: canonical manifest bytes
/// - `pins`: the pinned roots (manifests or single chunks)
/// - `state`: "bytes" (sum of chunk sizes), "clean" (closed cleanly)
///
/// `@unchecked Sendable`: the LMDB environment is thread-safe (see
/// `LMDBEnvironment`) and the only mutable Swift state sits behind `Mutex`.
public final class ChunkStore: @unchecked Sendable {
    public let directory: String
    public let config: StoreConfig
    let env: LMDBEnvironment
    let chunks, meta, lru, manifests, pins, state: LMDBDatabase

    /// True when the last process using the store did not close it: chunks
    /// are then re-hashed before they are served (once each).
    public let recoveredFromCrash: Bool

    struct Volatile {
        var clock = AccessClock()
        /// Reads since the last write transaction; flushed into `meta`/`lru`
        /// by the next one, so reads never need a write transaction.
        var pendingAccess: [[UInt8]: UInt64] = [:]
        /// Chunks of adds in progress: never evicted before their manifest lands.
        var protected: [[UInt8]: Int] = [:]
        var verified: Set<[UInt8]> = []
        var closed = false
    }
    let volatile = Mutex(Volatile())

    static let bytesKey = Array("bytes".utf8)
    static let cleanKey = Array("clean".utf8)

    public init(directory: String, config: StoreConfig = StoreConfig()) throws(ContentStoreError) {
        self.directory = directory
        self.config = config
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .io(path: directory, problem: "cannot create the store directory (\(error.localizedDescription))")
        }
        do {
            var options = LMDBEnvironment.Options()
            options.mapSize = config.mapSize
            options.noSync = config.noSync
            env = try LMDBEnvironment(directory: directory, options: options)
            chunks = try env.database("chunks")
            meta = try env.database("meta")
            lru = try env.database("lru")
            manifests = try env.database("manifests")
            pins = try env.database("pins")
            state = try env.database("state")
            // An existing store without the clean mark was not closed: a crash.
            let (state, meta, manifests) = (self.state, self.meta, self.manifests)
            recoveredFromCrash = try env.write { txn in
                let wasClean = try txn.get(state, key: Self.cleanKey) == [1]
                let isNew = try txn.count(meta) == 0 && txn.count(manifests) == 0
                try txn.put(state, key: Self.cleanKey, value: [UInt8(0)])
                return !wasClean && !isNew
            }
        } catch let error as LMDBError {
            throw Self.translate(error, directory: directory, config: config)
        } catch {
            throw .io(path: directory, problem: "\(error)")
        }
    }

    /// Flushes access times and marks the store as cleanly closed.
    public func close() {
        let alreadyClosed = volatile.withLock { v in
            defer { v.closed = true }
            return v.closed
        }
        if alreadyClosed { return }
        _ = try? write { txn in
            try txn.put(state, key: Self.cleanKey, value: [UInt8(1)])
        }
    }

    deinit { close() }

    // MARK: - Transactions

    /// A write transaction that also flushes pending access times.
    func write<T>(_ body: (LMDBTransaction) throws -> T) throws(ContentStoreError) -> T {
        let pending = volatile.withLock { v in
            defer { v.pendingAccess.removeAll(keepingCapacity: true) }
            return v.pendingAccess
        }
        do {
            return try env.write { txn in
                for (cid, time) in pending { try touch(txn, cid: cid, time: time) }
                return try body(txn)
            }
        } catch let error as LMDBError {
            throw Self.translate(error, directory: directory, config: config)
        } catch {
            throw ContentStoreError(error, path: directory)
        }
    }

    // MARK: - Free space

    /// Throws `diskFull` when the filesystem has less than `minFreeBytes`
    /// free: the daemon refuses to start then, before it writes anything.
    /// Opening the store itself needs no reserve (a full disk is then an
    /// error at the first write), so `ls`, `cat` and `gc` still work.
    public static func checkSpace(directory: String, config: StoreConfig = StoreConfig()) throws(ContentStoreError) {
        do { try DiskSpace.require(config.minFreeBytes, at: directory) } catch { throw .diskFull(error) }
    }

    /// Throws `diskFull` unless `bytes` of new chunks fit with `minFreeBytes`
    /// to spare, counting the pages LMDB will reuse inside its file.
    public func requireSpace(_ bytes: UInt64) throws(ContentStoreError) {
        let needed = Self.fileGrowth(for: bytes) + config.minFreeBytes
        // The free list is read only when the filesystem alone is short
        // (this runs for every chunk a viewer fetches).
        if (try? DiskSpace.require(needed, at: directory)) != nil { return }
        do { try DiskSpace.require(needed, at: directory, plus: reusableBytes) } catch { throw .diskFull(error) }
    }

    /// Bytes of free pages inside LMDB's file, reused before it grows.
    public var reusableBytes: UInt64 { UInt64(env.reusableBytes()) }

    /// What `bytes` of chunks may add to LMDB's file: page rounding, the
    /// metadata and LRU rows, and the copied-on-write tree pages.
    static func fileGrowth(for bytes: UInt64) -> UInt64 { bytes + bytes / 32 + (64 << 10) }

    /// A failed LMDB write on a full filesystem is `diskFull`; anything else
    /// stays a storage error.
    static func translate(_ error: LMDBError, directory: String, config: StoreConfig) -> ContentStoreError {
        guard error.mayBeDiskFull, let free = DiskSpace.available(at: directory) else { return .storage(error) }
        if error.code == EIO && free >= config.minFreeBytes { return .storage(error) }
        return .diskFull(DiskFull(path: directory, needed: config.minFreeBytes, free: free))
    }

    /// Makes every commit so far durable (commits skip the meta-page sync).
    func syncToDisk() throws(ContentStoreError) {
        guard !config.noSync else { return }
        do { try env.sync() } catch { throw .storage(error) }
    }

    func now() -> UInt64 { volatile.withLock { $0.clock.now() } }

    func read<T>(_ body: (LMDBTransaction) throws -> T) throws(ContentStoreError) -> T {
        try ContentStoreError.wrapping(directory) { try env.read(body) }
    }

    func noteAccess(_ cid: [UInt8]) {
        volatile.withLock { v in v.pendingAccess[cid] = v.clock.now() }
    }

    // MARK: - Chunks

    /// Stores one chunk. With `expected`, the bytes must hash to it (bytes
    /// from the network); returns the chunk's CID.
    @discardableResult
    public func putChunk<Bytes: ContiguousBytes>(_ bytes: Bytes, expected: CID? = nil) throws(ContentStoreError) -> CID {
        let cid: CID = try ContentStoreError.wrapping(directory) {
            try bytes.withUnsafeBytes { buffer in
                guard buffer.count <= StoreConfig.maxChunkSize else {
                    throw ContentStoreError.chunkTooLarge(size: buffer.count)
                }
                let actual = CID.hashing(buffer: buffer)
                if let expected, expected.digest != actual.digest {
                    throw ContentStoreError.chunkMismatch(expected: expected, actual: actual)
                }
                return actual
            }
        }
        let key = cid.bytes
        if !hasChunk(cid) { try requireSpace(UInt64(bytes.withUnsafeBytes { $0.count })) }
        protect([key])
        defer { unprotect([key]) }
        try write { txn in
            try bytes.withUnsafeBytes { buffer in
                if try storeChunk(txn, key: key, bytes: buffer, time: now()) { try addToTotal(txn, Int64(buffer.count)) }
            }
            try evictIfOverQuota(txn)
        }
        return cid
    }

    /// Writes a chunk inside a transaction; returns false if it was already
    /// there. The caller adds new chunks' sizes to the total (once per batch).
    @discardableResult
    func storeChunk(_ txn: LMDBTransaction, key: [UInt8], bytes: UnsafeRawBufferPointer, time: UInt64) throws -> Bool {
        if try txn.contains(meta, key: key) {
            try touch(txn, cid: key, time: time)
            return false
        }
        try txn.reserve(chunks, key: key, count: bytes.count) { target in
            if bytes.count > 0 { target.copyMemory(from: bytes) }
        }
        try txn.put(meta, key: key, value: ChunkRecord(size: UInt32(bytes.count), pins: 0, lastAccess: time).encoded)
        try txn.put(lru, key: ChunkRecord.lruKey(access: time, cid: key), value: [UInt8]())
        return true
    }

    /// Moves a chunk to the young end of the LRU order.
    func touch(_ txn: LMDBTransaction, cid: [UInt8], time: UInt64) throws {
        guard var record = try txn.withValue(meta, key: cid, { ChunkRecord($0) }) ?? nil else { return }
        guard time > record.lastAccess else { return }
        if record.pins == 0 {
            try txn.delete(lru, key: ChunkRecord.lruKey(access: record.lastAccess, cid: cid))
            try txn.put(lru, key: ChunkRecord.lruKey(access: time, cid: cid), value: [UInt8]())
        }
        record.lastAccess = time
        try txn.put(meta, key: cid, value: record.encoded)
    }

    public func hasChunk(_ cid: CID) -> Bool {
        (try? read { txn in try txn.contains(meta, key: cid.bytes) }) ?? false
    }

    /// Calls `body` with the chunk's bytes straight from the memory map (no
    /// copy); nil when the store does not have it.
    public func withChunk<T>(_ cid: CID, _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T? {
        let key = cid.bytes
        let result = try read { txn in
            try txn.withValue(chunks, key: key) { bytes in
                try verifyIfRecovering(cid, key: key, bytes: bytes)
                return try body(bytes)
            }
        }
        if result != nil { noteAccess(key) }
        return result
    }

    /// The chunk's bytes, copied once out of the map.
    public func chunk(_ cid: CID) throws(ContentStoreError) -> [UInt8]? {
        try ContentStoreError.wrapping(directory) { try withChunk(cid) { Array($0) } }
    }

    /// After a crash, a chunk is re-hashed the first time it is served.
    func verifyIfRecovering(_ cid: CID, key: [UInt8], bytes: UnsafeRawBufferPointer) throws(ContentStoreError) {
        guard recoveredFromCrash else { return }
        if volatile.withLock({ $0.verified.contains(key) }) { return }
        let actual = CID.hashing(buffer: bytes, codec: cid.codec)
        guard actual.digest == cid.digest else { throw .chunkMismatch(expected: cid, actual: actual) }
        volatile.withLock { _ = $0.verified.insert(key) }
    }

    func protect(_ keys: [[UInt8]]) {
        volatile.withLock { v in for k in keys { v.protected[k, default: 0] += 1 } }
    }

    func unprotect(_ keys: [[UInt8]]) {
        volatile.withLock { v in
            for k in keys {
                let n = (v.protected[k] ?? 1) - 1
                v.protected[k] = n > 0 ? n : nil
            }
        }
    }

    func addToTotal(_ txn: LMDBTransaction, _ delta: Int64) throws {
        let current = try txn.get(state, key: Self.bytesKey)?.uint64 ?? 0
        let next = delta >= 0 ? current &+ UInt64(delta) : current - Swift.min(current, UInt64(-delta))
        try txn.put(state, key: Self.bytesKey, value: [UInt8](uint64: next))
    }

    // MARK: - Stats

    public struct Stats: Sendable, Equatable {
        public var chunks: Int
        public var bytes: UInt64
        public var manifests: Int
        public var pinnedRoots: Int
        public var quota: UInt64?
    }

    public func stats() throws(ContentStoreError) -> Stats {
        try read { txn in
            Stats(chunks: try txn.count(meta),
                  bytes: try txn.get(state, key: Self.bytesKey)?.uint64 ?? 0,
                  manifests: try txn.count(manifests),
                  pinnedRoots: try txn.count(pins),
                  quota: config.quotaBytes)
        }
    }
}

