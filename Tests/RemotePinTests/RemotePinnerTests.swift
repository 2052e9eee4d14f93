import ContentStore
import Foundation
import Identity
import TestSupport
import XCTest

@testable import RemotePin

/// Publish a VOD into the node's store, pin it to IPFS (kubo RPC + pinning
/// service) and store it on Arweave (bundler), then fetch it back into a
/// fresh store and check every CID agrees with the node's own computation.
final class RemotePinnerTests: XCTestCase {
    nonisolated(unsafe) static var ipfs: LocalServices.Service?
    nonisolated(unsafe) static var arweave: LocalServices.Service?

    override class func setUp() {
        ipfs = try? LocalServices.startIPFS(token: "pin-token")
        arweave = try? LocalServices.startArweave()
    }

    override class func tearDown() {
        ipfs?.stop()
        arweave?.stop()
        ipfs = nil
        arweave = nil
    }

    var dirs: [String] = []

    override func tearDown() {
        for d in dirs { try? FileManager.default.removeItem(atPath: d) }
    }

    func newStore(chunkSize: Int = StoreConfig.defaultChunkSize) throws -> ChunkStore {
        let dir = NSTemporaryDirectory() + "remotepin-store-\(UUID().uuidString.prefix(8))"
        dirs.append(dir)
        var config = StoreConfig()
        config.noSync = true
        config.chunkSize = chunkSize
        return try ChunkStore(directory: dir, config: config)
    }

    func config() throws -> RemoteConfig {
        let ipfs = try Self.ipfs ?? LocalServices.startIPFS()
        let arweave = try Self.arweave ?? LocalServices.startArweave()
        return RemoteConfig(ipfsAPI: ipfs.baseURL, ipfsGateway: ipfs.baseURL, pinningService: ipfs.baseURL,
                            pinningServiceToken: "pin-token", arweaveBundler: arweave.baseURL, requestTimeout: 30,
                            pinWaitTimeout: 30)
    }

    func testPublishPinToIPFSAndFetchBackIntoAFreshNode() throws {
        let pinner = RemotePinner(config: try config())
        let source = try newStore()
        defer { source.close() }
        let video = pseudoRandomBytes(1_300_000, seed: 51)
        let added = try source.addBytes(video, name: "vod.ts", mediaType: "video/mp2t")
        var statuses: [PinState] = []
        let location = try pinner.pinToIPFS(added.cid, store: source, onStatus: { statuses.append($0.status) })
        XCTAssertEqual(location.ipfsCID, UnixFS.root(of: video).cid.description, "the node said in advance which CID it gets")
        XCTAssertEqual(location.pinStatus, "pinned")
        XCTAssertEqual(statuses.last, .pinned)
        XCTAssertNotNil(location.pinRequestID)

        let fresh = try newStore()
        defer { fresh.close() }
        let manifest = try pinner.restore(added.cid, from: location, into: fresh)
        XCTAssertEqual(manifest, added.manifest)
        XCTAssertEqual(try fresh.readFile(added.cid), video)
        XCTAssertEqual(manifest.chunks, added.manifest.chunks, "chunk CIDs agree")

        // A node with no record finds the copy through the pinning service, by manifest CID.
        let found = try pinner.discover(added.cid)
        XCTAssertEqual(found.map(\.ipfsCID), [location.ipfsCID])
        let third = try newStore()
        defer { third.close() }
        XCTAssertEqual(try pinner.restore(added.cid, from: found[0], into: third), added.manifest)
    }

    /// The upload streams from the store's chunks, whatever their size, into
    /// kubo's 256 KiB chunks: the store here cuts at 100 000 bytes.
    func testStreamingFromAStoreWithAnotherChunkSize() throws {
        let pinner = RemotePinner(config: try config())
        let source = try newStore(chunkSize: 100_000)
        defer { source.close() }
        let video = pseudoRandomBytes(2_000_123, seed: 55)
        let added = try source.addBytes(video, name: "odd-chunks.ts", mediaType: "video/mp2t")
        XCTAssertEqual(added.manifest.chunkSize, 100_000)
        let reader = try StoredFileReader(store: source, cid: added.cid)
        XCTAssertEqual(try reader.read(upTo: 3_000_000), video)
        XCTAssertEqual(try reader.read(upTo: 10), [])
        let location = try pinner.pinToIPFS(added.cid, store: source)
        XCTAssertEqual(location.ipfsCID, UnixFS.root(of: video).cid.description)
        XCTAssertEqual(location.chunkSize, 100_000)
        let fresh = try newStore()
        defer { fresh.close() }
        XCTAssertEqual(try pinner.restore(added.cid, from: location, into: fresh), added.manifest)
    }

