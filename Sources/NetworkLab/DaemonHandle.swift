import Foundation
import PeerNode
#if canImport(Glibc)
import Glibc
#endif

/// One `nodectl daemon` in its own process on its own data directory: start,
/// stop (SIGINT, as Ctrl-C), SIGKILL, restart on the same directory, its
/// log, and the typed client of its API. What the end-to-end tests and the
/// demo run their daemons with.
///
/// What a start changes (the process, the client, the address) is guarded
/// by the lock, so `@unchecked Sendable` is safe: a test may read it from a
/// `waitFor` closure or another thread.
public final class DaemonHandle: @unchecked Sendable {
    public let name: String
    public let dataDirectory: String
    /// Both streams of every start, appended (a restart adds to it).
    public let logPath: String
    /// The `nodectl` binary it runs.
    public let executable: String

    private struct Run {
        var process: ChildProcess?
        var client = NodeClient(baseURL: "", token: "")
        var address = ""
        var gossipEndpoint = ""
        var stopsWhenReleased = true
    }
    private let lock = NSLock()
    private var run = Run()

    /// The running (or last) process; nil before the first start.
    public var process: ChildProcess? { lock.withLock { run.process } }
    /// The typed client, for the API's URL of the current run.
    public var client: NodeClient { lock.withLock { run.client } }
    /// Its address (base58) and gossip endpoint, from GET /v1/id.
    public var address: String { lock.withLock { run.address } }
    public var gossipEndpoint: String { lock.withLock { run.gossipEndpoint } }

    /// ADDRESS@ENDPOINT: how another node names it in `bootstrap`.
    public var bootstrapEntry: String { lock.withLock { "\(run.address)@\(run.gossipEndpoint)" } }
    public var apiURL: String { client.baseURL }
    /// Stop the daemon (SIGINT) when this handle goes away: what a test
    /// wants. The demo turns it off: its `ProcessGroup` stops its daemons,
    /// and `--keep` leaves them running.
    public var stopsWhenReleased: Bool {
        get { lock.withLock { run.stopsWhenReleased } }
        set { lock.withLock { run.stopsWhenReleased = newValue } }
    }
    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Names the daemon; `create` or `start` brings it up.
    public init(name: String, dataDirectory: String, logPath: String, executable: String) {
        self.name = name
        self.dataDirectory = dataDirectory
        self.logPath = logPath
        self.executable = executable
    }

    /// A daemon named `name` in `folder` (data directory `folder/name`, log
    /// `folder/name.log`), created and started as `create(config:)` does.
    public static func create(name: String, in folder: String, executable: String, config: [String: Any],
                              beforeStart: (_ dataDirectory: String) throws -> Void = { _ in },
                              timeout: Double = 60) throws -> DaemonHandle {
        let daemon = DaemonHandle(name: name, dataDirectory: folder + "/" + name, logPath: folder + "/" + name + ".log",
                                  executable: executable)
        try daemon.create(config: config, beforeStart: beforeStart, timeout: timeout)
        return daemon
    }

    /// `nodectl init` on the (new) data directory, config.json written from
    /// `config` (fields as in docs/configuration.md; the API port defaults
    /// to 0, chosen by the OS), `beforeStart` run on the data directory,
    /// then started.
    public func create(config: [String: Any], beforeStart: (_ dataDirectory: String) throws -> Void = { _ in },
                       timeout: Double = 60) throws {
        let initialized = try ChildProcess.capture(executable, ["init", "--data-dir", dataDirectory], timeout: 60)
        guard initialized.status == 0 else {
            throw LabError("nodectl init --data-dir \(dataDirectory) failed (\(initialized.status)): \(initialized.stderr)")
        }
        var full: [String: Any] = ["apiPort": 0, "logLevel": "info"]
        for (key, value) in config { full[key] = value }
        try writeConfig(full)
        try beforeStart(dataDirectory)
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        try start(timeout: timeout)
    }

    /// Replaces config.json (read at the next start).
    public func writeConfig(_ config: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys])
        try data.write(to: URL(fileURLWithPath: dataDirectory + "/config.json"))
    }

    /// Starts the daemon and waits until its API answers GET /v1/id; a
    /// daemon that exits first ends the wait at once with its log.
    /// `group`: also stopped with the rest of a run (the demo's Ctrl-C).
    public func start(timeout: Double = 60, group: ProcessGroup? = nil) throws {
        guard process?.isRunning != true else { throw LabError("\(name) is still running") }
        // A daemon killed with SIGKILL leaves its api.json behind: its URL is stale.
        try? FileManager.default.removeItem(atPath: dataDirectory + "/api.json")
        let process = try ChildProcess.spawn(name, executable, ["daemon", "--data-dir", dataDirectory], log: logPath,
                                             appendLog: true)
        lock.withLock { run.process = process }
        group?.adopt(process)
        let (client, id) = try waitForValue("\(name)'s API to answer", timeout: timeout) { () throws -> (NodeClient, APIServer.Identity)? in
            if let status = process.exitStatus {
                throw LabFailure("\(name) exited with status \(status): \(self.log.suffix(2000))")
            }
            guard FileManager.default.fileExists(atPath: dataDirectory + "/api.json") else { return nil }
            let client = try NodeClient(dataDirectory: dataDirectory)
            return (client, try client.id())
        }
        lock.withLock {
            run.client = client
            run.address = id.address
            run.gossipEndpoint = id.gossip
        }
    }

    /// Starts it again on the same data directory (after `stop` or `kill`).
    public func restart(timeout: Double = 60) throws { try start(timeout: timeout) }

    /// SIGINT (a clean shutdown), then SIGKILL after `grace` seconds.
    public func stop(grace: Double = 20) {
        guard let process, process.isRunning else { return }
        process.stop(signal: SIGINT, grace: grace)
    }

    /// SIGKILL: a crash, nothing flushed; waits until it is reaped.
    public func kill() {
        guard let process, process.isRunning else { return }
        process.send(SIGKILL)
        process.wait(timeout: 30)
    }

    /// The content of api.token.
    public func apiToken() throws -> String {
        try String(contentsOfFile: dataDirectory + "/api.token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    deinit { if stopsWhenReleased { stop() } }
}
