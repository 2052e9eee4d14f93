import LMDB
/// Pins, garbage collection and quota eviction. A pinned root (a manifest
/// or a single chunk) holds every chunk it names; only unpinned chunks are
/// ever evicted or collected, so pinned files are always complete.
extension ChunkStore {
    /// Pins a manifest (and so all its chunks) or a single chunk. Pinning
    /// twice is a no-op, as in kubo.
    public func pin(_ cid: CID) throws(ContentStoreError) {
        try write { txn in try pin(txn, cid) }
    }

    /// Returns false when `cid` was pinned already.
    @discardableResult
    func pin(_ txn: LMDBTransaction, _ cid: CID) throws -> Bool {
        let key = cid.bytes
        if try txn.contains(pins, key: key) { return false }
        let held = try chunkKeys(txn, of: cid)
        for chunk in held {
            guard var record = try txn.withValue(meta, key: chunk, { ChunkRecord($0) }) ?? nil else {
                throw ContentStoreError.missingChunk(manifest: cid, chunk: (try? CID(bytes: chunk)) ?? cid)
            }
            if record.pins == 0 { try txn.delete(lru, key: ChunkRecord.lruKey(access: record.lastAccess, cid: chunk)) }
            record.pins += 1
            try txn.put(meta, key: chunk, value: record.encoded)
        }
        try txn.put(pins, key: key, value: [UInt8]())
        return true
    }

    public func unpin(_ cid: CID) throws(ContentStoreError) {
        try write { txn in
            let key = cid.bytes
            guard try txn.delete(pins, key: key) else { throw ContentStoreError.notPinned(cid) }
            for chunk in try chunkKeys(txn, of: cid) {
                guard var record = try txn.withValue(meta, key: chunk, { ChunkRecord($0) }) ?? nil else { continue }
                record.pins = record.pins > 0 ? record.pins - 1 : 0
                if record.pins == 0 {
                    try txn.put(lru, key: ChunkRecord.lruKey(access: record.lastAccess, cid: chunk), value: [UInt8]())
                }
                try txn.put(meta, key: chunk, value: record.encoded)
            }
        }
    }

    public func isPinned(_ cid: CID) -> Bool {
        (try? read { txn in try txn.contains(pins, key: cid.bytes) }) ?? false
    }

    public func pinnedRoots() throws(ContentStoreError) -> [CID] {
        try read { txn in
            var out: [CID] = []
            try txn.forEach(pins) { key, _ in
                if let cid = try? CID(bytes: Array(key)) { out.append(cid) }
                return true
            }
            return out
        }
    }

    /// The chunk keys a root holds: a manifest's chunks (with repeats), or the chunk itself.
    func chunkKeys(_ txn: LMDBTransaction, of cid: CID) throws -> [[UInt8]] {
        switch cid.codec {
        case .raw:
            guard try txn.contains(meta, key: cid.bytes) else { throw ContentStoreError.notFound(cid) }
            return [cid.bytes]
        case .dagJSON:
            guard let bytes = try txn.get(manifests, key: cid.bytes) else { throw ContentStoreError.notFound(cid) }
            return try FileManifest.decode(bytes).chunks.map(\.bytes)
        case .dagPB:
            throw ContentStoreError.notFound(cid)
        }
    }

    /// What a collection or eviction removed.
    public struct Removal: Sendable, Equatable {
        public var chunks = 0
        public var bytes: UInt64 = 0
        public var manifests = 0
    }

    /// Removes every unpinned chunk and unpinned manifest, like `ipfs repo gc`.
    @discardableResult
    public func collectGarbage() throws(ContentStoreError) -> Removal {
        try write { txn in
            var removal = Removal()
            var doomed: [[UInt8]] = []
            try txn.forEach(manifests) { key, _ in
                doomed.append(Array(key))
                return true
            }
            for key in doomed where try !txn.contains(pins, key: key) {
                try txn.delete(manifests, key: key)
                removal.manifests += 1
            }
            let isProtected = volatile.withLock { v in v.protected }
            var unpinned: [([UInt8], UInt64)] = []
            try txn.forEach(lru) { key, _ in
                let cid = Array(key.dropFirst(8))
                if isProtected[cid] == nil {
                    unpinned.append((cid, UInt64(bigEndian: key.loadUnaligned(as: UInt64.self))))
                }
                return true
            }
            for (cid, access) in unpinned {
                removal.bytes += try removeChunk(txn, key: cid, access: access)
                removal.chunks += 1
            }
            return removal
        }
    }

    /// Evicts unpinned chunks, least recently used first, until the store
    /// fits its quota; throws `quotaExceeded` when even that is not enough.
    @discardableResult
    func evictIfOverQuota(_ txn: LMDBTransaction) throws -> Removal {
        var removal = Removal()
        guard let quota = config.quotaBytes else { return removal }
        var total = try txn.get(state, key: Self.bytesKey)?.uint64 ?? 0
        guard total > quota else { return removal }
        let isProtected = volatile.withLock { v in v.protected }
        var victims: [([UInt8], UInt64, UInt64)] = []
        var freed: UInt64 = 0
        try txn.forEach(lru) { key, _ in
            let cid = Array(key.dropFirst(8))
            guard isProtected[cid] == nil else { return true }
            let access = UInt64(bigEndian: key.loadUnaligned(as: UInt64.self))
            let size = try txn.withValue(meta, key: cid) { ChunkRecord($0)?.size } ?? nil
            victims.append((cid, access, UInt64(size ?? 0)))
            freed += UInt64(size ?? 0)
            return total - freed > quota
        }
        guard total - Swift.min(freed, total) <= quota else {
            throw ContentStoreError.quotaExceeded(needed: total - freed, quota: quota)
        }
        for (cid, access, _) in victims {
            let size = try removeChunk(txn, key: cid, access: access)
            total -= Swift.min(size, total)
            removal.chunks += 1
            removal.bytes += size
        }
        return removal
    }

    /// Deletes a chunk with its metadata and LRU entry; returns its size.
    func removeChunk(_ txn: LMDBTransaction, key: [UInt8], access: UInt64) throws -> UInt64 {
        let size = try txn.withValue(meta, key: key) { ChunkRecord($0)?.size } ?? nil
        try txn.delete(chunks, key: key)
        try txn.delete(meta, key: key)
        try txn.delete(lru, key: ChunkRecord.lruKey(access: access, cid: key))
        try addToTotal(txn, -Int64(size ?? 0))
        volatile.withLock { _ = $0.verified.remove(key) }
        return UInt64(size ?? 0)
    }
}
