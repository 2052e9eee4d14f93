import CurlHTTP
import Foundation
import NetworkLab
import PeerNode
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The local API against requests a hostile page (or a careless client)
/// sends, each rule over plain HTTP against a real daemon
/// (docs/http-api.md, "Pages of other origins"; the browser itself is in
/// HostilePageTests).
final class LocalAPIGuardTests: XCTestCase {
    var scratch: Scratch!
    var node: DaemonProcess!
    var port = 0
    var token = ""

    override func setUpWithError() throws {
        scratch = try Scratch("guard")
        node = try DaemonProcess(name: "node", in: scratch, config: ["apiRequestTimeout": 1.5])
        port = Int(node.apiURL.split(separator: ":").last ?? "") ?? 0
        token = try node.apiToken()
    }

    override func tearDown() {
        node?.stop()
        node = nil
        scratch = nil
    }

    var chatPath: String { "/v1/chat/\(node.address)/show" }

    func chatLines() throws -> [PeerNode.ChatLine] {
        try node.client.chat("\(node.address)/show").lines
    }

    /// The refusal's `error` text ("" when the body is no error answer).
    func error(_ r: CurlHTTP.Response) -> String {
        (try? JSONDecoder().decode(APIServer.ErrorBody.self, from: Data(r.body)))?.error ?? ""
    }

    // MARK: Host (DNS rebinding)

