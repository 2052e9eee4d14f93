import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The long-running processes a run starts (daemons, an encoder), to stop
/// together at its end or on Ctrl-C.
///
/// Shared by the main thread, watcher threads and a signal handler; the
/// list is guarded by the lock, so `@unchecked Sendable` is safe.
public final class ProcessGroup: @unchecked Sendable {
    private let lock = NSLock()
    private var children: [ChildProcess] = []

    public init() {}

    /// Starts `executable` in the background; stdout and stderr go to `log`
    /// (added to its end with `appendLog`, as a restarted daemon's).
    @discardableResult
    public func start(_ name: String, _ executable: String, _ arguments: [String], log: String,
                      appendLog: Bool = false) throws -> ChildProcess {
        let child = try ChildProcess.spawn(name, executable, arguments, log: log, appendLog: appendLog)
        lock.withLock { children.append(child) }
        return child
    }

    /// Adds a process started elsewhere (a `DaemonHandle`'s) to be stopped with the rest.
    public func adopt(_ child: ChildProcess) {
        lock.withLock { children.append(child) }
    }

    public var running: [ChildProcess] { lock.withLock { children }.filter(\.isRunning) }

    /// The child with this process id (to signal it: a simulated fault).
    public func child(pid: pid_t) -> ChildProcess? { lock.withLock { children.last { $0.pid == pid } } }

    /// SIGTERM to each, then SIGKILL to those still running after `grace` seconds.
    public func stopAll(grace: Double = 10) {
        let list = lock.withLock { children }
        for c in list { c.send(SIGTERM) }
        let deadline = Date().addingTimeInterval(grace)
        while list.contains(where: \.isRunning) && Date() < deadline { usleep(50_000) }
        for c in list { c.send(SIGKILL) }
    }
}
