import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A small tmpfs mounted for one test (needs root, as CI has): how tests
/// make a full disk for real. `remove()` unmounts and deletes it; call it in
/// a `defer` right after creating one, so a failing test removes it too.
public final class SmallDisk {
    public let path: String
    private var mounted = true
    private var fillers = 0

    public init(megabytes: Int = 20, label: String = "disk") throws {
        path = NSTemporaryDirectory() + "smalldisk-\(label)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let mount = try NodectlProcess.run(program: "/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", path],
                                           timeout: 30)
        guard mount.status == 0 else {
            try? FileManager.default.removeItem(atPath: path)
            mounted = false
            throw SmallDiskError("cannot mount a tmpfs on \(path) (the full-disk tests need root): \(mount.stderr)")
        }
    }

    /// Bytes free on the disk now.
    public var free: UInt64 {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return 0 }
        return UInt64(info.f_bavail) * UInt64(info.f_frsize)
    }

    /// Takes space with a filler file until at most `leaving` bytes stay
    /// free (a little less if something else writes meanwhile: a filler that
    /// no longer fits is tried again 64 KiB smaller, at most 64 times).
    public func fill(leaving: UInt64 = 0) throws {
        fillers += 1
        let file = path + "/filler-\(fillers)"
        let fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw SmallDiskError("cannot create \(file)") }
        defer { close(fd) }
        var rc: Int32 = 0
        for attempt in 0..<64 {
            let margin = UInt64(attempt) << 16
            let take = free > leaving + margin ? free - leaving - margin : 0
            guard take > 0 else { return }
            rc = posix_fallocate(fd, 0, off_t(take))
            if rc != ENOSPC { break }
        }
        guard rc == 0 else { throw SmallDiskError("cannot fill \(file): \(String(cString: strerror(rc)))") }
    }

    /// Deletes the filler files.
    public func unfill() {
        for i in 0...max(fillers, 0) { try? FileManager.default.removeItem(atPath: path + "/filler-\(i)") }
    }

    /// Unmounts (lazily if something still holds a file) and deletes the folder.
    public func remove() {
        guard mounted else { return }
        mounted = false
        if (try? NodectlProcess.run(program: "/bin/umount", [path], timeout: 30))?.status != 0 {
            _ = try? NodectlProcess.run(program: "/bin/umount", ["-l", path], timeout: 30)
        }
        try? FileManager.default.removeItem(atPath: path)
    }

    deinit { remove() }
}

public struct SmallDiskError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
