import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Stopping what the demo started: the daemons and the live encoder, the
/// localnet, the work directory; on Ctrl-C too. With --keep, a `stop`
/// script in the work directory does it later.
/// Used from the main thread and the signal handler; `stopped` is guarded
/// by the lock, so `@unchecked Sendable` is safe.
final class DemoCleanup: @unchecked Sendable {
    let work: String
    let repository: String
    let processes: DemoProcesses
    let progress: DemoProgress
    private let lock = NSLock()
    private var stopped = false

    init(work: String, repository: String, processes: DemoProcesses, progress: DemoProgress) {
        self.work = work
        self.repository = repository
        self.processes = processes
        self.progress = progress
    }

    var ledger: String { work + "/ledger" }

    /// Stops the processes and the localnet (once); removes the work directory if asked.
    func stop(removeWork: Bool) {
        let first = lock.withLock { () -> Bool in
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        processes.stopAll()
        DemoChain.stop(repository: repository, ledger: ledger, log: work + "/logs/localnet-stop.log")
        if removeWork { try? FileManager.default.removeItem(atPath: work) }
    }

    /// SIGINT and SIGTERM stop everything, remove the work directory and exit 130.
    func onInterrupt() -> [DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in
                progress.step("interrupted: stopping the daemons and localnet, removing \(work)")
                stop(removeWork: true)
                exit(130)
            }
            source.resume()
            return source
        }
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
            \(quoted(DemoChain.localnetScript(repository))) stop --ledger \(quoted(ledger))
            rm -rf \(quoted(work))

            """
        let path = work + "/stop"
        guard FileManager.default.createFile(atPath: path, contents: Data(script.utf8), attributes: [.posixPermissions: 0o755]) else {
            throw CLIError("cannot write \(path)")
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
