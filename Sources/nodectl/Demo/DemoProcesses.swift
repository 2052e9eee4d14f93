import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The long-running processes the demo starts (daemons, the live encoder):
/// it stops them at the end or on Ctrl-C, unless `--keep` leaves them running.
///
/// Shared by the main thread, the watcher threads and the signal handler;
/// the list is guarded by the lock, so `@unchecked Sendable` is safe.
final class DemoProcesses: @unchecked Sendable {
    private let lock = NSLock()
    private var children: [DemoChild] = []

    /// Starts `executable` in the background; stdout and stderr go to `log`.
    @discardableResult
    func start(_ name: String, _ executable: String, _ arguments: [String], log: String) throws -> DemoChild {
        let child = try DemoChild.spawn(name, executable, arguments, log: log)
        lock.withLock { children.append(child) }
        return child
    }

    var running: [DemoChild] { lock.withLock { children }.filter(\.isRunning) }

    /// SIGTERM to each, then SIGKILL to those still running after `grace` seconds.
    func stopAll(grace: Double = 10) {
        let list = lock.withLock { children }
        for c in list { c.send(SIGTERM) }
        let deadline = Date().addingTimeInterval(grace)
        while list.contains(where: \.isRunning) && Date() < deadline { usleep(50_000) }
        for c in list { c.send(SIGKILL) }
    }

    /// Runs a program to completion within `timeout` seconds; throws with the
    /// end of its output when it fails or takes too long.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], log: String, timeout: Double) throws -> String {
        let name = URL(fileURLWithPath: executable).lastPathComponent
        let child = try DemoChild.spawn(name, executable, arguments, log: log)
        let deadline = Date().addingTimeInterval(timeout)
        while child.isRunning && Date() < deadline { usleep(20_000) }
        let command = ([name] + arguments).joined(separator: " ")
        guard let status = child.exitStatus else {
            child.send(SIGKILL)
            throw CLIError("`\(command)` did not finish within \(Int(timeout)) s (its output: \(log))")
        }
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        guard status == 0 else {
            throw CLIError("`\(command)` failed with status \(status): \(output.suffix(800))")
        }
        return output
    }

    /// ffmpeg (found on PATH), quiet, never reading stdin, overwriting its output.
    static func ffmpeg(_ arguments: [String]) -> (String, [String]) {
        ("ffmpeg", ["-hide_banner", "-nostdin", "-loglevel", "error", "-y"] + arguments)
    }
}

/// A child process started with posix_spawn: stdin /dev/null, stdout and
/// stderr into a log file, no other descriptor, no signal blocked and the
/// usual ones at their default. (Foundation's Process hands on the spawning
/// thread's blocked signals: a localnet started so ignores the SIGTERM of
/// `localnet stop`.) Its exit status is reaped once and kept; the lock
/// guards it, so `@unchecked Sendable` is safe.
final class DemoChild: @unchecked Sendable {
    let name: String
    let pid: pid_t
    let log: String
    private let lock = NSLock()
    private var status: Int32?

    private init(name: String, pid: pid_t, log: String) {
        self.name = name
        self.pid = pid
        self.log = log
    }

    /// nil while it runs; then its exit status (128 + the signal that ended it).
    var exitStatus: Int32? {
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

    var isRunning: Bool { exitStatus == nil }

    func send(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// `executable` is looked up on PATH unless it contains a slash.
    static func spawn(_ name: String, _ executable: String, _ arguments: [String], log: String) throws -> DemoChild {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
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
            throw CLIError("cannot start \(executable): \(String(cString: strerror(rc)))" + (executable == "ffmpeg" ? " (install ffmpeg: ./bootstrap does)" : ""))
        }
        return DemoChild(name: name, pid: pid, log: log)
    }
}

/// Runs `jobs` on threads of their own (they block on HTTP and on ffmpeg,
/// and must run at the same time: a live stream is watched in real time)
/// and waits for all; throws the first error.
func runConcurrently(_ jobs: [@Sendable () throws -> Void]) throws {
    let errors = ErrorList()
    let group = DispatchGroup()
    for job in jobs {
        group.enter()
        let thread = Thread {
            do { try job() } catch { errors.append(error) }
            group.leave()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
    group.wait()
    if let first = errors.first { throw first }
}

/// Work started on a thread of its own now, its result taken later.
/// The result is written once by the thread and read after the semaphore
/// says so; the lock makes that explicit, so `@unchecked Sendable` is safe.
final class Background<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<T, any Error>?

    init(_ body: @escaping @Sendable () throws -> T) {
        let thread = Thread { [self] in
            let r = Result { try body() }
            lock.withLock { result = r }
            done.signal()
        }
        thread.start()
    }

    /// Waits for the work and returns its value or throws its error.
    func value() throws -> T {
        done.wait()
        done.signal()
        guard let result = lock.withLock({ result }) else { throw CLIError("internal: background work ended without a result") }
        return try result.get()
    }
}

/// Errors collected from threads; guarded by its lock.
private final class ErrorList: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [any Error] = []
    func append(_ e: any Error) { lock.withLock { errors.append(e) } }
    var first: (any Error)? { lock.withLock { errors.first } }
}

/// Polls `condition` every `interval` seconds until it gives a value; after
/// `timeout` seconds throws "timed out after N s waiting for WHAT", with the
/// last error seen.
func waitFor<T>(_ what: String, timeout: Double, interval: Double = 0.2,
                _ condition: () throws -> T?) throws -> T {
    let deadline = Date().addingTimeInterval(timeout)
    var lastError: (any Error)?
    repeat {
        do {
            if let value = try condition() { return value }
        } catch let error as DemoFailure {
            throw error
        } catch {
            lastError = error
        }
        Thread.sleep(forTimeInterval: interval)
    } while Date() < deadline
    throw CLIError("timed out after \(Int(timeout)) s waiting for \(what)" + (lastError.map { " (last error: \($0))" } ?? ""))
}

/// A failure that waiting again cannot fix (a process died, a check failed).
struct DemoFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
