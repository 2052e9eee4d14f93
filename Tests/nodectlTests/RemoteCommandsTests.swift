import ContentStore
import Foundation
import TestSupport
import XCTest

@testable import RemotePin

/// `nodectl ipfs-cid`, `pin-remote` and `fetch-remote` as a user runs them:
/// the built binary, a data directory with remote.json, the local services.
final class NodectlRemoteCommandsTests: XCTestCase {
    nonisolated(unsafe) static var ipfs: LocalServices.Service?
    nonisolated(unsafe) static var arweave: LocalServices.Service?

    override class func setUp() {
        ipfs = try? LocalServices.startIPFS(token: "cli-token")
        arweave = try? LocalServices.startArweave()
    }

    override class func tearDown() {
        ipfs?.stop()
        arweave?.stop()
        ipfs = nil
        arweave = nil
    }

    let dir = NSTemporaryDirectory() + "nodectl-remote-\(UUID().uuidString.prefix(8))"

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    struct Run { let status: Int32; let stdout: String; let stderr: String }

    func nodectl(_ args: [String], dataDir: String) throws -> Run {
        let result = try NodectlProcess.run(args + ["--data-dir", dataDir])
        return Run(status: result.status, stdout: result.text, stderr: result.stderr)
    }

    func node(_ name: String) throws -> String {
        let ipfs = try Self.ipfs ?? LocalServices.startIPFS()
        let arweave = try Self.arweave ?? LocalServices.startArweave()
        let path = dir + "/" + name
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let config = RemoteConfig(ipfsAPI: ipfs.baseURL, ipfsGateway: ipfs.baseURL, pinningService: ipfs.baseURL,
                                  pinningServiceToken: "cli-token", arweaveBundler: arweave.baseURL, pinWaitTimeout: 30)
        _ = FileManager.default.createFile(atPath: path + "/remote.json", contents: Data(encodeJSON(config)))
        return path
    }

    func testIpfsCidPinRemoteAndFetchRemote() throws {
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: NodectlProcess.binary), "build nodectl first: \(NodectlProcess.binary)")
        let a = try node("a")
        XCTAssertEqual(try nodectl(["init"], dataDir: a).status, 0)
        let video = pseudoRandomBytes(900_000, seed: 71)
        let file = dir + "/vod.ts"
        _ = FileManager.default.createFile(atPath: file, contents: Data(video))

        // ipfs-cid agrees with kubo's own --only-hash.
        let kubo = KuboRPCClient(config: .init(apiURL: Self.ipfs!.baseURL))
        let printed = try nodectl(["ipfs-cid", file], dataDir: a)
        XCTAssertEqual(printed.status, 0, printed.stderr)
        XCTAssertEqual(printed.stdout, try kubo.add(video, filename: "vod.ts", onlyHash: true).cid.description)
        let v1 = try nodectl(["ipfs-cid", file, "--cid-version", "1"], dataDir: a)
        XCTAssertEqual(v1.stdout, UnixFS.root(of: video, options: .kuboCIDv1).cid.description)
        XCTAssertNotEqual(try nodectl(["ipfs-cid", file, "--cid-version", "2"], dataDir: a).status, 0)

        let added = try nodectl(["add", file, "--media-type", "video/mp2t"], dataDir: a)
        XCTAssertEqual(added.status, 0, added.stderr)
        let cid = added.stdout
        let toIPFS = try nodectl(["pin-remote", cid, "--ipfs", "--json"], dataDir: a)
        XCTAssertEqual(toIPFS.status, 0, toIPFS.stderr)
        let record = try JSONDecoder().decode(RemoteLocation.self, from: Data(toIPFS.stdout.utf8))
        XCTAssertEqual(record.ipfsCID, printed.stdout)
        XCTAssertEqual(record.pinStatus, "pinned")
        XCTAssertTrue(toIPFS.stderr.contains("pinned"), toIPFS.stderr)
        let toArweave = try nodectl(["pin-remote", cid, "--arweave", "--stream-id", "s1"], dataDir: a)
        XCTAssertEqual(toArweave.status, 0, toArweave.stderr)
        XCTAssertTrue(toArweave.stdout.contains("data item"), toArweave.stdout)

        // A second node with no record: found through the pinning service.
        let b = try node("b")
        let out = dir + "/back.ts"
        let fetched = try nodectl(["fetch-remote", cid, "-o", out], dataDir: b)
        XCTAssertEqual(fetched.status, 0, fetched.stderr)
        XCTAssertEqual(FileManager.default.contents(atPath: out).map { [UInt8]($0) }, video)
        XCTAssertEqual(try nodectl(["cat", cid], dataDir: b).status, 0)

        // A third node with the first one's record, from Arweave only.
        let c = try node("c")
        try FileManager.default.copyItem(atPath: a + "/remote-pins.json", toPath: c + "/remote-pins.json")
        let fromArweave = try nodectl(["fetch-remote", cid, "--from", "arweave"], dataDir: c)
        XCTAssertEqual(fromArweave.status, 0, fromArweave.stderr)
        XCTAssertTrue(fromArweave.stdout.contains("from arweave"), fromArweave.stdout)
    }

    func testClearErrors() throws {
        let a = try node("errors")
        XCTAssertEqual(try nodectl(["init"], dataDir: a).status, 0)
        let missing = try nodectl(["ipfs-cid", dir + "/no-such-file"], dataDir: a)
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("cannot read"), missing.stderr)
        let neither = try nodectl(["pin-remote", "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"], dataDir: a)
        XCTAssertNotEqual(neither.status, 0)
        XCTAssertTrue(neither.stderr.contains("--ipfs or --arweave"), neither.stderr)
        let file = dir + "/x.bin"
        _ = FileManager.default.createFile(atPath: file, contents: Data([1, 2, 3]))
        let cid = try nodectl(["add", file], dataDir: a).stdout
        let down = try nodectl(["pin-remote", cid, "--ipfs", "--ipfs-api", "http://127.0.0.1:\(LocalServices.closedPort())"],
                               dataDir: a)
        XCTAssertNotEqual(down.status, 0)
        XCTAssertTrue(down.stderr.contains("cannot reach"), down.stderr)
        // A pin that does not finish in time: reported, and its request id kept.
        let nobody = CID.hashing(Array("nobody has this \(UUID())".utf8)).description
        let slow = try nodectl(["pin-remote", nobody, "--ipfs", "--pin-wait", "0.5"], dataDir: a)
        XCTAssertNotEqual(slow.status, 0)
        XCTAssertTrue(slow.stderr.contains("still"), slow.stderr)
        let kept = try RemoteLocationIndex(path: a + "/" + RemoteLocationIndex.fileName).locations(of: nobody)
        XCTAssertEqual(kept.count, 1)
        XCTAssertNotNil(kept.first?.pinRequestID)

        let unknown = try nodectl(["fetch-remote", cid, "--pinning-service", "http://127.0.0.1:\(LocalServices.closedPort())"],
                                  dataDir: dir + "/empty-node")
        XCTAssertNotEqual(unknown.status, 0)
    }
}
