import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock` on `daemon.lock` in the data directory, held for
/// the daemon's life, so two daemons never share one store. The kernel
/// drops the lock when the process dies, even by SIGKILL.
public final class DataLock: Sendable {
    public let path: String
    private let fd: Int32

    public init(directory: String) throws(PeerNodeError) {
        path = directory + "/daemon.lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .dataDirectory(path: directory, why: "cannot create \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
            close(fd)
            throw .dataDirectoryLocked(path: directory, pid: holder.isEmpty ? "?" : holder)
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        self.fd = fd
    }

    deinit {
        _ = ftruncate(fd, 0)
        flock(fd, LOCK_UN)
        close(fd)
    }
}

/// The API token: 32 random bytes, hex, in `api.token` (mode 0600, whatever
/// the umask; a token file others could read is made 0600 again). A call
/// that changes state must send `Authorization: Bearer <token>`.
public enum APIToken {
    public static func loadOrCreate(directory: String) throws(PeerNodeError) -> String {
        let path = directory + "/api.token"
        if FileManager.default.fileExists(atPath: path) {
            guard chmod(path, 0o600) == 0 else {
                throw .dataDirectory(path: directory, why: "cannot make \(path) private (chmod 600): \(String(cString: strerror(errno)))")
            }
            if let text = try? String(contentsOfFile: path, encoding: .utf8) {
                let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
                if token.count >= 32 { return token }
            }
        }
        let token = hexString(randomBytes(32))
        try PrivateFile.write(Array((token + "\n").utf8), to: path, directory: directory)
        return token
    }
}

/// Files and folders only this user may read, whatever the umask.
public enum PrivateFile {
    /// Writes `bytes` to `path` atomically (a temporary file, fsync, rename), mode 0600.
    public static func write(_ bytes: [UInt8], to path: String, directory: String) throws(PeerNodeError) {
        let temp = path + ".tmp-\(getpid())"
        unlink(temp)
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .dataDirectory(path: directory, why: "cannot create \(temp): \(String(cString: strerror(errno)))") }
        var ok = fchmod(fd, 0o600) == 0
        ok = ok && bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) == $0.count }
        ok = ok && fsync(fd) == 0
        let why = String(cString: strerror(errno))
        close(fd)
        guard ok, rename(temp, path) == 0 else {
            unlink(temp)
            throw .dataDirectory(path: directory, why: "cannot write \(path): \(why)")
        }
    }

    /// Creates `directory` (and its parents) if needed and makes it 0700:
    /// keys, the API token, vouchers and remote.json's service token live there.
    public static func secureDirectory(_ directory: String) throws(PeerNodeError) {
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                     attributes: [.posixPermissions: 0o700]) } catch {
            throw .dataDirectory(path: directory, why: "cannot create it (\(error.localizedDescription))")
        }
        guard chmod(directory, 0o700) == 0 else {
            throw .dataDirectory(path: directory, why: "cannot make it private (chmod 700): \(String(cString: strerror(errno)))")
        }
    }
}
