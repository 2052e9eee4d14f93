import CLMDB
import Foundation

/// One LMDB environment (a data dir's `data.mdb`), with named databases.
///
/// `@unchecked Sendable` is safe because LMDB's environment handle is
/// thread-safe by design: the env is opened with MDB_NOTLS so read
/// transactions are not bound to a thread (Swift tasks move between threads),
/// each transaction lives only inside one `read`/`write` closure on one
/// thread, and LMDB's own writer mutex serialises write transactions. Readers
/// never block the writer and see a consistent snapshot.
///
/// Full disks: LMDB maps its files, and a store to a mapped page of a sparse
/// file the filesystem cannot back is SIGBUS, not an error. So the data file
/// is never written through the map (no MDB_WRITEMAP: commits use pwrite,
/// and a full disk is ENOSPC or a short write, both a failed commit that
/// changed nothing), and the lock file, which LMDB does write through its
/// map (reader slots, the writer's transaction id), is preallocated before
/// LMDB opens it, so its pages are backed before the disk can fill.
public final class LMDBEnvironment: @unchecked Sendable {
    let env: OpaquePointer
    public let path: String
    private var databases: [String: MDB_dbi] = [:]
    private let databasesLock = NSLock()

    public struct Options: Sendable {
        /// Upper bound of the memory map; the file only grows as data is added.
        public var mapSize: Int = 256 << 30
        public var maxDatabases: Int = 16
        public var maxReaders: Int = 256
        /// Skip fsync on commit. Only for scratch stores (benchmarks, caches
        /// that can be re-fetched): a power loss may then lose recent commits.
        public var noSync: Bool = false
        public init() {}
    }

    /// Opens (creating if needed) the environment in `directory`.
    public init(directory: String, options: Options = Options()) throws(LMDBError) {
        var handle: OpaquePointer?
        try LMDBError.check(mdb_env_create(&handle), "creating the LMDB environment")
        guard let handle else { throw LMDBError(code: ENOMEM, operation: "creating the LMDB environment") }
        // Configure and open before `self` owns the handle, so a failure
        // closes it exactly once here and `deinit` never sees it.
        do {
            try Self.preallocateLockFile(directory: directory, maxReaders: options.maxReaders)
            try LMDBError.check(mdb_env_set_mapsize(handle, options.mapSize), "setting the map size")
            try LMDBError.check(mdb_env_set_maxdbs(handle, MDB_dbi(options.maxDatabases)), "setting max databases")
            try LMDBError.check(mdb_env_set_maxreaders(handle, UInt32(options.maxReaders)), "setting max readers")
            // NOMETASYNC: one fsync per commit instead of two. LMDB keeps its
            // integrity; a power cut may undo the last commit, so callers
            // that promise durability call `sync()` after it.
            var flags = UInt32(MDB_NOTLS) | UInt32(MDB_NOMETASYNC)
            if options.noSync { flags |= UInt32(MDB_NOSYNC) }
            try LMDBError.check(mdb_env_open(handle, directory, flags, 0o600), "opening LMDB in \(directory)")
        } catch {
            mdb_env_close(handle)
            throw error
        }
        env = handle
        path = directory
        // Readers left behind by a killed process would pin old pages forever.
        var dead: Int32 = 0
        mdb_reader_check(env, &dead)
    }

    deinit { mdb_env_close(env) }

    /// Bytes of `lock.mdb` LMDB uses for `maxReaders` slots: 64-byte (cache
    /// line) reader slots after a header of under 256 bytes, rounded up to pages.
    static func lockFileBytes(maxReaders: Int) -> Int {
        (maxReaders * 64 + 256 + 4095) / 4096 * 4096
    }

    /// Makes the lock file's blocks real (posix_fallocate) before LMDB maps
    /// it: LMDB only ftruncates it, and touching a page of that hole on a
    /// full filesystem is SIGBUS. Allocating blocks that already exist
    /// changes nothing, so this is safe while another process uses the file.
    static func preallocateLockFile(directory: String, maxReaders: Int) throws(LMDBError) {
        let path = directory + "/lock.mdb"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        // Not a directory, or not ours to write: mdb_env_open says so clearly.
        guard fd >= 0 else { return }
        defer { close(fd) }
        let rc = posix_fallocate(fd, 0, off_t(lockFileBytes(maxReaders: maxReaders)))
        if rc == ENOSPC || rc == EDQUOT {
            throw LMDBError(code: rc, operation: "reserving LMDB's lock file \(path)")
        }
    }

