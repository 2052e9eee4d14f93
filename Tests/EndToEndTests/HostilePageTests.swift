import Foundation
import NetworkLab
import PeerNode
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A real headless Chromium loads a page of another origin (a Python server
/// on another loopback port, Tests/hostile-page/) that tries every attack it
/// has on a real daemon: reading JSON, HLS and frames across origins, simple
/// POSTs and forms without a preflight, preflighted calls with a guessed
/// token, a WebSocket, an opaque `null` origin, `0.0.0.0`, and DNS
/// rebinding (a name Chromium resolves to 127.0.0.1 whose server passes
/// requests on to the daemon). The page must read nothing and the node must
/// be unchanged.
final class HostilePageTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let chromium = "/usr/bin/chromium"

    func testAHostilePageReadsAndChangesNothing() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.chromium) else {
            throw TestFailure("no \(Self.chromium): run ./bootstrap, which installs Debian's chromium")
        }
        let scratch = try Scratch("hostile")
        let node = try DaemonProcess(name: "node", in: scratch)
        defer { node.stop() }
        let video = try makeTestVideo(in: scratch, seconds: 4)
        let published = try node.publish(video, title: "show", name: "show")
        XCTAssertEqual(published.status, 200, "\(published)")
        let stream = "\(node.address)/show"
        let port = Int(node.apiURL.split(separator: ":").last ?? "") ?? 0

        // The attacker's servers.
        let portsFile = scratch.path + "/ports"
        let server = try ChildProcess.spawn("attacker", "/usr/bin/python3",
                                            [Self.repository + "/Tests/hostile-page/serve.py", String(port), portsFile, "180"],
                                            log: scratch.path + "/attacker.log")
        defer { server.stop(grace: 10) }
        var attackerPort = 0, rebindPort = 0
        try waitFor("the attacker's servers", timeout: 20) {
            let parts = ((try? String(contentsOfFile: portsFile, encoding: .utf8)) ?? "").split(separator: " ").compactMap { Int($0) }
            guard parts.count == 2 else { return false }
            (attackerPort, rebindPort) = (parts[0], parts[1])
            return true
        }

        let chunksBefore = try node.client.stats().chunks
        let refusedBefore = node.counter("peernode_api_refused_total")
        let playlistsBefore = node.counter("peernode_hls_requests_total")
        let query = "api=" + node.apiURL + "&stream=" + stream + "&rebind=http://rebind.test:\(rebindPort)"
        let url = "http://127.0.0.1:\(attackerPort)/attacker.html?" + query
        let (chromeStatus, dom, chromeErrors) = try runProgram(Self.chromium, [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
            "--user-data-dir=" + scratch.path + "/chromium-profile",
            "--host-resolver-rules=MAP rebind.test 127.0.0.1",
            "--virtual-time-budget=30000", "--dump-dom", url,
        ], timeout: 120)
        XCTAssertEqual(chromeStatus, 0, String(chromeErrors.suffix(2000)))

        // The page's own account of every attack.
        let results = try Self.results(in: dom)
        print("hostile page, attack by attack:\n" + results.sorted { $0.key < $1.key }.map { "  \($0.key): \($0.value.prefix(160))" }.joined(separator: "\n"))
        let expected = ["fetch-cors-id", "fetch-cors-streams", "fetch-cors-credentials", "fetch-other-name-localhost",
                        "fetch-no-cors-id", "script-tag-streams", "script-tag-id", "iframe-id", "img-playlist", "img-segment",
                        "video-segment-canvas", "post-no-cors-gc", "post-no-cors-live", "post-no-cors-chat",
                        "post-zero-address-chat", "form-text-plain-chat", "form-urlencoded-live", "preflight-authorization",
                        "preflight-put", "websocket", "null-origin-post-chat",
                        "rebind-id", "rebind-streams", "rebind-playlist", "rebind-chat-post"]
        XCTAssertEqual(Set(results.keys).symmetricDifference(expected).sorted(), [], "attacks run: \(results)")
        for (attack, outcome) in results.sorted(by: { $0.key < $1.key }) {
            XCTAssertFalse(outcome.contains(node.address), "\(attack) read the node's address: \(outcome)")
            XCTAssertFalse(outcome.contains("#EXTM3U"), "\(attack) read the playlist: \(outcome)")
            if attack.hasPrefix("rebind-") {
                // Same-origin for the rebound page: it may read the answer, which must be the refusal.
                XCTAssertTrue(outcome.hasPrefix("403 ") && outcome.contains("is not this node"), "\(attack): \(outcome)")
            } else {
                XCTAssertTrue(outcome.hasPrefix("blocked"), "\(attack): \(outcome)")
            }
        }

        // The node's account: the requests came and were refused, nothing changed.
        // Chromium sent them (it blocked none itself): every attack but the
        // same-origin CORS reads' answers ends in a refusal the daemon counts.
        let refused = node.counter("peernode_api_refused_total") - refusedBefore
        print("refused by the daemon: \(Int(refused)) requests")
        XCTAssertGreaterThanOrEqual(refused, Double(expected.count - 2), "the attacks reached the daemon and were refused there")
        XCTAssertEqual(node.counter("peernode_hls_requests_total"), playlistsBefore, "no playlist was served to the page")
        let streams = try node.client.streams()
        XCTAssertEqual(streams.map(\.stream), [stream], "no live stream was started")
        let chat = try node.client.chat(stream)
        XCTAssertEqual(chat.lines.count, 0, "no chat line was sent: \(chat)")
        XCTAssertEqual(try node.client.stats().chunks, chunksBefore, "the store is as it was")

        // What a person would see on the attacker's page: a screenshot to look at.
        let shots = NSTemporaryDirectory() + "peernode-screenshots"
        try FileManager.default.createDirectory(atPath: shots, withIntermediateDirectories: true)
        let shot = shots + "/hostile-page.png"
        _ = try runProgram(Self.chromium, [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
            "--user-data-dir=" + scratch.path + "/chromium-profile", "--host-resolver-rules=MAP rebind.test 127.0.0.1",
            "--virtual-time-budget=30000", "--window-size=1100,1400", "--screenshot=" + shot, url,
        ], timeout: 120)
        XCTAssertTrue(FileManager.default.fileExists(atPath: shot), "the screenshot was saved")
        print("hostile page screenshot: \(shot)")
    }

    /// The JSON the page wrote into `<pre id="results">`, from Chromium's DOM dump.
    static func results(in dom: String) throws -> [String: String] {
        guard let start = dom.range(of: "<pre id=\"results\">"),
              let end = dom.range(of: "</pre>", range: start.upperBound..<dom.endIndex) else {
            throw TestFailure("no results in the page: \(dom.prefix(2000))")
        }
        let text = String(dom[start.upperBound..<end.lowerBound])
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String] else {
            throw TestFailure("the page did not finish its attacks: \(text.prefix(2000))")
        }
        return object
    }
}
