import CurlHTTP
import Foundation
import NetworkLab
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The built `nodectl` binary beside the test bundle.
let nodectlBinary = NodectlProcess.binary

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// Runs a program to completion, bounded in time; returns status, stdout, stderr.
@discardableResult
func runProgram(_ path: String, _ arguments: [String], timeout: Double = 120) throws -> (Int32, String, String) {
    let result = try NodectlProcess.run(program: path, arguments, timeout: timeout)
    return (result.status, String(decoding: result.stdout, as: UTF8.self), result.stderr)
}

func nodectl(_ arguments: [String], timeout: Double = 120) throws -> String {
    let (status, out, err) = try runProgram(nodectlBinary, arguments, timeout: timeout)
    guard status == 0 else { throw TestFailure("nodectl \(arguments.joined(separator: " ")) failed (\(status)): \(err)") }
    return out.trimmingCharacters(in: .whitespacesAndNewlines)
}

func ffmpeg(_ arguments: [String], timeout: Double = 120) throws {
    let (status, _, err) = try runProgram("/usr/bin/ffmpeg", ["-hide_banner", "-loglevel", "error", "-y"] + arguments,
                                          timeout: timeout)
    guard status == 0 else { throw TestFailure("ffmpeg \(arguments.joined(separator: " ")) failed: \(err)") }
}

/// A scratch folder removed at the end of a test.
final class Scratch: Sendable {
    let path: String
    init(_ name: String) throws {
        path = NSTemporaryDirectory() + "e2e-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    /// A folder of its own inside `parent` (a SmallDisk, say).
    init(in parent: String, _ name: String) throws {
        path = parent + "/" + name
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A `nodectl daemon` in its own process with its own data directory.
final class DaemonProcess {
    let name: String
    let dataDir: String
    /// The running (or last) daemon process; set once `init` has started it.
    private(set) var process: ChildProcess!
    let logPath: String
    private(set) var apiURL = ""
    private(set) var address = ""
    private(set) var gossipEndpoint = ""

    /// Inits the data dir, writes config.json (API port chosen by the OS), runs
    /// `beforeStart` on the data dir and starts the daemon.
    init(name: String, in scratch: Scratch, bootstrap: [DaemonProcess] = [], config extra: [String: Any] = [:],
         beforeStart: (_ dataDir: String) throws -> Void = { _ in }) throws {
        self.name = name
        dataDir = scratch.path + "/" + name
        logPath = scratch.path + "/" + name + ".log"
        _ = try nodectl(["init", "--data-dir", dataDir])
        var config: [String: Any] = ["apiPort": 0, "logLevel": "info",
                                     "bootstrap": bootstrap.map { "\($0.address)@\($0.gossipEndpoint)" }]
        for (k, v) in extra { config[k] = v }
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: dataDir + "/config.json"))
        try beforeStart(dataDir)
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        try launch()
    }

    /// Starts the daemon again on the same data directory (after `stop` or `killHard`).
    func restart() throws {
        guard process?.isRunning != true else { throw TestFailure("\(name) is still running") }
        try launch()
    }

    private func launch() throws {
        // A daemon killed with SIGKILL leaves its api.json behind.
        try? FileManager.default.removeItem(atPath: dataDir + "/api.json")
        let process = try ChildProcess.spawn(name, nodectlBinary, ["daemon", "--data-dir", dataDir], log: logPath, appendLog: true)
        self.process = process
        try waitFor("\(name)'s api.json", timeout: 60) {
            guard process.isRunning else { throw TestFailure("\(name) exited: \(self.log)") }
            guard let data = FileManager.default.contents(atPath: dataDir + "/api.json"),
                  let o = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let url = o["url"] as? String else { return false }
            apiURL = url
            return true
        }
        let id = try getJSON("/v1/id")
        address = id["address"] as? String ?? ""
        gossipEndpoint = id["gossip"] as? String ?? ""
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    func get(_ path: String, timeout: Double = 60) throws -> (Int, [UInt8]) {
        let r = try CurlHTTP.perform(CurlHTTP.Request(method: "GET", url: apiURL + path, timeout: timeout,
                                                      maxResponseBytes: 64 << 20))
        return (r.status, r.body)
    }

    func postWithoutToken(_ path: String) throws -> (Int, [UInt8]) {
        let r = try CurlHTTP.perform(CurlHTTP.Request(method: "POST", url: apiURL + path, body: Array("{}".utf8),
                                                      timeout: 30, maxResponseBytes: 1 << 20))
        return (r.status, r.body)
    }

    /// A POST with a JSON body and the token from api.token (or `token`); the status and the JSON answer.
    func post(_ path: String, _ body: [String: Any], token: String? = nil, timeout: Double = 120) throws -> (Int, [String: Any]) {
        try post(path, raw: try JSONSerialization.data(withJSONObject: body), token: token, timeout: timeout)
    }

    func post(_ path: String, raw body: Data, token: String? = nil, timeout: Double = 120) throws -> (Int, [String: Any]) {
        let (status, answer) = try postJSON(apiURL + path, body: body, token: token ?? apiToken(), timeout: timeout)
        return (status, parseObject(answer))
    }

    /// The content of api.token.
    func apiToken() throws -> String {
        try String(contentsOfFile: dataDir + "/api.token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func getJSON(_ path: String) throws -> [String: Any] {
        let (status, body) = try get(path)
        guard status == 200 else { throw TestFailure("GET \(path) on \(name): \(status) \(String(decoding: body, as: UTF8.self))") }
        return try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] ?? [:]
    }

    func streams() throws -> [[String: Any]] {
        let (_, body) = try get("/v1/streams")
        return try JSONSerialization.jsonObject(with: Data(body)) as? [[String: Any]] ?? []
    }

    func knows(_ stream: String) -> Bool { ((try? streams()) ?? []).contains { $0["stream"] as? String == stream } }

    func counter(_ name: String) -> Double {
        guard let (_, body) = try? get("/metrics") else { return 0 }
        for line in String(decoding: body, as: UTF8.self).split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.split(separator: " ").last ?? "") ?? 0
        }
        return 0
    }