    /// Bytes of pages inside the data file that LMDB will reuse before it
    /// grows the file (its free list): what a write can use besides the
    /// filesystem's free space.
    public func reusableBytes() -> Int {
        var stat = MDB_stat()
        mdb_env_stat(env, &stat)
        var pages = 0
        _ = try? read { txn in
            var cursor: OpaquePointer?
            guard mdb_cursor_open(txn.txn, 0, &cursor) == MDB_SUCCESS else { return }
            defer { mdb_cursor_close(cursor) }
            var k = MDB_val(), v = MDB_val()
            var rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST)
            while rc == MDB_SUCCESS {
                // Each record is a list of page numbers, its length first.
                if v.mv_size >= MemoryLayout<Int>.size, let data = v.mv_data {
                    pages += data.loadUnaligned(as: Int.self)
                }
                rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)
            }
        }
        return pages * Int(stat.ms_psize)
    }

    /// The handle of a named database, created on first use.
    public func database(_ name: String) throws(LMDBError) -> LMDBDatabase {
        databasesLock.lock()
        defer { databasesLock.unlock() }
        if let dbi = databases[name] { return LMDBDatabase(dbi: dbi, name: name) }
        var txn: OpaquePointer?
        try LMDBError.check(mdb_txn_begin(env, nil, 0, &txn), "opening database \(name)")
        var dbi: MDB_dbi = 0
        let rc = mdb_dbi_open(txn, name, UInt32(MDB_CREATE), &dbi)
        if rc != MDB_SUCCESS {
            mdb_txn_abort(txn)
            throw LMDBError(code: rc, operation: "opening database \(name)")
        }
        try LMDBError.check(mdb_txn_commit(txn), "opening database \(name)")
        databases[name] = dbi
        return LMDBDatabase(dbi: dbi, name: name)
    }

    /// Runs `body` in a read-only snapshot. Pointers handed out inside are
    /// valid only until `body` returns.
    public func read<T>(_ body: (LMDBTransaction) throws -> T) throws -> T {
        var txn: OpaquePointer?
        try LMDBError.check(mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &txn), "starting a read transaction")
        guard let txn else { throw LMDBError(code: EINVAL, operation: "starting a read transaction") }
        defer { mdb_txn_abort(txn) }
        return try body(LMDBTransaction(txn: txn, writable: false))
    }

    /// Runs `body` in a write transaction, committed when it returns and
    /// aborted (nothing written) when it throws.
    public func write<T>(_ body: (LMDBTransaction) throws -> T) throws -> T {
        var txn: OpaquePointer?
        try LMDBError.check(mdb_txn_begin(env, nil, 0, &txn), "starting a write transaction")
        guard let txn else { throw LMDBError(code: EINVAL, operation: "starting a write transaction") }
        let result: T
        do {
            result = try body(LMDBTransaction(txn: txn, writable: true))
        } catch {
            mdb_txn_abort(txn)
            throw error
        }
        try LMDBError.check(mdb_txn_commit(txn), "committing a write transaction")
        return result
    }

    /// Flushes buffers to disk (only matters with `noSync`).
    public func sync() throws(LMDBError) {
        try LMDBError.check(mdb_env_sync(env, 1), "syncing \(path)")
    }

    /// Bytes the data file currently uses (last used page × page size).
    public func usedBytes() -> Int {
        var info = MDB_envinfo()
        var stat = MDB_stat()
        mdb_env_info(env, &info)
        mdb_env_stat(env, &stat)
        return (info.me_last_pgno + 1) * Int(stat.ms_psize)
    }
}

/// A named database inside an environment.
public struct LMDBDatabase: Sendable, Hashable {
    let dbi: MDB_dbi
    public let name: String
}
