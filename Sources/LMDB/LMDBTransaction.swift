import Foundation
import CLMDB

/// A transaction, valid only inside the `read`/`write` closure that made it.
/// Values are handed out as pointers into LMDB's memory map: no copy is made
/// until the caller makes one.
public struct LMDBTransaction {
    let txn: OpaquePointer
    public let writable: Bool

    /// Calls `body` with the value's bytes, straight from the map; nil when absent.
    public func withValue<K: ContiguousBytes, T>(_ db: LMDBDatabase, key: K,
                                                 _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T? {
        try key.withUnsafeBytes { keyBytes in
            var k = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
            var v = MDB_val()
            let rc = mdb_get(txn, db.dbi, &k, &v)
            if rc == MDB_NOTFOUND { return nil }
            try LMDBError.check(rc, "reading from \(db.name)")
            return try body(UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
        }
    }

    public func get<K: ContiguousBytes>(_ db: LMDBDatabase, key: K) throws -> [UInt8]? {
        try withValue(db, key: key) { Array($0) }
    }

    public func contains<K: ContiguousBytes>(_ db: LMDBDatabase, key: K) throws -> Bool {
        try withValue(db, key: key) { _ in true } ?? false
    }

    public func put<K: ContiguousBytes, V: ContiguousBytes>(_ db: LMDBDatabase, key: K, value: V) throws {
        try value.withUnsafeBytes { valueBytes in
            try reserve(db, key: key, count: valueBytes.count) { target in
                if valueBytes.count > 0 { target.copyMemory(from: valueBytes) }
            }
        }
    }

    /// Makes room for a value of `count` bytes and lets `fill` write it in
    /// place (MDB_RESERVE): one copy, straight into the database page.
    public func reserve<K: ContiguousBytes>(_ db: LMDBDatabase, key: K, count: Int,
                                            _ fill: (UnsafeMutableRawBufferPointer) throws -> Void) throws {
        try key.withUnsafeBytes { keyBytes in
            var k = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
            var v = MDB_val(mv_size: count, mv_data: nil)
            try LMDBError.check(mdb_put(txn, db.dbi, &k, &v, UInt32(MDB_RESERVE)), "writing to \(db.name)")
            try fill(UnsafeMutableRawBufferPointer(start: v.mv_data, count: count))
        }
    }

    /// Deletes a key; returns whether it was there.
    @discardableResult
    public func delete<K: ContiguousBytes>(_ db: LMDBDatabase, key: K) throws -> Bool {
        try key.withUnsafeBytes { keyBytes in
            var k = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
            let rc = mdb_del(txn, db.dbi, &k, nil)
            if rc == MDB_NOTFOUND { return false }
            try LMDBError.check(rc, "deleting from \(db.name)")
            return true
        }
    }

    /// Visits entries in key order from the first key ≥ `from` (or the
    /// start) until `body` returns false.
    public func forEach(_ db: LMDBDatabase, from: [UInt8]? = nil,
                        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool) throws {
        var cursor: OpaquePointer?
        try LMDBError.check(mdb_cursor_open(txn, db.dbi, &cursor), "opening a cursor on \(db.name)")
        defer { mdb_cursor_close(cursor) }
        var k = MDB_val()
        var v = MDB_val()
        var start = from ?? []
        var rc: Int32 = start.withUnsafeMutableBytes { buffer in
            if from != nil {
                k = MDB_val(mv_size: buffer.count, mv_data: buffer.baseAddress)
                return mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE)
            }
            return mdb_cursor_get(cursor, &k, &v, MDB_FIRST)
        }
        while rc == MDB_SUCCESS {
            let keep = try body(UnsafeRawBufferPointer(start: k.mv_data, count: k.mv_size),
                                UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
            if !keep { return }
            rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)
        }
        if rc != MDB_NOTFOUND { try LMDBError.check(rc, "iterating \(db.name)") }
    }

    /// Number of entries in a database.
    public func count(_ db: LMDBDatabase) throws -> Int {
        var stat = MDB_stat()
        try LMDBError.check(mdb_stat(txn, db.dbi, &stat), "counting \(db.name)")
        return stat.ms_entries
    }
}
