import Foundation
import Testing

/// What the online commands answer on a node without payments: stream
/// names and pasted URLs checked at once with a hint, payment commands
/// that say payments are off (not "not found"), durations rounded.
@Suite(.serialized)
struct CommandLineAnswerTests {
    @Test("watch answers at once for malformed ids, unknown streams and URLs; payment commands on a free node say why; publish rounds")
    func answers() throws {
        let scratch = try Scratch("cli-answers")
        let node = try DaemonProcess(name: "node", in: scratch, config: ["hlsSegmentSeconds": 1])
        func run(_ arguments: String...) throws -> (status: Int32, out: String, err: String, seconds: Double) {
            try run(arguments)
        }
        func run(_ arguments: [String]) throws -> (status: Int32, out: String, err: String, seconds: Double) {
            let started = Date()
            let (status, out, err) = try runProgram(nodectlBinary, arguments + ["--data-dir", node.dataDir], timeout: 120)
            return (status, out.trimmingCharacters(in: .whitespacesAndNewlines), err, Date().timeIntervalSince(started))
        }
        let unknown = node.address + "/nothing-here"
        let cases: [([String], [String])] = [
            (["watch", "nope"], ["'nope' is not a stream: give CREATOR/NAME", "`nodectl streams`"]),
            (["watch", "NotAnAddress/x"], ["'NotAnAddress' in 'NotAnAddress/x' is not a creator address", "`nodectl streams`"]),
            (["watch", unknown], ["not found: stream \(unknown)", "`nodectl streams`", "--wait"]),
            (["watch", node.apiURL + "/hls/\(unknown)/index.m3u8"], ["not found: stream \(unknown)", "`nodectl streams`"]),
            (["watch", "https://example.com/video.mp4"], ["not a stream's playlist URL", "`nodectl streams`"]),
            (["chat", "nope"], ["'nope' is not a stream"]),
            (["tip", "nope", "5"], ["'nope' is not a stream"]),
        ]
        for (arguments, expected) in cases {
            let r = try run(arguments)
            #expect(r.status != 0, "\(arguments)")
            for text in expected { #expect(r.err.contains(text), "\(arguments): \(r.err)") }
            #expect(r.seconds < 5, "\(arguments) took \(r.seconds) s")
        }
        // The same wait as before when asked for: it gives up after --wait seconds, saying so.
        let waited = try run("watch", unknown, "--wait", "1")
        #expect(waited.status != 0 && waited.err.contains("waited 1 s"), "\(waited.err)")

        for command in ["earnings", "channels", "claim"] {
            let r = try run(command)
            #expect(r.status != 0, "\(command)")
            #expect(!r.err.contains("not found"), "\(command): \(r.err)")
            #expect(r.err.contains("this node does not take part in payments (config.json has no programId)")
                    && r.err.contains("nodectl chain deploy"), "\(command): \(r.err)")
        }

        // publish prints the duration rounded; watch takes the playlist URL a player was given.
        let video = try makeTestVideo(in: scratch, seconds: 3)
        let published = try run("publish", video, "--title", "Rounding", "--name", "round")
        #expect(published.status == 0, "\(published.err)")
        let segmentsLine = published.out.split(separator: "\n").first { $0.hasPrefix("segments") }.map(String.init) ?? ""
        #expect(segmentsLine.range(of: #"^segments \d+ \(\d+\.\d s\)$"#, options: .regularExpression) != nil, "\(published.out)")
        let stream = node.address + "/round"
        let url = try run("watch", stream)
        #expect(url.status == 0 && url.out.hasSuffix("/hls/\(stream)/index.m3u8"), "\(url.err)")
        let again = try run("watch", url.out)
        #expect(again.status == 0 && again.out == url.out, "\(again.err)")
    }
}