    func nodectl(_ arguments: [String], timeout: Double = 120) throws -> String {
        try EndToEndTests.nodectl(arguments + ["--data-dir", dataDir], timeout: timeout)
    }

    func stop() {
        guard let process, process.isRunning else { return }
        process.stop(signal: SIGINT, grace: 20)
    }

    func killHard() {
        guard let process, process.isRunning else { return }
        process.send(SIGKILL)
        process.wait(timeout: 30)
    }

    deinit { stop() }
}

/// POSTs a JSON body with a bearer token; the status and the raw answer.
func postJSON(_ url: String, body: Data, token: String, timeout: Double = 120) throws -> (Int, [UInt8]) {
    let r = try CurlHTTP.perform(CurlHTTP.Request(
        method: "POST", url: url, headers: [("Content-Type", "application/json"), ("Authorization", "Bearer " + token)],
        body: Array(body), timeout: timeout, maxResponseBytes: 16 << 20))
    return (r.status, r.body)
}

/// A JSON object's fields; empty when the bytes are not one.
func parseObject(_ bytes: [UInt8]) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]) ?? [:]
}

/// A 10-second test video: testsrc + sine, H.264 + AAC, keyframe every second.
func makeTestVideo(in scratch: Scratch, seconds: Int = 10) throws -> String {
    let path = scratch.path + "/video.mp4"
    try ffmpeg(["-f", "lavfi", "-i", "testsrc=duration=\(seconds):size=320x240:rate=25",
                "-f", "lavfi", "-i", "sine=frequency=440:duration=\(seconds)",
                "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p",
                "-c:a", "aac", "-shortest", path])
    return path
}

/// `ffmpeg -i URL -c copy` into a file, then its packets' `-f framemd5`.
func copyAndFrameMD5(_ url: String, in scratch: Scratch, name: String, realtime: Bool = false) throws -> String {
    let copy = scratch.path + "/\(name).ts"
    try ffmpeg((realtime ? ["-re"] : []) + ["-i", url, "-c", "copy", "-f", "mpegts", copy], timeout: 180)
    let md5 = scratch.path + "/\(name).framemd5"
    try ffmpeg(["-i", copy, "-c", "copy", "-f", "framemd5", md5])
    let text = try String(contentsOfFile: md5, encoding: .utf8)
    return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.joined(separator: "\n")
}