    func testStoreOnArweaveAndRestoreFromTheItemAlone() throws {
        let pinner = RemotePinner(config: try config())
        let key = KeyPair.fromSeed([UInt8](repeating: 3, count: 32))
        let source = try newStore()
        defer { source.close() }
        let video = pseudoRandomBytes(700_000, seed: 52)
        let added = try source.addBytes(video, name: "live-recording.ts", mediaType: "video/mp2t")
        let location = try pinner.storeOnArweave(added.cid, store: source, key: key, streamID: "stream-42")
        XCTAssertEqual(location.owner, key.address.base58)

        // A new node knows only the item id and whose key signed it.
        let bare = RemoteLocation(network: .arweave, cid: added.cid.description, arweaveID: location.arweaveID,
                                  owner: location.owner, endpoint: location.endpoint)
        let fresh = try newStore()
        defer { fresh.close() }
        XCTAssertEqual(try pinner.restore(added.cid, from: bare, into: fresh), added.manifest)
        XCTAssertEqual(try fresh.readFile(added.cid), video)

        let item = try BundlerClient(config: try config().bundler).fetch(id: location.arweaveID!)
        XCTAssertEqual(item.tag("Stream-Id"), "stream-42")
        XCTAssertEqual(item.tag("IPFS-CID"), UnixFS.root(of: video, options: .kuboCIDv1).cid.description)
        XCTAssertEqual(item.tag("Manifest-CID"), added.cid.description)

        // Someone else's key: refused.
        var forged = bare
        forged.owner = KeyPair.fromSeed([UInt8](repeating: 4, count: 32)).address.base58
        XCTAssertThrowsError(try pinner.restore(added.cid, from: forged, into: fresh)) { error in
            guard case RemotePinError.invalidDataItem(let why) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(why.contains("signed by"), why)
        }
    }

    func testRestoreRefusesBytesThatDoNotRebuildTheAskedManifest() throws {
        let pinner = RemotePinner(config: try config())
        let source = try newStore()
        defer { source.close() }
        let a = try source.addBytes(pseudoRandomBytes(10_000, seed: 53), name: "a.ts", mediaType: "video/mp2t")
        let b = try source.addBytes(pseudoRandomBytes(10_000, seed: 54), name: "b.ts", mediaType: "video/mp2t")
        let locationOfB = try pinner.pinToIPFS(b.cid, store: source)
        let fresh = try newStore()
        defer { fresh.close() }
        XCTAssertThrowsError(try pinner.restore(a.cid, from: locationOfB, into: fresh)) { error in
            guard case RemotePinError.contentMismatch(let cid, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(cid, a.cid)
        }
        XCTAssertFalse(fresh.hasChunk(b.manifest.chunks[0]), "nothing stored from a refused fetch")
    }

    func testLocationIndexRecordsAndReplaces() throws {
        let path = NSTemporaryDirectory() + "remote-pins-\(UUID().uuidString).json"
        dirs.append(path)
        let index = RemoteLocationIndex(path: path)
        XCTAssertEqual(try index.all(), [])
        let first = RemoteLocation(network: .ipfs, cid: "bafyA", ipfsCID: "QmA", endpoint: "http://x")
        try index.record(first)
        try index.record(RemoteLocation(network: .arweave, cid: "bafyA", arweaveID: "id", endpoint: "http://y"))
        var updated = first
        updated.pinStatus = "pinned"
        try index.record(updated)
        XCTAssertEqual(try index.locations(of: "bafyA").count, 2)
        XCTAssertEqual(try index.locations(of: "QmA").first?.pinStatus, "pinned")
        _ = FileManager.default.createFile(atPath: path, contents: Data("{not json".utf8))
        XCTAssertThrowsError(try index.all())
    }
}
