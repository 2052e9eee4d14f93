/// The scrub: re-hash every stored chunk and check every pinned root is whole.
extension ChunkStore {
    public struct ScrubReport: Sendable, Equatable {
        public var chunksChecked = 0
        public var bytesChecked: UInt64 = 0
        /// Chunks whose bytes no longer hash to their CID.
        public var corrupt: [CID] = []
        /// Chunks with no metadata row, or metadata with no bytes.
        public var inconsistent: [CID] = []
        /// Pinned roots that name a chunk the store lacks.
        public var incompleteRoots: [CID] = []

        public var isClean: Bool { corrupt.isEmpty && inconsistent.isEmpty && incompleteRoots.isEmpty }
    }

    /// Re-hashes everything in one read snapshot (the daemon keeps serving).
    public func scrub(progress: Progress? = nil) throws(ContentStoreError) -> ScrubReport {
        try read { txn in
            var report = ScrubReport()
            let total = try txn.get(state, key: Self.bytesKey)?.uint64 ?? 0
            try txn.forEach(chunks) { key, value in
                let keyBytes = Array(key)
                guard let cid = try? CID(bytes: keyBytes) else { return true }
                report.chunksChecked += 1
                report.bytesChecked += UInt64(value.count)
                if !cid.matches(value) { report.corrupt.append(cid) }
                if try !txn.contains(meta, key: keyBytes) { report.inconsistent.append(cid) }
                progress?(report.bytesChecked, Swift.max(total, report.bytesChecked))
                return true
            }
            try txn.forEach(meta) { key, _ in
                let keyBytes = Array(key)
                if try !txn.contains(chunks, key: keyBytes), let cid = try? CID(bytes: keyBytes) {
                    report.inconsistent.append(cid)
                }
                return true
            }
            try txn.forEach(pins) { key, _ in
                guard let root = try? CID(bytes: Array(key)) else { return true }
                let held = (try? chunkKeys(txn, of: root)) ?? [root.bytes]
                if try held.contains(where: { try !txn.contains(chunks, key: $0) }) {
                    report.incompleteRoots.append(root)
                }
                return true
            }
            return report
        }
    }

    /// Drops chunks the scrub found corrupt, so they can be fetched again.
    /// Pinned roots holding them stay pinned (and incomplete until re-fetched).
    public func removeCorrupt(_ cids: [CID]) throws(ContentStoreError) {
        try write { txn in
            for cid in cids {
                let key = cid.bytes
                let record = try txn.withValue(meta, key: key) { ChunkRecord($0) } ?? nil
                if let record {
                    _ = try removeChunk(txn, key: key, access: record.lastAccess)
                } else {
                    try txn.delete(chunks, key: key)
                }
            }
        }
    }
}
