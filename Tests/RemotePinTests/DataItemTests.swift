import ContentStore
import CurlHTTP
import Foundation
import Identity
import TestSupport
import XCTest

@testable import RemotePin

/// ANS-104 data items signed with the node's Ed25519 key, and the bundler
/// client against localarweave, which checks every item with irys-sdk's
/// parser and deep hash plus PyNaCl before storing it.
final class DataItemTests: XCTestCase {
    nonisolated(unsafe) static var arweave: LocalServices.Service?

    override class func setUp() { arweave = try? LocalServices.startArweave() }

    override class func tearDown() {
        arweave?.stop()
        arweave = nil
    }

    let key = KeyPair.fromSeed([UInt8](repeating: 7, count: 32))
    let tags = [DataItemTag("Content-Type", "video/mp2t"), DataItemTag("Manifest-CID", "bafytest"),
                DataItemTag("Stream-Id", "stream-1")]

    func bundler() throws -> BundlerClient {
        let s = try Self.arweave ?? LocalServices.startArweave()
        return BundlerClient(config: .init(bundlerURL: s.baseURL))
    }

    func testSignEncodeDecodeRoundTrip() throws {
        let data = pseudoRandomBytes(5000)
        let item = try DataItem.sign(data: data, tags: tags, anchor: [UInt8](repeating: 1, count: 32), key: key)
        XCTAssertEqual(item.signatureType, DataItem.ed25519)
        XCTAssertEqual(item.owner, key.publicKey)
        XCTAssertTrue(item.signatureIsValid)
        XCTAssertEqual(item.id.count, 43)
        let decoded = try DataItem.decode(item.encoded())
        XCTAssertEqual(decoded, item)
        XCTAssertEqual(decoded.tag("content-type"), "video/mp2t")
        // Ed25519 is deterministic: same key, same contents, same id.
        XCTAssertEqual(try DataItem.sign(data: data, tags: tags, anchor: [UInt8](repeating: 1, count: 32), key: key).id, item.id)
    }

    func testTheIndependentBundlerAcceptsOurItemsAndServesThemBack() throws {
        let client = try bundler()
        for (data, tags) in [(pseudoRandomBytes(70_000, seed: 41), tags), ([], []), (Array("x".utf8), [DataItemTag("A", "b")])] {
            let item = try DataItem.sign(data: data, tags: tags, key: key)
            let receipt = try client.upload(item)
            XCTAssertEqual(receipt.id, item.id)
            let back = try client.fetch(id: item.id)
            XCTAssertEqual(back, item)
            XCTAssertEqual(back.data, data)
        }
        // The gateway's view of the data and tags (decoded by irys-sdk's Avro reader).
        let item = try DataItem.sign(data: Array("hello arweave".utf8), tags: tags, key: key)
        _ = try client.upload(item)
        let s = Self.arweave!
        let data = try CurlClient().send(HTTPRequest(method: "GET", url: s.baseURL + "/" + item.id, timeout: 10))
        XCTAssertEqual(data.body, Array("hello arweave".utf8))
        XCTAssertEqual(data.headers["content-type"], "video/mp2t")
        XCTAssertEqual(data.headers["x-arweave-tag-stream-id"], "stream-1")
        let tagJSON = try CurlClient().send(HTTPRequest(method: "GET", url: s.baseURL + "/tx/\(item.id)/tags", timeout: 10))
        XCTAssertEqual(try JSONDecoder().decode([DataItemTag].self, from: Data(tagJSON.body)), tags)
    }

    func testTamperedItemsFailHereAndAtTheBundler() throws {
        let client = try bundler()
        let item = try DataItem.sign(data: pseudoRandomBytes(1000, seed: 43), tags: tags, key: key)
        let good = item.encoded()
        let other = KeyPair.fromSeed([UInt8](repeating: 9, count: 32))
        var dataFlipped = good
        dataFlipped[dataFlipped.count - 1] ^= 1
        var tagFlipped = good
        tagFlipped[2 + 64 + 32 + 2 + 16 + 3] ^= 0x01
        var ownerSwapped = good
        ownerSwapped.replaceSubrange(66..<98, with: other.publicKey)
        var signatureFlipped = good
        signatureFlipped[10] ^= 0x80
        for (label, bytes) in [("data", dataFlipped), ("tag", tagFlipped), ("owner", ownerSwapped),
                               ("signature", signatureFlipped)] {
            XCTAssertThrowsError(try DataItem.decode(bytes), label) { error in
                guard case RemotePinError.invalidDataItem = error else { return XCTFail("\(label): \(error)") }
            }
            XCTAssertThrowsError(try client.uploadEncoded(bytes), label) { error in
                guard case RemotePinError.server(_, 400, let message) = error else { return XCTFail("\(label): \(error)") }
                XCTAssertTrue(message.contains("invalid data item"), "\(label): \(message)")
            }
        }
    }

