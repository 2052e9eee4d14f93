#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Free space on a filesystem, and the one error every layer reports when
/// there is not enough of it.
public enum DiskSpace {
    /// Bytes an unprivileged writer may still use on the filesystem holding
    /// `path` (statvfs: available blocks × fragment size); nil if it cannot be asked.
    public static func available(at path: String) -> UInt64? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return UInt64(info.f_bavail) * UInt64(info.f_frsize)
    }

    /// Throws `DiskFull` unless `needed` bytes are free at `path`.
    public static func require(_ needed: UInt64, at path: String, plus reusable: UInt64 = 0) throws(DiskFull) {
        guard let free = available(at: path) else { return }
        if free &+ reusable < needed { throw DiskFull(path: path, needed: needed, free: free &+ reusable) }
    }

    /// "12.6 MB (13,212,672 bytes)"-style text for messages.
    public static func text(_ bytes: UInt64) -> String {
        let units: [(UInt64, String)] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")]
        for (size, unit) in units where bytes >= size {
            return String(format: "%.1f ", Double(bytes) / Double(size)) + unit + " (\(bytes) bytes)"
        }
        return "\(bytes) bytes"
    }
}

/// Not enough free space for what was asked: how much it needs, how much
/// there is, where. Nothing was changed when this is thrown before a write,
/// and a write that hit it was rolled back.
public struct DiskFull: Error, Equatable, Sendable, CustomStringConvertible {
    public let path: String
    public let needed: UInt64
    public let free: UInt64

    public init(path: String, needed: UInt64, free: UInt64) {
        self.path = path
        self.needed = needed
        self.free = free
    }

    public var description: String {
        "disk full: \(DiskSpace.text(needed)) needed, \(DiskSpace.text(free)) free on the filesystem of \(path); "
            + "free some space there (or move the data directory to a larger disk) and try again"
    }
}
