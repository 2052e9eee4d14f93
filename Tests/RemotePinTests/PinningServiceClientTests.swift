import ContentStore
import Foundation
import TestSupport
import XCTest

@testable import RemotePin

/// The Pinning Service API client against localipfs's pinning service (real
/// kubo pins behind it, real status transitions).
final class PinningServiceClientTests: XCTestCase {
    nonisolated(unsafe) static var ipfs: LocalServices.Service?

    override class func setUp() {
        ipfs = try? LocalServices.startIPFS(token: "psa-token", pinTimeout: 3)
    }

    override class func tearDown() {
        ipfs?.stop()
        ipfs = nil
    }

    func clients(token: String = "psa-token") throws -> (KuboRPCClient, PinningServiceClient) {
        let s = try Self.ipfs ?? LocalServices.startIPFS()
        return (KuboRPCClient(config: .init(apiURL: s.baseURL)),
                PinningServiceClient(config: .init(endpoint: s.baseURL, token: token)))
    }

    func testPinGoesQueuedToPinnedAndCanBeListedAndRemoved() throws {
        let (kubo, psa) = try clients()
        let bytes = pseudoRandomBytes(300_000, seed: 21)
        let cid = try kubo.add(bytes, filename: "a", expected: UnixFS.root(of: bytes).cid, pin: false).cid
        let name = "vod-\(UUID().uuidString.prefix(6))"
        let created = try psa.add(Pin(cid: cid.description, name: name, meta: ["manifest": "bafytest"]))
        XCTAssertEqual(created.status, .queued)
        XCTAssertFalse(created.delegates.isEmpty)
        var seen: [PinState] = []
        let done = try psa.waitUntilDone(created.requestid, timeout: 30, pollInterval: 0.05) { seen.append($0.status) }
        XCTAssertEqual(done.status, .pinned)
        XCTAssertEqual(seen.last, .pinned)
        XCTAssertEqual(try kubo.pinLs(cid)[cid.description], "recursive", "the service really pinned it in kubo")

        let listed = try psa.list(name: name)
        XCTAssertEqual(listed.count, 1)
        XCTAssertEqual(listed.results.first?.requestid, created.requestid)
        XCTAssertEqual(try psa.list(meta: ["manifest": "bafytest"], limit: 1000).results.map(\.requestid).contains(created.requestid), true)
        XCTAssertEqual(try psa.list(name: name, statuses: [.failed]).count, 0)

        try psa.remove(created.requestid)
        XCTAssertThrowsError(try psa.status(created.requestid)) { error in
            guard case RemotePinError.server(_, 404, let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("NOT_FOUND"), message)
        }
    }

    func testContentNobodyHasFailsWithTheServicesReason() throws {
        let (_, psa) = try clients()
        let nobody = CID.hashing(Array("nobody has this \(UUID())".utf8))
        let created = try psa.add(Pin(cid: nobody.description))
        XCTAssertThrowsError(try psa.waitUntilDone(created.requestid, timeout: 30, pollInterval: 0.1)) { error in
            guard case RemotePinError.pinFailed(let id, let cid, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(id, created.requestid)
            XCTAssertEqual(cid, nobody.description)
            XCTAssertTrue(reason.contains("not found"), reason)
        }
        XCTAssertEqual(try psa.status(created.requestid).status, .failed)
    }

    func testAPinThatDoesNotFinishInTimeIsReportedWithItsLastStatus() throws {
        let (_, psa) = try clients()
        let nobody = CID.hashing(Array("still looking \(UUID())".utf8))
        let created = try psa.add(Pin(cid: nobody.description))
        XCTAssertThrowsError(try psa.waitUntilDone(created.requestid, timeout: 0.5, pollInterval: 0.1)) { error in
            guard case RemotePinError.pinTimedOut(_, _, let status, _) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(status == "queued" || status == "pinning", status)
            XCTAssertTrue("\(error)".contains("may finish later"))
        }
    }

    func testWrongTokenAndBadCIDAreRefused() throws {
        let (_, wrong) = try clients(token: "not-the-token")
        XCTAssertThrowsError(try wrong.list()) { error in
            guard case RemotePinError.server(_, 401, let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("UNAUTHORIZED"), message)
        }
        let (_, psa) = try clients()
        XCTAssertThrowsError(try psa.add(Pin(cid: "not-a-cid"))) { error in
            guard case RemotePinError.server(_, 400, _) = error else { return XCTFail("\(error)") }
        }
    }

    /// The content lives on another kubo node; the pin names it as an origin
    /// and the service's node fetches it over Bitswap on loopback.
    func testPinFetchesFromAnOriginNode() throws {
        let (_, psa) = try clients()
        let origin = try LocalServices.startIPFS(token: "other")
        defer { origin.stop() }
        let originKubo = KuboRPCClient(config: .init(apiURL: origin.baseURL))
        let bytes = pseudoRandomBytes(600_000, seed: 23)
        let cid = try originKubo.add(bytes, filename: "o", expected: UnixFS.root(of: bytes).cid).cid
        let addresses = try originKubo.id().addresses ?? []
        let created = try psa.add(Pin(cid: cid.description, origins: addresses))
        XCTAssertEqual(try psa.waitUntilDone(created.requestid, timeout: 30, pollInterval: 0.1).status, .pinned)
        let gateway = GatewayClient(config: .init(gatewayURL: Self.ipfs!.baseURL))
        XCTAssertEqual(try gateway.fetch(cid), bytes)
    }
}
