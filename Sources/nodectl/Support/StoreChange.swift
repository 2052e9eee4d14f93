import ContentStore
import Foundation
import PeerNode

/// Commands that change the store (add, pin, unpin, gc, verify --repair,
/// fetch-remote) take the daemon's lock (`daemon.lock`, the flock a daemon
/// holds for its life) for their run: a daemon's chunks are never removed
/// or rewritten under it, and a daemon does not start while one runs.
/// `gc` goes through the running daemon instead (POST /v1/gc).
extension DataDirectory {
    /// The store, opened under the daemon's lock; keep the lock until the store is closed.
    func openStoreToChange(_ command: String, config: StoreConfig = StoreConfig()) throws -> (ChunkStore, DataLock) {
        let lock = try lockToChange(command)
        return (try openStore(config: config), lock)
    }

    /// The daemon's lock, or a message saying who holds it and what to do.
    func lockToChange(_ command: String) throws -> DataLock {
        try create()
        do { return try DataLock(directory: path) } catch {
            guard case .dataDirectoryLocked(_, let pid) = error else { throw error }
            throw DaemonRunning(command: command, path: path, pid: pid)
        }
    }
}

/// The data directory's lock is held (by a daemon, or another command that changes the store).
struct DaemonRunning: Error, CustomStringConvertible {
    let command: String
    let path: String
    let pid: String

    var description: String {
        "`nodectl \(command)` changes the store, and process \(pid) (a running daemon, or another command that "
            + "changes the store) holds \(path)/daemon.lock; stop the daemon first (`gc` goes through a running "
            + "daemon by itself), or wait for that command to finish"
    }
}
