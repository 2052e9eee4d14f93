import ArgumentParser
import ContentStore
import Foundation
import RemotePin

struct IpfsCidCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ipfs-cid",
        abstract: "Print the root CID kubo's `ipfs add` would give a file, storing nothing (like --only-hash).")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The file.") var file: String
    @Option(help: ArgumentHelp("0: kubo's defaults (Qm...); 1: --cid-version 1, raw leaves (bafy...).", valueName: "n"))
    var cidVersion = 0
    @Flag(help: "Print progress on stderr even when it is not a terminal.") var progress = false

    struct Result: Encodable { let cid: String; let size: UInt64; let dagSize: UInt64; let blocks: Int }

    func validate() throws {
        guard cidVersion == 0 || cidVersion == 1 else { throw ValidationError("--cid-version is 0 or 1") }
    }

    func run() throws {
        let meter = ProgressMeter(label: "hashing", force: progress)
        let root = try UnixFS.root(ofFile: file, options: cidVersion == 1 ? .kuboCIDv1 : .kuboDefault,
                                   progress: meter.update)
        meter.finish()
        if global.json {
            Output.json(Result(cid: root.cid.description, size: root.fileSize, dagSize: root.dagSize, blocks: root.blockCount))
        } else {
            print(root.cid)
        }
    }
}

