import ContentStore
import CurlHTTP
import Foundation
import TestSupport
import XCTest

@testable import RemotePin

/// The kubo RPC client against localipfs (a real kubo node behind kubo's RPC shape).
final class KuboRPCClientTests: XCTestCase {
    nonisolated(unsafe) static var ipfs: LocalServices.Service?

    override class func setUp() {
        ipfs = try? LocalServices.startIPFS()
    }

    override class func tearDown() {
        ipfs?.stop()
        ipfs = nil
    }

    func service() throws -> LocalServices.Service {
        guard let s = Self.ipfs else { return try LocalServices.startIPFS() }  // surfaces the start error
        return s
    }

    func testAddWithExpectedCIDThenPinLsCatAndID() throws {
        let s = try service()
        let kubo = KuboRPCClient(config: .init(apiURL: s.baseURL))
        let bytes = pseudoRandomBytes(700_000, seed: 11)
        let expected = UnixFS.root(of: bytes).cid
        let uploaded = LockedCounter()
        let added = try kubo.add(bytes, filename: "video.ts", expected: expected) { done, _ in uploaded.set(done) }
        XCTAssertEqual(added.cid, expected)
        XCTAssertEqual(added.name, "video.ts")
        XCTAssertGreaterThanOrEqual(uploaded.value, UInt64(bytes.count), "upload progress reaches the body's end")
        XCTAssertEqual(try kubo.pinLs(expected)[expected.description], "recursive")
        XCTAssertEqual(try kubo.cat(expected), bytes)
        let id = try kubo.id()
        XCTAssertTrue(id.id.hasPrefix("Qm") || id.id.hasPrefix("12D3"))
        XCTAssertTrue(id.addresses?.first?.hasPrefix("/ip4/127.0.0.1/tcp/") ?? false)
        try kubo.pinAdd(expected)
    }

    func testAServerCIDOtherThanTheExpectedOneIsRefused() throws {
        let kubo = KuboRPCClient(config: .init(apiURL: try service().baseURL))
        let wrong = UnixFS.root(of: Array("something else".utf8)).cid
        XCTAssertThrowsError(try kubo.add(Array("hello".utf8), filename: "h", expected: wrong)) { error in
            guard case RemotePinError.cidMismatch(let expected, let got) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(expected, wrong)
            XCTAssertEqual(got, UnixFS.root(of: Array("hello".utf8)).cid.description)
        }
    }

    func testServerRefusalIsReportedInItsOwnWords() throws {
        let kubo = KuboRPCClient(config: .init(apiURL: try service().baseURL))
        // localipfs refuses CIDv1 adds: kubo's library cannot make them.
        XCTAssertThrowsError(try kubo.add([1, 2, 3], filename: "x", cidVersion: 1)) { error in
            guard case RemotePinError.server(_, let status, let message) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(status, 500)
            XCTAssertTrue(message.contains("cid-version=1"), message)
        }
        XCTAssertThrowsError(try kubo.pinLs(UnixFS.root(of: Array("never added".utf8)).cid)) { error in
            guard case RemotePinError.server(_, 500, let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("not pinned"), message)
        }
    }

    func testCatOfContentNobodyHasEndsWithTheServersTimeOut() throws {
        let kubo = KuboRPCClient(config: .init(apiURL: try service().baseURL))
        let nobody = CID.hashing(Array("content no peer has \(UUID())".utf8))
        XCTAssertThrowsError(try kubo.cat(nobody)) { error in
            guard case RemotePinError.server(_, 504, let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("could not fetch"), message)
        }
    }

    func testClientTimeOut() throws {
        // The server would wait 3 s for the content; the client gives up after 1.
        let kubo = KuboRPCClient(config: .init(apiURL: try service().baseURL, timeout: 1))
        let nobody = CID.hashing(Array("content no peer has \(UUID())".utf8))
        XCTAssertThrowsError(try kubo.cat(nobody)) { error in
            guard case RemotePinError.timedOut(_, 1) = error else { return XCTFail("\(error)") }
        }
    }

