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

/// The API token: 32 random bytes, hex, in `api.token` (mode 0600). A call
/// that changes state must send `Authorization: Bearer <token>`.
public enum APIToken {
    public static func loadOrCreate(directory: String) throws -> String {
        let path = directory + "/api.token"
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if token.count >= 32 { return token }
        }
        var bytes = [UInt8](repeating: 0, count: 32)
        var rng = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = rng.next() }
        let token = bytes.map { String(format: "%02x", $0) }.joined()
        _ = FileManager.default.createFile(atPath: path, contents: Data((token + "\n").utf8),
                                       attributes: [.posixPermissions: 0o600])
        return token
    }
}
