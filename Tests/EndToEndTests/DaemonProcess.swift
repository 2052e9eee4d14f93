import CurlHTTP
import Foundation
import NetworkLab
import PeerNode
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

/// The tests' daemons are NetworkLab's daemon handle; the extension below
/// adds only what tests ask of it (their scratch folders, nodectl against
/// its data directory, raw player requests).
typealias DaemonProcess = DaemonHandle

extension DaemonHandle {
    /// Inits the data dir in `scratch`, writes config.json (API port chosen
    /// by the OS, `bootstrap` from the given daemons, then `extra`), runs
    /// `beforeStart` on the data dir and starts the daemon.
    convenience init(name: String, in scratch: Scratch, bootstrap: [DaemonHandle] = [], config extra: [String: Any] = [:],
                     beforeStart: (_ dataDir: String) throws -> Void = { _ in }) throws {
        self.init(name: name, dataDirectory: scratch.path + "/" + name, logPath: scratch.path + "/" + name + ".log",
                  executable: nodectlBinary)
        var config: [String: Any] = ["bootstrap": bootstrap.map(\.bootstrapEntry)]
        for (k, v) in extra { config[k] = v }
        try create(config: config, beforeStart: beforeStart)
    }

    var dataDir: String { dataDirectory }

    /// A player's GET (playlists, segments, anything not JSON): status and bytes.
    func get(_ path: String, timeout: Double = 60) throws -> (Int, [UInt8]) {
        let r = try CurlHTTP.perform(CurlHTTP.Request(method: "GET", url: apiURL + path, timeout: timeout,
                                                      maxResponseBytes: 64 << 20))
        return (r.status, r.body)
    }

    /// A POST without the token: the status (the body is only the refusal).
    func postWithoutToken(_ path: String) throws -> (Int, [UInt8]) {
        let r = try CurlHTTP.perform(CurlHTTP.Request(method: "POST", url: apiURL + path, body: Array("{}".utf8),
                                                      timeout: 30, maxResponseBytes: 1 << 20))
        return (r.status, r.body)
    }

    func knows(_ stream: String) -> Bool { client.knows(stream) }

    /// POST /v1/publish, refusals included (tests check them).
    func publish(_ video: String, title: String, name: String? = nil,
                 ladder: String? = nil) throws -> NodeClient.Answer<PeerNode.Published> {
        try client.answer("POST", "/v1/publish", json: APIServer.PublishRequest(video: video, title: title, name: name,
                                                                                 ladder: ladder))
    }

    func counter(_ name: String) -> Double { client.counter(name) }

    func nodectl(_ arguments: [String], timeout: Double = 120) throws -> String {
        try EndToEndTests.nodectl(arguments + ["--data-dir", dataDirectory], timeout: timeout)
    }

    /// `nodectl ARGUMENTS --json` prints the daemon's answer as it came: decoded as the daemon's type.
    func nodectl<T: Decodable>(_ arguments: [String], as type: T.Type, timeout: Double = 120) throws -> T {
        try NodeClient.decode(Data(try nodectl(arguments, timeout: timeout).utf8), "nodectl " + arguments.joined(separator: " "))
    }
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
