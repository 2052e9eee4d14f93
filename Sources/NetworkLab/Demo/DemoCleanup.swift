import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Stopping what the demo started: the daemons and the live encoder, the
/// localnet, the work directory; on Ctrl-C (or SIGTERM) too. With --keep, a `stop`
/// script in the work directory does it later.
/// Used from the main thread and the signal thread; its two flags are
/// guarded by the lock, so `@unchecked Sendable` is safe.
final class DemoCleanup: @unchecked Sendable {
    let work: String
    let repository: String
    let processes: ProcessGroup
    let progress: DemoProgress
    private let lock = NSLock()
    private var stopped = false
    private var interrupted = false

    init(work: String, repository: String, processes: ProcessGroup, progress: DemoProgress) {
        self.work = work
        self.repository = repository
        self.processes = processes
        self.progress = progress
    }

    var ledger: String { work + "/ledger" }

    /// Stops the processes and the localnet (once); removes the work directory if asked.
    /// After a signal this is the signal thread's job: other callers wait for it to exit.
    func stop(removeWork: Bool) {
        waitIfInterrupted()
        stopNow(removeWork: removeWork)
    }

    /// Never returns once a signal came: the signal thread cleans up and exits.
    func waitIfInterrupted() {
        while lock.withLock({ interrupted }) { sleep(1) }
    }

    private func stopNow(removeWork: Bool) {
        let first = lock.withLock { () -> Bool in
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        processes.stopAll()
        DemoChain.stop(repository: repository, ledger: ledger, log: work + "/logs/localnet-stop.log")
        if removeWork { try? FileManager.default.removeItem(atPath: work) }
    }

    /// From now on SIGINT, SIGTERM and SIGHUP stop everything, remove the
    /// work directory and exit 130. The handler only writes the signal's
    /// number to a pipe; a thread of its own reads it and cleans up.
    func onInterrupt() throws {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw LabError("cannot create a pipe for signal handling") }
        interruptPipeWriter = fds[1]
        let reader = fds[0]
        let thread = Thread { [self] in
            var number: UInt8 = 0
            while true {
                let n = read(reader, &number, 1)
                if n == 1 { break }
                if n < 0 && errno == EINTR { continue }
                return   // the pipe broke: no signal handling, and never a busy loop
            }
            lock.withLock { interrupted = true }
            progress.step("interrupted (signal \(number)): stopping the daemons and localnet, removing \(work)")
            stopNow(removeWork: true)
            exit(130)
        }
        thread.start()
        for number in [SIGINT, SIGTERM, SIGHUP] { signal(number, demoSignalHandler) }
    }

    /// Leaves everything running: writes `stop` into the work directory and
    /// returns the viewers' playback URLs and the command that stops it all.
    func keepRunning(nodes: [DemoNode], streams: [String]) throws -> DemoKept {
        let pids = processes.running.map { String($0.pid) }
        func quoted(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let script = """
            #!/bin/sh
            # Stops what `nodectl demo --keep` left running, then removes this folder.
            kill \(pids.joined(separator: " ")) 2>/dev/null
            \(quoted(RepositoryFiles.localnetScript(repository))) stop --ledger \(quoted(ledger))
            rm -rf \(quoted(work))

            """
        let path = work + "/stop"
        guard FileManager.default.createFile(atPath: path, contents: Data(script.utf8), attributes: [.posixPermissions: 0o755]) else {
            throw LabError("cannot write \(path)")
        }
        var urls: [String: String] = [:]
        for viewer in nodes where viewer.role == .viewer {
            for stream in streams {
                let name = stream.split(separator: "/").last.map(String.init) ?? stream
                urls["\(viewer.name) \(name)"] = viewer.apiURL + "/hls/\(stream)/index.m3u8"
            }
        }
        return DemoKept(playbackURLs: urls, stopCommand: "sh " + quoted(path))
    }
}

/// The write end of the demo's signal pipe: set once before the handler is
/// installed, only read afterwards (by the handler), so unsynchronized access is safe.
nonisolated(unsafe) private var interruptPipeWriter: Int32 = -1

/// Async-signal-safe: one write(2).
private func demoSignalHandler(_ number: Int32) {
    var byte = UInt8(truncatingIfNeeded: number)
    _ = write(interruptPipeWriter, &byte, 1)
}
