import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with posix_spawn: stdin /dev/null, stdout and
/// stderr into a log file, no other descriptor, no signal blocked and the
/// usual ones at their default. (Foundation's Process hands on the spawning
/// thread's blocked signals: a localnet started so ignores the SIGTERM of
/// `localnet stop`.) Its exit status is reaped once and kept; the lock
/// guards it, so `@unchecked Sendable` is safe.
public final class ChildProcess: @unchecked Sendable {
    public let name: String
    public let pid: pid_t
    public let log: String
    private let lock = NSLock()
    private var status: Int32?

    private init(name: String, pid: pid_t, log: String) {
        self.name = name
        self.pid = pid
        self.log = log
    }

    /// nil while it runs; then its exit status (128 + the signal that ended it).
    public var exitStatus: Int32? {
        lock.withLock {
            if status == nil {
                var raw: Int32 = 0
                let r = waitpid(pid, &raw, WNOHANG)
                if r == pid { status = raw & 0x7f == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f) }
                if r < 0 { status = -1 }
            }
            return status
        }
    }

    public var isRunning: Bool { exitStatus == nil }

    public func send(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// Waits up to `timeout` seconds for it to end; its status, or nil if it still runs.
    @discardableResult
    public func wait(timeout: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning && Date() < deadline { usleep(20_000) }
        return exitStatus
    }

    /// SIGTERM (or `signal`), then SIGKILL after `grace` seconds; waits until it is reaped.
    public func stop(signal: Int32 = SIGTERM, grace: Double = 20) {
        send(signal)
        if wait(timeout: grace) == nil { send(SIGKILL) }
        wait(timeout: 10)
    }

    /// What it wrote so far (stdout and stderr).
    public var output: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

    /// `executable` is looked up on PATH unless it contains a slash.
    /// `appendLog`: add to the log instead of starting it anew (a restart).
    public static func spawn(_ name: String, _ executable: String, _ arguments: [String], log: String,
                             appendLog: Bool = false) throws -> ChildProcess {
        try spawn(name, executable, arguments, stdin: "/dev/null", stdout: log, stderr: nil, append: appendLog)
    }

    /// The general form: stdin from the file `stdin`, stdout into `stdout`,
    /// stderr into `stderr` (nil: into `stdout` as well).
    public static func spawn(_ name: String, _ executable: String, _ arguments: [String], stdin: String,
                             stdout: String, stderr: String?, append: Bool = false) throws -> ChildProcess {
        // posix_spawn reports a file it cannot open like a missing program
        // (ENOENT either way): say which one it is.
        for output in [stdout] + (stderr.map { [$0] } ?? []) {
            let folder = URL(fileURLWithPath: output).deletingLastPathComponent().path
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
                throw LabError("cannot start \(executable): its output \(output) is in \(folder), which is no folder")
            }
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let mode = O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC)
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, mode, 0o644)
        if let stderr {
            posix_spawn_file_actions_addopen(&actions, 2, stderr, mode, 0o644)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        // No other descriptor: a daemon holding a pipe or socket of ours would keep it open.
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd"))?.compactMap { Int32($0) } ?? []
        for fd in open where fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), defaults = sigset_t()
        sigemptyset(&none)
        sigemptyset(&defaults)
        for s in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let rc = posix_spawnp(&pid, executable, &actions, &attributes, argv, environ)
        guard rc == 0 else {
            throw LabError("cannot start \(executable): \(String(cString: strerror(rc)))" + (executable.hasSuffix("ffmpeg") ? " (install ffmpeg: ./bootstrap does)" : ""))
        }
        return ChildProcess(name: name, pid: pid, log: stdout)
    }

    /// Runs a program to completion within `timeout` seconds; throws with the
    /// end of its output when it fails or takes too long.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], log: String, timeout: Double) throws -> String {
        let name = URL(fileURLWithPath: executable).lastPathComponent
        let child = try spawn(name, executable, arguments, log: log)
        let command = ([name] + arguments).joined(separator: " ")
        guard let status = child.wait(timeout: timeout) else {
            child.send(SIGKILL)
            child.wait(timeout: 10)
            throw LabError("`\(command)` did not finish within \(Int(timeout)) s (its output: \(log))")
        }
        let output = child.output
        guard status == 0 else {
            throw LabError("`\(command)` failed with status \(status): \(output.suffix(800))")
        }
        return output
    }

    /// ffmpeg (found on PATH), quiet, never reading stdin, overwriting its output.
    public static func ffmpeg(_ arguments: [String]) -> (String, [String]) {
        ("ffmpeg", ["-hide_banner", "-nostdin", "-loglevel", "error", "-y"] + arguments)
    }
}
