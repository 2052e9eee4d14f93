#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Key files in the Solana CLI format: a JSON array of the 64 secret-key
/// bytes, mode 0600. `solana-keygen` files load as they are and ours work
/// with Solana's tools.
public enum KeyFile {
    /// Reads a key file, refusing one that others can read.
    public static func load(path: String) throws(IdentityError) -> KeyPair {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw .keyFile(path: path, problem: errno == ENOENT ? "does not exist" : "cannot be read (\(String(cString: strerror(errno))))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw .keyFile(path: path, problem: "is not a regular file") }
        let mode = UInt32(info.st_mode) & 0o777
        if mode & 0o077 != 0 { throw .keyFileTooOpen(path: path, mode: mode) }
        guard info.st_size <= 64 * 1024 else {
            throw .keyFile(path: path, problem: "is \(info.st_size) bytes, far too large for a key file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .keyFile(path: path, problem: "cannot be read")
        }
        return try parse(data, path: path)
    }

    /// Parses the JSON array form; `path` only names the source in errors.
    public static func parse(_ data: Data, path: String) throws(IdentityError) -> KeyPair {
        let numbers: [Int]
        do {
            numbers = try JSONDecoder().decode([Int].self, from: data)
        } catch {
            let text = String(decoding: data.prefix(64), as: UTF8.self)
            let hint = text.trimmingWhitespace().hasPrefix("[") ? "not valid JSON (truncated?)" : "not a JSON array of numbers"
            throw .keyFile(path: path, problem: "\(hint); expected the Solana format, a JSON array of 64 numbers")
        }
        guard numbers.count == 64 else {
            throw .keyFile(path: path, problem: "holds \(numbers.count) numbers; a Solana key file holds 64")
        }
        guard numbers.allSatisfy({ (0...255).contains($0) }) else {
            throw .keyFile(path: path, problem: "holds a number outside 0...255")
        }
        do {
            return try KeyPair(secretKey: numbers.map { UInt8($0) })
        } catch {
            throw .keyFile(path: path, problem: error.description)
        }
    }

    /// The file's bytes: the 64 numbers on one line, as solana-keygen writes them.
    public static func encode(_ keyPair: KeyPair) -> Data {
        Data(("[" + keyPair.secretKeyBytes.map(String.init).joined(separator: ",") + "]").utf8)
    }

    /// Writes a new key file with mode 0600; never replaces an existing one.
    /// The bytes go to a temporary file first and are linked into place, so a
    /// crash leaves either no key file or a whole one.
    public static func save(_ keyPair: KeyPair, path: String) throws(IdentityError) {
        if FileManager.default.fileExists(atPath: path) { throw .keyFileExists(path: path) }
        let directory = (path as NSString).deletingLastPathComponent
        let temp = (directory.isEmpty ? "." : directory) + "/.keyfile-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            throw .keyFile(path: path, problem: "cannot be created (\(String(cString: strerror(errno))))")
        }
        defer { unlink(temp) }
        let bytes = [UInt8](encode(keyPair))
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == bytes.count, synced else {
            throw .keyFile(path: path, problem: "could not be written completely")
        }
        guard link(temp, path) == 0 else {
            if errno == EEXIST { throw .keyFileExists(path: path) }
            throw .keyFile(path: path, problem: "cannot be created (\(String(cString: strerror(errno))))")
        }
    }
}
