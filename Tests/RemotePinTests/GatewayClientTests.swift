import ContentStore
import Foundation
import TestSupport
import XCTest

@testable import RemotePin

final class GatewayClientTests: XCTestCase {
    nonisolated(unsafe) static var ipfs: LocalServices.Service?

    override class func setUp() { ipfs = try? LocalServices.startIPFS() }

    override class func tearDown() {
        ipfs?.stop()
        ipfs = nil
    }

    func testFetchAcceptsBytesThatHashToTheCID() throws {
        let s = try Self.ipfs ?? LocalServices.startIPFS()
        let kubo = KuboRPCClient(config: .init(apiURL: s.baseURL))
        let bytes = pseudoRandomBytes(900_000, seed: 31)
        let cid = try kubo.add(bytes, filename: "g", expected: UnixFS.root(of: bytes).cid).cid
        let gateway = GatewayClient(config: .init(gatewayURL: s.baseURL))
        XCTAssertEqual(try gateway.fetch(cid), bytes)
        // The same DAG named by its CIDv1 (same multihash) verifies too.
        XCTAssertEqual(try gateway.fetch(cid.v1), bytes)
    }

    func testAGatewayReturningOtherBytesIsRefused() throws {
        let s = try Self.ipfs ?? LocalServices.startIPFS()
        let kubo = KuboRPCClient(config: .init(apiURL: s.baseURL))
        let wanted = Array("the bytes we want".utf8)
        let other = Array("other bytes".utf8)
        let wantedCID = UnixFS.root(of: wanted).cid
        let otherCID = try kubo.add(other, filename: "o").cid
        // The gateway is asked for `wanted` and serves `other`.
        let lying = GatewayClient(config: .init(gatewayURL: s.baseURL),
                                  transport: RewritingTransport(from: wantedCID.description, to: otherCID.description))
        XCTAssertThrowsError(try lying.fetch(wantedCID)) { error in
            XCTAssertEqual(error as? RemotePinError, .contentMismatch(cid: wantedCID, gotBytes: other.count))
        }
    }

    func testAResponseOverTheSizeLimitIsRefused() throws {
        let s = try Self.ipfs ?? LocalServices.startIPFS()
        let bytes = pseudoRandomBytes(500_000, seed: 32)
        let cid = try KuboRPCClient(config: .init(apiURL: s.baseURL)).add(bytes, filename: "big").cid
        let small = GatewayClient(config: .init(gatewayURL: s.baseURL, maxBytes: 100_000))
        XCTAssertThrowsError(try small.fetch(cid)) { error in
            guard case RemotePinError.badResponse(_, let why) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(why.contains("larger than 100000"), why)
        }
    }

    func testMissingContentAndUnreachableGateway() throws {
        let s = try Self.ipfs ?? LocalServices.startIPFS()
        let gateway = GatewayClient(config: .init(gatewayURL: s.baseURL))
        let nobody = CID.hashing(Array("gateway nobody \(UUID())".utf8))
        XCTAssertThrowsError(try gateway.fetch(nobody)) { error in
            guard case RemotePinError.server(_, 504, _) = error else { return XCTFail("\(error)") }
        }
        let down = GatewayClient(config: .init(gatewayURL: "http://127.0.0.1:\(LocalServices.closedPort())", timeout: 5))
        XCTAssertThrowsError(try down.fetch(nobody)) { error in
            guard case RemotePinError.unreachable = error else { return XCTFail("\(error)") }
        }
    }

    func testVerifierOnRawAndDagPBCIDs() {
        let bytes = pseudoRandomBytes(1000, seed: 5)
        XCTAssertTrue(ContentVerifier.matches(bytes, cid: CID.hashing(bytes)))
        XCTAssertTrue(ContentVerifier.matches(bytes, cid: UnixFS.root(of: bytes).cid))
        var tampered = bytes
        tampered[500] ^= 1
        XCTAssertFalse(ContentVerifier.matches(tampered, cid: CID.hashing(bytes)))
        XCTAssertFalse(ContentVerifier.matches(tampered, cid: UnixFS.root(of: bytes).cid))
        let big = pseudoRandomBytes(600_000, seed: 6)
        XCTAssertTrue(ContentVerifier.matches(big, cid: UnixFS.root(of: big, options: .kuboCIDv1).cid))
        XCTAssertFalse(ContentVerifier.matches(big.dropLast(), cid: UnixFS.root(of: big, options: .kuboCIDv1).cid))
    }
}
