import CLMDB
import Foundation

/// An LMDB call that failed, with LMDB's own message and what we were doing.
public struct LMDBError: Error, CustomStringConvertible, Equatable {
    public let code: Int32
    public let operation: String

    public var description: String {
        let message = String(cString: mdb_strerror(code))
        if code == MDB_MAP_FULL {
            return "\(operation): the database map is full (\(message)); raise mapSize in the store config"
        }
        return "\(operation): \(message) (LMDB error \(code))"
    }

    public var isNotFound: Bool { code == MDB_NOTFOUND }

    /// A write the filesystem could not take: out of space or quota, or the
    /// short write (EIO) LMDB reports when a page write stopped part way.
    public var mayBeDiskFull: Bool { code == ENOSPC || code == EDQUOT || code == EIO }

    static func check(_ code: Int32, _ operation: @autoclosure () -> String) throws(LMDBError) {
        if code != MDB_SUCCESS { throw LMDBError(code: code, operation: operation()) }
    }
}
