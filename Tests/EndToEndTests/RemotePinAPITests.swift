import ContentStore
import CurlHTTP
import Foundation
import NetworkLab
import PeerNode
import RemotePin
import Synchronization
import Testing
import TestSupport

/// `POST /v1/pin-remote` and `POST /v1/fetch-remote` on real daemons
/// (`nodectl daemon` processes) against the local stand-ins: a real kubo
/// behind localipfs (RPC API, gateway, pinning service) and localarweave.
@Suite(.serialized)
struct RemotePinAPITests {
    static let pinningToken = "api-pinning-token"

    /// remote.json naming the local services.
    static func remoteJSON(ipfs: LocalServices.Service, arweave: LocalServices.Service? = nil,
                           pinWait: Double = 30) -> [String: Any] {
        var o: [String: Any] = ["ipfsAPI": ipfs.baseURL, "ipfsGateway": ipfs.baseURL, "pinningService": ipfs.baseURL,
                                "pinningServiceToken": pinningToken, "requestTimeout": 30, "pinWaitTimeout": pinWait]
        if let arweave { o["arweaveBundler"] = arweave.baseURL }
        return o
    }

    static func write(_ object: [String: Any], to path: String) throws {
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
    }

    /// A stored file's bytes, read back with `nodectl cat` (the daemon stopped).
    static func cat(_ cid: String, dataDir: String, in scratch: Scratch) throws -> [UInt8] {
        let out = scratch.path + "/cat-\(UUID().uuidString)"
        _ = try nodectl(["cat", cid, "-o", out, "--data-dir", dataDir])
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: out)))
    }

    typealias Pin = APIServer.PinRemoteRequest
    typealias Fetch = APIServer.FetchRemoteRequest

    /// POST /v1/pin-remote, refusals included.
    static func pin(_ node: DaemonProcess, _ request: Pin, client: NodeClient? = nil) throws -> NodeClient.Answer<PeerNode.PinnedRemotely> {
        try (client ?? node.client).answer("POST", "/v1/pin-remote", json: request)
    }

    /// POST /v1/fetch-remote, refusals included.
    static func fetch(_ node: DaemonProcess, _ request: Fetch, client: NodeClient? = nil) throws -> NodeClient.Answer<PeerNode.FetchedRemotely> {
        try (client ?? node.client).answer("POST", "/v1/fetch-remote", json: request)
    }

    @Test("pin-remote through the daemon puts a file on IPFS and Arweave under the CIDs the node computed; fetch-remote on other daemons gets it back verified")
    func pinAndFetchBack() throws {
        let ipfs = try LocalServices.startIPFS(token: Self.pinningToken)
        defer { ipfs.stop() }
        let arweave = try LocalServices.startArweave()
        defer { arweave.stop() }
        let scratch = try Scratch("remote-api")
        let video = pseudoRandomBytes(900_000, seed: 97)
        let file = scratch.path + "/vod.ts"
        try Data(video).write(to: URL(fileURLWithPath: file))
        let remote = Self.remoteJSON(ipfs: ipfs, arweave: arweave)

        var cid = ""
        let a = try DaemonProcess(name: "a", in: scratch) { dir in
            try Self.write(remote, to: dir + "/remote.json")
            cid = try nodectl(["add", file, "--media-type", "video/mp2t", "--data-dir", dir])
        }
        let answer = try Self.pin(a, Pin(cid: cid, ipfs: true, arweave: true, streamId: "vod-1"))
        #expect(answer.status == 200, "\(answer)")
        let pinned = try #require(answer.value)
        #expect(pinned.cid == cid)
        let records = pinned.records
        let onIPFS = try #require(records.first { $0.network == .ipfs }, "\(pinned)")
        let onArweave = try #require(records.first { $0.network == .arweave }, "\(pinned)")

        // IPFS: the CID the node computes, the one nodectl prints, and kubo's own agree; kubo has it pinned.
        let own = UnixFS.root(of: video).cid
        #expect(onIPFS.ipfsCID == own.description)
        #expect(try nodectl(["ipfs-cid", file]) == own.description)
        let kubo = KuboRPCClient(config: .init(apiURL: ipfs.baseURL))
        #expect(try kubo.add(video, filename: "vod.ts", onlyHash: true).cid == own)
        #expect(try kubo.pinLs(own)[own.description] == "recursive")
        #expect(try kubo.cat(own) == video)
        #expect(onIPFS.pinStatus == "pinned")
        #expect(onIPFS.pinRequestID != nil)

        // Arweave: one data item with the bytes, signed by the node's key (checked by the fetch), tagged with both CIDs.
        let item = try BundlerClient(config: .init(bundlerURL: arweave.baseURL)).fetch(id: try #require(onArweave.arweaveID))
        #expect(item.data == video)
        #expect(onArweave.owner == a.address)
        #expect(item.tag(RemotePinner.Tag.manifestCID) == cid)
        #expect(item.tag(RemotePinner.Tag.ipfsCID) == UnixFS.root(of: video, options: .kuboCIDv1).cid.description)
        #expect(item.tag(RemotePinner.Tag.streamID) == "vod-1")

        // DATA/remote-pins.json holds exactly what the API answered.
        let index = try RemoteLocationIndex(path: a.dataDir + "/" + RemoteLocationIndex.fileName).locations(of: cid)
        #expect(index.sorted { $0.network.rawValue < $1.network.rawValue }
                == records.sorted { $0.network.rawValue < $1.network.rawValue })

        // A daemon without the content or any record: the pinning service knows the copy by its manifest CID.
        let b = try DaemonProcess(name: "b", in: scratch) { dir in try Self.write(remote, to: dir + "/remote.json") }
        let fetchedAnswer = try Self.fetch(b, Fetch(cid: cid))
        #expect(fetchedAnswer.status == 200, "\(fetchedAnswer)")
        let fetched = try #require(fetchedAnswer.value)
        #expect(fetched.from == "ipfs")
        #expect(fetched.remote == own.description)
        #expect(fetched.manifest == cid)
        #expect(fetched.size == UInt64(video.count))
        // A bare IPFS CID: from the gateway, checked against the CID, kept as a new file.
        let bareAnswer = try Self.fetch(b, Fetch(cid: own.description))
        #expect(bareAnswer.status == 200, "\(bareAnswer)")
        let bare = try #require(bareAnswer.value)
        #expect(bare.size == UInt64(video.count))
        let bareManifest = bare.manifest
        b.stop()
        #expect(try Self.cat(cid, dataDir: b.dataDir, in: scratch) == video)
        #expect(try Self.cat(bareManifest, dataDir: b.dataDir, in: scratch) == video)

        // A daemon with a's record, from Arweave only.
        let c = try DaemonProcess(name: "c", in: scratch) { dir in
            try Self.write(remote, to: dir + "/remote.json")
            try FileManager.default.copyItem(atPath: a.dataDir + "/" + RemoteLocationIndex.fileName,
                                             toPath: dir + "/" + RemoteLocationIndex.fileName)
        }
        let arweaveAnswer = try Self.fetch(c, Fetch(cid: cid, from: "arweave"))
        #expect(arweaveAnswer.status == 200, "\(arweaveAnswer)")
        let fromArweave = try #require(arweaveAnswer.value)
        #expect(fromArweave.from == "arweave")
        #expect(fromArweave.remote == onArweave.arweaveID)
        c.stop()
        #expect(try Self.cat(cid, dataDir: c.dataDir, in: scratch) == video)
        a.stop()
    }

    @Test("Remote calls run off the daemon's event loop: reads are answered while pins wait, and a pin not finished in time is recorded")
    func slowPinsDoNotBlockTheDaemon() throws {
        // The pinning service gives up on a CID nobody has only after 60 s; the node waits 3 s.
        // Eight pins at once: more than the cores, so pins that blocked Swift's cooperative
        // threads (or the event loop) would hold up the reads below.
        let ipfs = try LocalServices.startIPFS(token: Self.pinningToken, pinTimeout: 60)
        defer { ipfs.stop() }
        let scratch = try Scratch("remote-api-slow")
        let node = try DaemonProcess(name: "slow", in: scratch) { dir in
            try Self.write(Self.remoteJSON(ipfs: ipfs, pinWait: 3), to: dir + "/remote.json")
        }
        let cids = (0..<8).map { CID.hashing(Array("nobody has this \($0) \(UUID())".utf8)).description }
        let answers = Mutex<[String: NodeClient.Answer<PeerNode.PinnedRemotely>]>([:])
        let group = DispatchGroup()
        let client = node.client
        for cid in cids {
            DispatchQueue.global().async(group: group) {
                let answer = try? client.answer("POST", "/v1/pin-remote", json: Pin(cid: cid, ipfs: true),
                                                as: PeerNode.PinnedRemotely.self)
                answers.withLock { $0[cid] = answer }
            }
        }
        usleep(300_000)
        var slowest = 0.0
        for _ in 0..<10 {
            let start = Date()
            #expect(try node.get("/v1/stats").0 == 200)
            slowest = max(slowest, Date().timeIntervalSince(start))
            usleep(100_000)
        }
        #expect(group.wait(timeout: .now()) == .timedOut, "the pins were still waiting while the reads were answered")
        #expect(slowest < 2, "a read took \(slowest) s while remote pins were waiting")
        #expect(group.wait(timeout: .now() + 60) == .success)

        for cid in cids {
            let answer = try #require(answers.withLock { $0[cid] }, "no answer for \(cid)")
            #expect(answer.status == 504, "\(answer)")
            #expect(answer.error.contains("still"), "\(answer)")
            #expect(answer.refusal?.records?.first?.pinRequestID != nil, "\(answer)")
        }
        // Eight records written at once: none lost.
        let kept = try RemoteLocationIndex(path: node.dataDir + "/" + RemoteLocationIndex.fileName).all()
        #expect(Set(kept.map(\.cid)) == Set(cids))
        #expect(kept.allSatisfy { $0.pinRequestID != nil })
        node.stop()
    }

    @Test("Bad requests get a clear JSON error with a fitting status, and lose nothing")
    func badRequests() throws {
        let scratch = try Scratch("remote-api-bad")
        let bytes = pseudoRandomBytes(300_000, seed: 5)
        let file = scratch.path + "/f.bin"
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        var cid = ""
        let node = try DaemonProcess(name: "bad", in: scratch) { dir in
            cid = try nodectl(["add", file, "--data-dir", dir])
        }
        func expectError<T: Decodable>(_ answer: NodeClient.Answer<T>, _ status: Int, _ words: String,
                            sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(answer.status == status, "\(answer)", sourceLocation: sourceLocation)
            #expect(answer.error.contains(words), "\(answer.error)", sourceLocation: sourceLocation)
        }
        let wrongToken = NodeClient(baseURL: node.apiURL, token: "wrong")

        // The token.
        for path in ["/v1/pin-remote", "/v1/fetch-remote"] {
            #expect(try node.postWithoutToken(path).0 == 401)
        }
        expectError(try Self.pin(node, Pin(cid: cid, ipfs: true), client: wrongToken), 401, "api.token")
        expectError(try Self.fetch(node, Fetch(cid: cid), client: wrongToken), 401, "api.token")
        // The body.
        expectError(try Self.pin(node, Pin(cid: nil, ipfs: true)), 400, "\"cid\"")
        expectError(try Self.pin(node, Pin(cid: "not-a-cid", ipfs: true)), 400, "not a CID")
        expectError(try Self.pin(node, Pin(cid: cid)), 400, "say where")
        expectError(try Self.pin(node, Pin(cid: cid, ipfs: false, arweave: false)), 400, "say where")
        #expect(try node.client.answer("POST", "/v1/pin-remote", body: Data("{not json".utf8), as: PeerNode.PinnedRemotely.self).status == 400)
        expectError(try Self.fetch(node, Fetch(cid: nil)), 400, "\"cid\"")
        expectError(try Self.fetch(node, Fetch(cid: cid, from: "s3")), 400, "\"from\"")

        // Content the node does not have.
        let unknownRaw = CID.hashing(Array("not stored \(UUID())".utf8)).description
        expectError(try Self.pin(node, Pin(cid: unknownRaw, arweave: true)), 404, "not a file in this node's store")
        expectError(try Self.pin(node, Pin(cid: unknownRaw, ipfs: true)), 404, "no pinning service")
        let unknownFile = CID.hashing(Array("no such manifest \(UUID())".utf8), codec: .dagJSON).description
        expectError(try Self.fetch(node, Fetch(cid: unknownFile)), 404, "no remote copy")

        // No remote.json: the defaults on 127.0.0.1 answer only if something happens to run there.
        let defaultIPFS = (try? CurlHTTP.perform(CurlHTTP.Request(method: "POST", url: RemoteDefaults.ipfsAPI + "/api/v0/id",
                                                                 timeout: 2, maxResponseBytes: 1 << 16))) != nil
        if !defaultIPFS {
            expectError(try Self.pin(node, Pin(cid: cid, ipfs: true)), 503, "not configured")
        }
        // A pinning service without its token.
        try Self.write(["pinningService": "http://127.0.0.1:\(LocalServices.closedPort())"], to: node.dataDir + "/remote.json")
        expectError(try Self.pin(node, Pin(cid: unknownRaw, ipfs: true)), 503, "no token")
        // remote.json that is not valid.
        try Data("{\"ipfsAPI\": 5".utf8).write(to: URL(fileURLWithPath: node.dataDir + "/remote.json"))
        expectError(try Self.pin(node, Pin(cid: cid, ipfs: true)), 503, "remote.json")

        // Services that cannot be reached.
        let closed = "http://127.0.0.1:\(LocalServices.closedPort())"
        try Self.write(["ipfsAPI": closed, "ipfsGateway": closed, "arweaveBundler": closed], to: node.dataDir + "/remote.json")
        expectError(try Self.pin(node, Pin(cid: cid, ipfs: true)), 502, "cannot reach")
        expectError(try Self.pin(node, Pin(cid: cid, arweave: true)), 502, "cannot reach")
        expectError(try Self.fetch(node, Fetch(cid: UnixFS.root(of: bytes).cid.description)), 502, "cannot reach")

        // Nothing lost: no false record, the daemon still serves, the file is intact.
        #expect(!FileManager.default.fileExists(atPath: node.dataDir + "/" + RemoteLocationIndex.fileName))
        #expect(try node.get("/v1/id").0 == 200)
        #expect(node.counter("peernode_api_errors_total") >= 18)
        node.stop()
        #expect(node.process?.exitStatus == 0)
        #expect(try Self.cat(cid, dataDir: node.dataDir, in: scratch) == bytes)
    }
}