    func testUnreachableServer() {
        let kubo = KuboRPCClient(config: .init(apiURL: "http://127.0.0.1:\(LocalServices.closedPort())", timeout: 5))
        XCTAssertThrowsError(try kubo.id()) { error in
            guard case RemotePinError.unreachable = error else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("is the service running?"))
        }
    }

    func testStreamedUploadAndABodyThatFailsMidway() throws {
        let kubo = KuboRPCClient(config: .init(apiURL: try service().baseURL))
        let bytes = pseudoRandomBytes(3_000_000, seed: 12)
        let expected = UnixFS.root(of: bytes).cid
        XCTAssertEqual(try kubo.add(streaming: .bytes(bytes), filename: "s", expected: expected).cid, expected)
        struct DiskFailed: Error {}
        let failing = HTTPBodyStream(length: 1_000_000) { _ in throw DiskFailed() }
        XCTAssertThrowsError(try kubo.add(streaming: failing, filename: "f")) { error in
            guard case RemotePinError.fileUnreadable(_, let why) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(why.contains("DiskFailed"), why)
        }
    }

    func testAuthorizationHeaderFromConfig() throws {
        let guarded = try LocalServices.startIPFS(rpcToken: "rpc-secret")
        defer { guarded.stop() }
        let anonymous = KuboRPCClient(config: .init(apiURL: guarded.baseURL))
        XCTAssertThrowsError(try anonymous.id()) { error in
            guard case RemotePinError.server(_, 403, let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("Authorization"), message)
        }
        let authorized = KuboRPCClient(config: .init(apiURL: guarded.baseURL, authorization: "Bearer rpc-secret"))
        XCTAssertFalse(try authorized.id().id.isEmpty)
    }

    func testTruncatedUploadIsRefusedByTheServer() throws {
        let s = try service()
        // The multipart body loses its end on the way (declared length matches what is sent).
        let kubo = KuboRPCClient(config: .init(apiURL: s.baseURL), transport: TruncatingTransport(keep: 0.5))
        XCTAssertThrowsError(try kubo.add(pseudoRandomBytes(100_000), filename: "cut")) { error in
            guard case RemotePinError.server(_, 400, let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("truncated"), message)
        }
    }
}

/// Sends only the first part of each request body: a client cut off mid-upload.
struct TruncatingTransport: HTTPClient {
    let keep: Double
    func send(_ request: HTTPRequest) throws(CurlHTTP.Failure) -> HTTPResponse {
        var r = request
        r.body = Array(request.body.prefix(Int(Double(request.body.count) * keep)))
        if let stream = request.bodyStream {
            let cut = Int(Double(stream.length) * keep)
            let sent = LockedCounter()
            r.bodyStream = HTTPBodyStream(length: cut) { buffer in
                let room = min(buffer.count, cut - Int(sent.value))
                guard room > 0 else { return 0 }
                let n = try stream.read(UnsafeMutableRawBufferPointer(rebasing: buffer[0..<room]))
                sent.add(UInt64(n))
                return n
            }
        }
        return try CurlClient().send(r)
    }
}

/// Rewrites every URL: a gateway asked for one thing that serves another.
struct RewritingTransport: HTTPClient {
    let from: String
    let to: String
    func send(_ request: HTTPRequest) throws(CurlHTTP.Failure) -> HTTPResponse {
        var r = request
        r.url = request.url.replacingOccurrences(of: from, with: to)
        return try CurlClient().send(r)
    }
}

final class LockedCounter: @unchecked Sendable {  // every access holds the lock
    private let lock = NSLock()
    private var v: UInt64 = 0
    func set(_ n: UInt64) { lock.lock(); v = max(v, n); lock.unlock() }
    func add(_ n: UInt64) { lock.lock(); v += n; lock.unlock() }
    var value: UInt64 { lock.lock(); defer { lock.unlock() }; return v }
}