    func testMalformedItemsAreRejectedNeverCrash() throws {
        let client = try bundler()
        let good = try DataItem.sign(data: pseudoRandomBytes(300), tags: tags, key: key).encoded()
        // Every truncation fails cleanly, here and there.
        for cut in [0, 1, 2, 50, 98, 99, 100, 115, 116, 130, good.count - 300 - 1] {
            XCTAssertThrowsError(try DataItem.decode(Array(good.prefix(cut))), "cut at \(cut)")
        }
        XCTAssertThrowsError(try client.uploadEncoded(Array(good.prefix(120)))) { error in
            guard case RemotePinError.server(_, 400, _) = error else { return XCTFail("\(error)") }
        }
        // A presence byte other than 0 or 1, a tag count beyond the limit, an unknown signature type.
        var flag = good
        flag[98] = 2
        var manyTags = good
        manyTags.replaceSubrange(100..<108, with: [200, 0, 0, 0, 0, 0, 0, 0])
        var rsa = good
        rsa[0] = 1
        for bytes in [flag, manyTags, rsa] {
            XCTAssertThrowsError(try DataItem.decode(bytes))
            XCTAssertThrowsError(try client.uploadEncoded(bytes))
        }
        // Random single-byte changes: always an error, never a crash.
        var x: UInt64 = 12345
        for _ in 0..<300 {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            var b = good
            b[Int(x % UInt64(b.count))] ^= UInt8(truncatingIfNeeded: x >> 32) | 1
            XCTAssertThrowsError(try DataItem.decode(b))
        }
    }

    /// Found by the ans104 fuzzer (a long run): a tag block count of
    /// Int64.min, negated, trapped. The input is in fuzz/corpus/ans104 too.
    func testATagBlockCountOfTheSmallestLongIsAnError() throws {
        let found = Array(Data(base64Encoded: "AgBDiPGC2lN0cmlkZWFibGVEZWNvZGFibGUAU3RyaWRlYWJsZQAAAhhDb250ZVOIoMywcJJtokk8GQaKiHSK3QYZ44jj3XQJ8ZX9UtstPLpdYwAAAAAAAAAb83SIAbQPb1wAAAEAAAAAAAAAGgAAAAAAAAD///////////9jAAAAAAAAAG50ZURlY29wkGQ=")!)
        XCTAssertThrowsError(try DataItem.decode(found)) { error in
            guard case RemotePinError.invalidDataItem = error else { return XCTFail("\(error)") }
        }
        // The same count alone: a header with no target or anchor, then 10
        // tag bytes holding the zigzag long ff..ff 01, which is Int64.min.
        let signed = try DataItem.sign(data: Array("x".utf8), key: key).encoded()
        let le64: (UInt64) -> [UInt8] = { n in (0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * $0)) } }
        let item = Array(signed.prefix(2 + 64 + 32)) + [0, 0] + le64(0) + le64(10)
            + [UInt8](repeating: 0xFF, count: 9) + [0x01]
        XCTAssertThrowsError(try DataItem.decode(item)) { error in
            guard case RemotePinError.invalidDataItem(let why) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(why.contains("block count"), why)
        }
    }

    func testAGatewayServingAnotherItemIsRefused() throws {
        let client = try bundler()
        let a = try DataItem.sign(data: Array("a".utf8), key: key)
        let b = try DataItem.sign(data: Array("b".utf8), key: key)
        _ = try client.upload(a)
        _ = try client.upload(b)
        let lying = BundlerClient(config: client.config, transport: RewritingTransport(from: a.id, to: b.id))
        XCTAssertThrowsError(try lying.fetch(id: a.id)) { error in
            guard case RemotePinError.invalidDataItem(let why) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(why.contains("when asked for"), why)
        }
        XCTAssertThrowsError(try client.fetch(id: "not-an-id"))
        XCTAssertThrowsError(try client.fetch(id: Base64URL.encode([UInt8](repeating: 0, count: 32)))) { error in
            guard case RemotePinError.server(_, 404, _) = error else { return XCTFail("\(error)") }
        }
    }

    func testTagLimits() {
        XCTAssertThrowsError(try DataItem.sign(data: [], tags: [DataItemTag("", "x")], key: key))
        XCTAssertThrowsError(try DataItem.sign(data: [], tags: (0..<129).map { DataItemTag("t\($0)", "v") }, key: key))
        XCTAssertThrowsError(try DataItem.sign(data: [], tags: [DataItemTag("big", String(repeating: "v", count: 3000)),
                                                                DataItemTag("big2", String(repeating: "v", count: 3000))], key: key))
        XCTAssertThrowsError(try DataItem.sign(data: [], anchor: [1, 2, 3], key: key))
    }
}