struct PinRemoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pin-remote",
        abstract: "Pin a stored file to IPFS (kubo API, then a pinning service if set) or store it on Arweave.",
        discussion: """
            --ipfs uploads the file to the kubo RPC API with the CID computed beforehand, then asks the \
            pinning service (if configured) to pin it and follows the request to pinned or failed. A CID \
            not in the store can still be pinned by a pinning service. --arweave uploads the file as one \
            ANS-104 data item signed with the node's key. Where each file went is recorded in \
            DATA/remote-pins.json. Services come from DATA/remote.json and the options below.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var remote: RemoteOptions
    @Argument(help: "The file's manifest CID (or, with --ipfs, any CID a pinning service should pin).") var cid: CID
    @Flag(help: "Pin to IPFS.") var ipfs = false
    @Flag(help: "Store on Arweave.") var arweave = false
    @Option(help: "Stream id tag for the Arweave data item.") var streamId: String?
    @Flag(help: "Print progress on stderr even when it is not a terminal.") var progress = false

    func validate() throws {
        guard ipfs != arweave else { throw ValidationError("say where: --ipfs or --arweave") }
    }

    func run() throws {
        let dir = global.dataDirectory
        let config = try remote.config(dataDirectory: dir.path)
        let pinner = RemotePinner(config: config)
        let index = RemoteLocationIndex(path: dir.path + "/" + RemoteLocationIndex.fileName)
        let store = try dir.openStore()
        defer { store.close() }
        let isLocalFile = (try? store.manifest(cid)) != nil
        let meter = SendableMeter(meter: ProgressMeter(label: "uploading", force: progress))
        let location: RemoteLocation
        if ipfs {
            let onStatus: (PinStatus) -> Void = { status in
                Output.note("pin \(status.requestid): \(status.status.rawValue)" + (status.details.map { " (\($0))" } ?? ""))
            }
            do {
                location = isLocalFile
                    ? try pinner.pinToIPFS(cid, store: store, upload: meter.update, onStatus: onStatus)
                    : try pinner.pinCIDToIPFS(cid, name: nil, onStatus: onStatus)
            } catch RemotePinError.pinTimedOut(let requestID, let ipfsCID, let status, let seconds) {
                // The service may still finish: keep the request id so it can be looked up later.
                meter.meter.finish()
                let manifest = try? store.manifest(cid)
                try index.record(RemoteLocation(
                    network: .ipfs, cid: cid.description, ipfsCID: ipfsCID, pinRequestID: requestID, pinStatus: status,
                    endpoint: (try? config.pinning())??.endpoint ?? "", name: manifest?.name, mediaType: manifest?.mediaType,
                    size: manifest?.size, chunkSize: manifest?.chunkSize))
                throw CLIError("pin request \(requestID) for \(ipfsCID) is still \(status) after \(Int(seconds)) s; "
                               + "recorded in \(index.path) — the service may finish it later")
            }
        } else {
            guard isLocalFile else { throw CLIError("\(cid) is not a file in this node's store; add it first (nodectl add)") }
            location = try pinner.storeOnArweave(cid, store: store, key: try dir.loadIdentity(), streamID: streamId,
                                                 upload: meter.update)
        }
        meter.meter.finish()
        try index.record(location)
        if global.json {
            Output.json(location)
        } else if let id = location.arweaveID {
            print("stored \(cid) on Arweave as data item \(id)")
        } else {
            print("pinned \(cid) to IPFS as \(location.ipfsCID ?? "?")" + (location.pinStatus.map { " (\($0))" } ?? ""))
        }
    }
}

struct FetchRemoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch-remote",
        abstract: "Fetch a file back from IPFS or Arweave, verify it, and restore it into the store.",
        discussion: """
            For a file this node pinned (DATA/remote-pins.json), or one a pinning service knows by its \
            manifest CID, the bytes are fetched, checked against the remote CID (IPFS) or signature and \
            tags (Arweave), and stored only if they rebuild the manifest with the CID asked for. An IPFS \
            CID (Qm..., bafy..., bafk...) with no record is fetched from the gateway, verified, and written \
            to --output or stdout.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var remote: RemoteOptions
    @Argument(help: "The file's manifest CID, or an IPFS CID.") var cid: CID
    @Option(name: .shortAndLong, help: "Also write the bytes to this file.") var output: String?
    @Option(help: "Use only this network: ipfs or arweave.") var from: String?

    func run() throws {
        let dir = global.dataDirectory
        let config = try remote.config(dataDirectory: dir.path)
        let pinner = RemotePinner(config: config)
        let index = RemoteLocationIndex(path: dir.path + "/" + RemoteLocationIndex.fileName)
        var locations = try index.locations(of: cid.description).filter { $0.cid == cid.description }
        if locations.isEmpty, cid.codec == .dagJSON {
            locations = try pinner.discover(cid)
        }
        if let from { locations = locations.filter { $0.network.rawValue == from } }

        if locations.isEmpty {
            guard cid.codec != .dagJSON else {
                throw CLIError("no remote copy of \(cid) is recorded in \(index.path) or known to the pinning service")
            }
            let meter = SendableMeter(meter: ProgressMeter(label: "downloading"))
            let bytes = try GatewayClient(config: config.gateway).fetch(cid, progress: meter.update)
            meter.meter.finish()
            try write(bytes)
            Output.note("fetched \(bytes.count) bytes of \(cid); the CID matches")
            return
        }
        let store = try dir.openStore()
        defer { store.close() }
        var failures: [String] = []
        for location in locations {
            do {
                let meter = SendableMeter(meter: ProgressMeter(label: "downloading"))
                let manifest = try pinner.restore(cid, from: location, into: store, progress: meter.update)
                meter.meter.finish()
                if output != nil { try write(try store.readFile(cid)) }
                if global.json {
                    Output.json(["cid": cid.description, "from": location.network.rawValue, "size": String(manifest.size)])
                } else {
                    print("restored \(cid) (\(manifest.size) bytes) from \(location.network.rawValue); every CID matches")
                }
                return
            } catch {
                failures.append("\(location.network.rawValue) (\(location.endpoint)): \(error)")
                Output.note("could not restore from \(location.network.rawValue): \(error)")
            }
        }
        throw CLIError("no remote copy of \(cid) could be fetched and verified:\n  " + failures.joined(separator: "\n  "))
    }

    private func write(_ bytes: [UInt8]) throws {
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: Data(bytes)) else {
                throw CLIError("cannot write \(output)")
            }
        } else {
            FileHandle.standardOutput.write(Data(bytes))
        }
    }
}