    func testRequestsNamingAnotherHostAreRefused() throws {
        let foreign = ["evil.test:\(port)", "localhost.evil.test:\(port)", "127.0.0.1.nip.io:\(port)",
                       "127.0.0.1:\(port + 1)", "localhost", "0.0.0.0:\(port)", "[::]:\(port)",
                       "2130706433:\(port)", "127.1:\(port)", "localhost.:\(port)", "evil.test"]
        for host in foreign {
            let r = try request("GET", node.apiURL + "/v1/id", headers: [("Host", host)])
            XCTAssertEqual(r.status, 403, "Host \(host)")
            XCTAssertTrue(error(r).contains("is not this node"), "Host \(host): \(error(r))")
            XCTAssertFalse(String(decoding: r.body, as: UTF8.self).contains(node.address), "Host \(host) read the address")
            // With the right token too: a rebound page that somehow had it still changes nothing.
            let post = try request("POST", node.apiURL + chatPath, headers: [("Host", host), ("Authorization", "Bearer " + token)],
                                   body: Array(#"{"text":"rebound"}"#.utf8))
            XCTAssertEqual(post.status, 403, "POST with Host \(host)")
        }
        let empty = try request("GET", node.apiURL + "/v1/id", headers: [("Host", "")])
        XCTAssertEqual(empty.status, 403, "no Host header")
        // Two Host headers (curl sends one): the second must not slip past.
        let twice = try RawConnection(port: port)
        twice.send("GET /v1/id HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nHost: evil.test:\(port)\r\nConnection: close\r\n\r\n")
        let answer = twice.readAll(within: 5)
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 403") && answer.contains("two Host headers"), String(answer.prefix(300)))
        for host in ["127.0.0.1:\(port)", "localhost:\(port)", "LOCALHOST:\(port)", "[::1]:\(port)"] {
            let r = try request("GET", node.apiURL + "/v1/id", headers: [("Host", host)])
            XCTAssertEqual(r.status, 200, "Host \(host): \(error(r))")
        }
        XCTAssertEqual(try chatLines().count, 0, "a refused POST must change nothing")
    }

    // MARK: Origin, Sec-Fetch-Site, Referer, preflights (CSRF, cross-origin reads)

    func testPagesOfOtherOriginsAreRefused() throws {
        let auth = ("Authorization", "Bearer " + token)
        let refusals: [[(String, String)]] = [
            [("Origin", "http://evil.test")], [("Origin", "null")], [("Origin", "http://127.0.0.1:\(port + 1)")],
            [("Origin", "https://127.0.0.1:\(port)")], [("Origin", "http://127.0.0.1:\(port)/x")],
            [("Origin", "http://127.0.0.1:\(port)"), ("Origin", "http://evil.test")],
            [("Sec-Fetch-Site", "cross-site")], [("Sec-Fetch-Site", "same-site")],
            [("Origin", "http://127.0.0.1:\(port)"), ("Sec-Fetch-Site", "cross-site")],
            [("Referer", "http://evil.test/page.html")], [("Referer", "http://127.0.0.1:\(port + 1)/")],
        ]
        for headers in refusals {
            let get = try request("GET", node.apiURL + "/v1/id", headers: headers)
            XCTAssertEqual(get.status, 403, "GET with \(headers)")
            XCTAssertFalse(String(decoding: get.body, as: UTF8.self).contains(node.address))
            XCTAssertFalse(error(get).isEmpty, "a refusal says why")
            XCTAssertNil(get.headers["access-control-allow-origin"])
            // A simple (no-preflight) POST, with the token even: refused before any route runs.
            let post = try request("POST", node.apiURL + chatPath, headers: headers + [auth, ("Content-Type", "text/plain")],
                                   body: Array(#"{"text":"csrf"}"#.utf8))
            XCTAssertEqual(post.status, 403, "POST with \(headers)")
            let segment = try request("GET", node.apiURL + "/hls/\(node.address)/show/0.ts", headers: headers)
            XCTAssertEqual(segment.status, 403, "segment with \(headers)")
        }
        XCTAssertEqual(try chatLines().count, 0, "no refused POST may change anything")

        // A CORS preflight is refused, and no answer carries CORS headers.
        let preflight = try request("OPTIONS", node.apiURL + "/v1/gc", headers: [
            ("Origin", "http://evil.test"), ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "authorization"), ("Access-Control-Request-Private-Network", "true")])
        XCTAssertEqual(preflight.status, 403)
        let bare = try request("OPTIONS", node.apiURL + "/v1/gc")
        XCTAssertEqual(bare.status, 403)
        for r in [preflight, bare] {
            XCTAssertTrue(r.headers.keys.allSatisfy { !$0.lowercased().hasPrefix("access-control-") }, "\(r.headers)")
        }

        // The node's own pages, players and nodectl.
        let allowed: [[(String, String)]] = [
            [], [("Origin", "http://127.0.0.1:\(port)")], [("Origin", "http://localhost:\(port)")],
            [("Sec-Fetch-Site", "same-origin")], [("Sec-Fetch-Site", "none")],
            [("Referer", "http://127.0.0.1:\(port)/watch")],
        ]
        for headers in allowed {
            let r = try request("GET", node.apiURL + "/v1/id", headers: headers)
            XCTAssertEqual(r.status, 200, "GET with \(headers): \(error(r))")
            XCTAssertEqual(r.headers["cross-origin-resource-policy"], "same-origin")
            XCTAssertEqual(r.headers["x-content-type-options"], "nosniff")
            XCTAssertEqual(r.headers["x-frame-options"], "DENY")
            XCTAssertNil(r.headers["access-control-allow-origin"])
        }
        let own = try request("POST", node.apiURL + chatPath, headers: [("Origin", "http://127.0.0.1:\(port)"), auth],
                              body: Array(#"{"text":"from the node's own page"}"#.utf8))
        XCTAssertEqual(own.status, 200, error(own))
        // Without the token even the node's own origin changes nothing.
        let noToken = try request("POST", node.apiURL + chatPath, headers: [("Origin", "http://127.0.0.1:\(port)")],
                                  body: Array(#"{"text":"no token"}"#.utf8))
        XCTAssertEqual(noToken.status, 401)
        let wrongToken = try request("POST", node.apiURL + chatPath, headers: [("Authorization", "Bearer " + String(token.dropLast()) + "0")],
                                     body: Array(#"{"text":"wrong token"}"#.utf8))
        XCTAssertEqual(wrongToken.status, 401)
        try waitFor("the one accepted chat line", timeout: 10) { try self.chatLines().count == 1 }
    }

    // MARK: Bodies

    func testBodiesOverTheLimitGet413AndBadBodies400() throws {
        let auth = ("Authorization", "Bearer " + token)
        // 50 MB to /v1/publish answered 500 before; now 413 with a JSON error, before the body is read.
        let big = [UInt8](repeating: UInt8(ascii: "a"), count: 50 << 20)
        let started = Date()
        let publish = try request("POST", node.apiURL + "/v1/publish", headers: [auth, ("Content-Type", "application/json")], body: big, timeout: 60)
        XCTAssertEqual(publish.status, 413)
        XCTAssertTrue(error(publish).contains("too large") && error(publish).contains("65536"), error(publish))
        XCTAssertLessThan(Date().timeIntervalSince(started), 30)
        // Routes that take no body are bounded the same way.
        let gc = try request("POST", node.apiURL + "/v1/gc", headers: [auth], body: big, timeout: 60)
        XCTAssertEqual(gc.status, 413)
        // Without the token: 401 first, nothing read.
        let anonymous = try request("POST", node.apiURL + "/v1/publish", body: big, timeout: 60)
        XCTAssertEqual(anonymous.status, 401)

        // A chunked body (no Content-Length) is counted as it arrives.
        let conn = try RawConnection(port: port)
        let chunk = String(repeating: "b", count: 32 * 1024)
        var text = "POST \(chatPath) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAuthorization: Bearer \(token)\r\nTransfer-Encoding: chunked\r\n\r\n"
        for _ in 0..<3 { text += String(32 * 1024, radix: 16) + "\r\n" + chunk + "\r\n" }
        text += "0\r\n\r\n"
        conn.send(text)
        let answer = conn.readAll(within: 5)
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 413"), String(answer.prefix(300)))
        XCTAssertTrue(answer.contains("too large"), String(answer.prefix(600)))
        conn.close()

        // Bodies that are not the JSON a call takes: 400, naming what is wrong.
        let cases: [(String, String, String)] = [
            (chatPath, "not json", "not JSON"),
            (chatPath, "{}", "`text`"),
            (chatPath, #"{"text": 5}"#, "`text` must be a string"),
            ("/v1/tip", #"{"stream": "x/y", "amount": -1}"#, "`amount` must be a whole number"),
            ("/v1/tip", #"{"stream": "x/y", "amount": 1.5}"#, "`amount` must be a whole number"),
            ("/v1/tip", #"{"stream": "x/y", "amount": "5"}"#, "`amount` must be a whole number"),
            ("/v1/publish", #"{"title": "t"}"#, "`video`"),
            ("/v1/live", "[1,2]", "JSON object"),
            // A negative number of seconds decodes; the missing field is what is wrong.
            ("/v1/live", #"{"hlsDir": "/nonexistent", "stallTimeout": -5}"#, "the body needs the field `title`"),
        ]
        for (path, body, expected) in cases {
            let r = try request("POST", node.apiURL + path, headers: [auth], body: Array(body.utf8))
            XCTAssertEqual(r.status, 400, "\(path) \(body)")
            XCTAssertTrue(error(r).contains(expected), "\(path) \(body): \(error(r))")
        }
        XCTAssertEqual(try chatLines().count, 0)
        XCTAssertEqual(try node.client.id().address, node.address, "the daemon still answers")
    }

    // MARK: What schemathesis found (ApiSpecTests)

    func testChatLimitOutOfRangeIs400NotACrash() throws {
        // `?limit=-853` killed the daemon (a negative suffix in the chat history).
        for limit in ["-853", "0", "1001", "", "x", "99999999999999999999"] {
            let r = try request("GET", node.apiURL + chatPath + "?limit=" + limit)
            XCTAssertEqual(r.status, 400, "limit=\(limit)")
            XCTAssertTrue(error(r).contains("limit must be a whole number from 1 to 1000"), error(r))
        }
        let ok = try request("GET", node.apiURL + chatPath + "?limit=5")
        XCTAssertEqual(ok.status, 200, error(ok))
        XCTAssertEqual(try node.client.id().address, node.address, "the daemon still runs")
    }

    func testUnknownRoutesAnswerAJSONError() throws {
        for (method, path) in [("GET", "/nope"), ("DELETE", "/v1/id"), ("HEAD", "/v1/gc"), ("GET", "/v1/gc")] {
            let r = try request(method, node.apiURL + path)
            XCTAssertEqual(r.status, 404, "\(method) \(path)")
            if method != "HEAD" {
                XCTAssertTrue(error(r).contains("no route \(method) \(path)"), "\(method) \(path): \(error(r))")
            }
            XCTAssertEqual(r.headers["cross-origin-resource-policy"], "same-origin")
        }
    }

    // MARK: Slow and idle connections

    func testSlowAndIdleConnectionsAreClosed() throws {
        // apiRequestTimeout is 1.5 s in this node's config.json.
        let idle = try RawConnection(port: port)
        XCTAssertTrue(idle.isClosedByPeer(within: 6), "a connection that never sends is closed")

        // A header trickled a byte every 200 ms: activity, but no request within the limit.
        let slow = try RawConnection(port: port)
        let head = Array("GET /v1/id HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nX-Padding: \(String(repeating: "p", count: 60))\r\n\r\n".utf8)
        let started = Date()
        var closed = false
        for byte in head {
            if !slow.send([byte]) { closed = true; break }
            if slow.isClosedByPeer(within: 0.2) { closed = true; break }
            if Date().timeIntervalSince(started) > 8 { break }
        }
        XCTAssertTrue(closed, "a slowloris client is closed")
        XCTAssertLessThan(Date().timeIntervalSince(started), 6)

        // A slow body is bounded the same way.
        let slowBody = try RawConnection(port: port)
        slowBody.send("POST \(chatPath) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAuthorization: Bearer \(token)\r\nContent-Length: 100\r\n\r\n{\"te")
        XCTAssertTrue(slowBody.isClosedByPeer(within: 6), "a body that never ends is closed")

        // A keep-alive connection gets its answer, then is closed once idle.
        let keepAlive = try RawConnection(port: port)
        keepAlive.send("GET /v1/id HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\r\n")
        let answer = keepAlive.readAll(within: 6)
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 200"), String(answer.prefix(200)))
        XCTAssertTrue(answer.contains(node.address))
        // readAll returned because the server closed the idle connection, not at its deadline.
        XCTAssertEqual(try chatLines().count, 0)
        XCTAssertEqual(try node.client.id().address, node.address, "others are still answered")
    }
}

/// A client that stops reading an answer is closed; one that reads slowly is not.
final class SlowReaderTests: XCTestCase {
    func testAClientThatStopsReadingIsClosedAndASlowOneGetsEverything() throws {
        let scratch = try Scratch("slowreader")
        let node = try DaemonProcess(name: "node", in: scratch, config: ["apiRequestTimeout": 1.5])
        defer { node.stop() }
        // Noise, losslessly coded: a segment of many megabytes, more than the socket buffers hold.
        let video = scratch.path + "/noise.mp4"
        try ffmpeg(["-f", "lavfi", "-i", "nullsrc=s=640x360:r=25:d=2,geq=lum='random(1)*255':cb=128:cr=128",
                    "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-g", "25", "-pix_fmt", "yuv420p", video])
        let published = try node.publish(video, title: "noise", name: "noise")
        XCTAssertEqual(published.status, 200, "\(published)")
        let manifest = try node.client.manifest("\(node.address)/noise")
        let first = try XCTUnwrap(manifest.segments.first)
        let size = Int(first.size)
        let sequence = Int(first.sequence)
        XCTAssertGreaterThan(size, 4 << 20)
        let port = Int(node.apiURL.split(separator: ":").last ?? "") ?? 0
        let get = "GET /hls/\(node.address)/noise/\(sequence).ts HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\r\n"

        // Asks, then reads nothing for 5 s: the answer stalls and the connection is closed.
        let stalled = try RawConnection(port: port, receiveBuffer: 4096)
        stalled.send(get)
        usleep(5_000_000)
        let got = stalled.readBytes(within: 10).count
        XCTAssertLessThan(got, size, "a client that stopped reading was closed before the whole segment")

        // Reads slowly but steadily (longer in all than the limit): gets every byte.
        let slow = try RawConnection(port: port, receiveBuffer: 65536)
        slow.send(get)
        var total: [UInt8] = []
        let started = Date()
        while Date().timeIntervalSince(started) < 60 {
            // 32 KiB every 10 ms at most: seconds for the segment, the limit many times over.
            let part = slow.readSome(32 * 1024, within: 0.5)
            if part.isEmpty && total.count > size { break }
            total += part
            usleep(10_000)
        }
        XCTAssertGreaterThan(Date().timeIntervalSince(started), 1.5)
        XCTAssertTrue(String(decoding: total.prefix(20), as: UTF8.self).hasPrefix("HTTP/1.1 200"))
        XCTAssertGreaterThan(total.count, size, "headers and every byte of the segment")
    }
}

/// Key, token and voucher-book files are the user's alone, whatever umask the daemon starts with.
final class PrivateFilesTests: XCTestCase {
    func testDataDirectoryIs0700AndSecretsAre0600WithAPermissiveUmask() throws {
        let scratch = try Scratch("private")
        let old = umask(0)
        defer { umask(old) }
        // A program id (any key) opens the voucher book; no chain needs to answer for that.
        let node = try DaemonProcess(name: "node", in: scratch,
                                     config: ["programId": "BPFLoaderUpgradeab1e11111111111111111111111", "chainRPC": "http://127.0.0.1:9"]) { dir in
            // As a careless user or an older version may have left them.
            XCTAssertEqual(chmod(dir, 0o777), 0)
            XCTAssertTrue(FileManager.default.createFile(atPath: dir + "/api.token",
                                                         contents: Data((String(repeating: "ab", count: 32) + "\n").utf8),
                                                         attributes: [.posixPermissions: 0o644]))
        }
        defer { node.stop() }
        func mode(_ path: String) -> Int {
            var st = stat()
            guard stat(node.dataDir + path, &st) == 0 else { return -1 }
            return Int(st.st_mode & 0o777)
        }
        XCTAssertEqual(mode(""), 0o700, "the data directory")
        XCTAssertEqual(mode("/api.token"), 0o600, "a token file others could read is made private")
        XCTAssertEqual(mode("/identity.json"), 0o600, "the key file")
        XCTAssertEqual(mode("/payments"), 0o700, "the voucher book's folder")
        for file in ["/payments/data.mdb", "/payments/lock.mdb"] {
            XCTAssertEqual(mode(file), 0o600, file)
        }
        for file in ["/api.json", "/ports.json"] where FileManager.default.fileExists(atPath: node.dataDir + file) {
            XCTAssertEqual(mode(file) & 0o077, 0, "\(file) is written for this user alone")
        }
        // A token written fresh is private too.
        node.stop()
        XCTAssertEqual(unlink(node.dataDir + "/api.token"), 0)
        try node.restart()
        XCTAssertEqual(mode("/api.token"), 0o600)
        XCTAssertEqual(try node.apiToken().count, 64)
    }
}
