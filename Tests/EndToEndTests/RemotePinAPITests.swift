import ContentStore
import CurlHTTP
import Foundation
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

    static func records(_ answer: [String: Any]) throws -> [RemoteLocation] {
        let json = try JSONSerialization.data(withJSONObject: answer["records"] ?? [Any]())
        return try JSONDecoder().decode([RemoteLocation].self, from: json)
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
        let (status, pinned) = try a.post("/v1/pin-remote", ["cid": cid, "ipfs": true, "arweave": true, "streamId": "vod-1"])
        #expect(status == 200, "\(pinned)")
        #expect(pinned["cid"] as? String == cid)
        let records = try Self.records(pinned)
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
        let (status2, fetched) = try b.post("/v1/fetch-remote", ["cid": cid])
        #expect(status2 == 200, "\(fetched)")
        #expect(fetched["from"] as? String == "ipfs")
        #expect(fetched["remote"] as? String == own.description)
        #expect(fetched["manifest"] as? String == cid)
        #expect(fetched["size"] as? Int == video.count)
        // A bare IPFS CID: from the gateway, checked against the CID, kept as a new file.
        let (status3, bare) = try b.post("/v1/fetch-remote", ["cid": own.description])
        #expect(status3 == 200, "\(bare)")
        #expect(bare["size"] as? Int == video.count)
        let bareManifest = try #require(bare["manifest"] as? String)
        b.stop()
        #expect(try Self.cat(cid, dataDir: b.dataDir, in: scratch) == video)
        #expect(try Self.cat(bareManifest, dataDir: b.dataDir, in: scratch) == video)

        // A daemon with a's record, from Arweave only.
        let c = try DaemonProcess(name: "c", in: scratch) { dir in
            try Self.write(remote, to: dir + "/remote.json")
            try FileManager.default.copyItem(atPath: a.dataDir + "/" + RemoteLocationIndex.fileName,
                                             toPath: dir + "/" + RemoteLocationIndex.fileName)
        }
        let (status4, fromArweave) = try c.post("/v1/fetch-remote", ["cid": cid, "from": "arweave"])
        #expect(status4 == 200, "\(fromArweave)")
        #expect(fromArweave["from"] as? String == "arweave")
        #expect(fromArweave["remote"] as? String == onArweave.arweaveID)
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
        let answers = Mutex<[String: (Int, [UInt8])]>([:])
        let group = DispatchGroup()
        let (url, token) = (node.apiURL + "/v1/pin-remote", try node.apiToken())
        for cid in cids {
            DispatchQueue.global().async(group: group) {
                let body = Data(#"{"cid": "\#(cid)", "ipfs": true}"#.utf8)
                let answer = (try? postJSON(url, body: body, token: token)) ?? (-1, [])
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
            let (status, raw) = answers.withLock { $0[cid] } ?? (-1, [])
            let body = parseObject(raw)
            #expect(status == 504, "\(body)")
            #expect((body["error"] as? String)?.contains("still") == true, "\(body)")
            #expect(try Self.records(body).first?.pinRequestID != nil, "\(body)")
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
        func expectError(_ answer: (Int, [String: Any]), _ status: Int, _ words: String,
                         sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(answer.0 == status, "\(answer.1)", sourceLocation: sourceLocation)
            let message = answer.1["error"] as? String ?? ""
            #expect(message.contains(words), "\(message)", sourceLocation: sourceLocation)
        }

        // The token.
        for path in ["/v1/pin-remote", "/v1/fetch-remote"] {
            #expect(try node.postWithoutToken(path).0 == 401)
            expectError(try node.post(path, ["cid": cid, "ipfs": true], token: "wrong"), 401, "api.token")
        }
        // The body.
        expectError(try node.post("/v1/pin-remote", ["ipfs": true]), 400, "\"cid\"")
        expectError(try node.post("/v1/pin-remote", ["cid": "not-a-cid", "ipfs": true]), 400, "not a CID")
        expectError(try node.post("/v1/pin-remote", ["cid": cid]), 400, "say where")
        expectError(try node.post("/v1/pin-remote", ["cid": cid, "ipfs": false, "arweave": false]), 400, "say where")
        #expect(try node.post("/v1/pin-remote", raw: Data("{not json".utf8)).0 == 400)
        expectError(try node.post("/v1/fetch-remote", [:]), 400, "\"cid\"")
        expectError(try node.post("/v1/fetch-remote", ["cid": cid, "from": "s3"]), 400, "\"from\"")

        // Content the node does not have.
        let unknownRaw = CID.hashing(Array("not stored \(UUID())".utf8)).description
        expectError(try node.post("/v1/pin-remote", ["cid": unknownRaw, "arweave": true]), 404, "not a file in this node's store")
        expectError(try node.post("/v1/pin-remote", ["cid": unknownRaw, "ipfs": true]), 404, "no pinning service")
        let unknownFile = CID.hashing(Array("no such manifest \(UUID())".utf8), codec: .dagJSON).description
        expectError(try node.post("/v1/fetch-remote", ["cid": unknownFile]), 404, "no remote copy")

        // No remote.json: the defaults on 127.0.0.1 answer only if something happens to run there.
        let defaultIPFS = (try? CurlHTTP.perform(CurlHTTP.Request(method: "POST", url: RemoteDefaults.ipfsAPI + "/api/v0/id",
                                                                 timeout: 2, maxResponseBytes: 1 << 16))) != nil
        if !defaultIPFS {
            expectError(try node.post("/v1/pin-remote", ["cid": cid, "ipfs": true]), 503, "not configured")
        }
        // A pinning service without its token.
        try Self.write(["pinningService": "http://127.0.0.1:\(LocalServices.closedPort())"], to: node.dataDir + "/remote.json")
        expectError(try node.post("/v1/pin-remote", ["cid": unknownRaw, "ipfs": true]), 503, "no token")
        // remote.json that is not valid.
        try Data("{\"ipfsAPI\": 5".utf8).write(to: URL(fileURLWithPath: node.dataDir + "/remote.json"))
        expectError(try node.post("/v1/pin-remote", ["cid": cid, "ipfs": true]), 503, "remote.json")

        // Services that cannot be reached.
        let closed = "http://127.0.0.1:\(LocalServices.closedPort())"
        try Self.write(["ipfsAPI": closed, "ipfsGateway": closed, "arweaveBundler": closed], to: node.dataDir + "/remote.json")
        expectError(try node.post("/v1/pin-remote", ["cid": cid, "ipfs": true]), 502, "cannot reach")
        expectError(try node.post("/v1/pin-remote", ["cid": cid, "arweave": true]), 502, "cannot reach")
        expectError(try node.post("/v1/fetch-remote", ["cid": UnixFS.root(of: bytes).cid.description]), 502, "cannot reach")

        // Nothing lost: no false record, the daemon still serves, the file is intact.
        #expect(!FileManager.default.fileExists(atPath: node.dataDir + "/" + RemoteLocationIndex.fileName))
        #expect(try node.get("/v1/id").0 == 200)
        #expect(node.counter("peernode_api_errors_total") >= 18)
        node.stop()
        #expect(node.process.exitStatus == 0)
        #expect(try Self.cat(cid, dataDir: node.dataDir, in: scratch) == bytes)
    }
}
