import LMDB
/// Errors of the content store, each saying what to do about it.
public enum ContentStoreError: Error, CustomStringConvertible {
    case storage(LMDBError)
    case io(path: String, problem: String)
    case chunkTooLarge(size: Int)
    case chunkMismatch(expected: CID, actual: CID)
    case notFound(CID)
    case missingChunk(manifest: CID, chunk: CID)
    case badManifest(String)
    case notAManifest(CID)
    case quotaExceeded(needed: UInt64, quota: UInt64)
    case notPinned(CID)
    /// Not enough free space for the write; nothing was changed.
    case diskFull(DiskFull)

    public var description: String {
        switch self {
        case .storage(let error): return "store: \(error)"
        case .io(let path, let problem): return "\(path): \(problem)"
        case .chunkTooLarge(let size): return "chunk of \(size) bytes exceeds the \(StoreConfig.maxChunkSize)-byte limit"
        case .chunkMismatch(let expected, let actual):
            return "chunk bytes hash to \(actual), not the expected \(expected): corrupt or wrong data"
        case .notFound(let cid): return "\(cid) is not in the store"
        case .missingChunk(let manifest, let chunk): return "\(manifest) is incomplete: chunk \(chunk) is not in the store"
        case .badManifest(let why): return "bad manifest: \(why)"
        case .notAManifest(let cid): return "\(cid) is a single chunk, not a file manifest (use `nodectl block`)"
        case .quotaExceeded(let needed, let quota):
            return "store quota exceeded: \(needed) bytes of pinned or in-use content do not fit in the \(quota)-byte quota; unpin something or raise the quota"
        case .notPinned(let cid): return "\(cid) is not pinned"
        case .diskFull(let full): return full.description
        }
    }
}

extension ContentStoreError {
    /// Runs `body`, turning whatever it throws into a `ContentStoreError`
    /// (LMDB's and the C-level closures' errors are untyped).
    static func wrapping<T>(_ path: String, _ body: () throws -> T) throws(ContentStoreError) -> T {
        do {
            return try body()
        } catch {
            throw ContentStoreError(error, path: path)
        }
    }

    init(_ error: any Error, path: String) {
        switch error {
        case let error as ContentStoreError: self = error
        case let error as LMDBError: self = .storage(error)
        case let error as DiskFull: self = .diskFull(error)
        default: self = .io(path: path, problem: "\(error)")
        }
    }
}
