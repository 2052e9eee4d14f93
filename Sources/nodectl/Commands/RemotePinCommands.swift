import ArgumentParser
import ContentStore
import Foundation
import PeerNode
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
        let store = try dir.openStore()
        defer { store.close() }
        let service = RemotePinService(store: store, identity: { try dir.loadIdentity() }, config: config,
                                       dataDirectory: dir.path)
        let meter = SendableMeter(meter: ProgressMeter(label: "uploading", force: progress))
        let pinned = Result {
            try service.pin(cid, ipfs: ipfs, arweave: arweave, streamID: streamId, upload: meter.update) { status in
                Output.note("pin \(status.requestid): \(status.status.rawValue)" + (status.details.map { " (\($0))" } ?? ""))
            }
        }
        meter.meter.finish()
        let location = try pinned.get()[0]
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

    func validate() throws {
        guard from.map({ RemoteLocation.Network(rawValue: $0) != nil }) ?? true else {
            throw ValidationError("--from is ipfs or arweave")
        }
    }

    func run() throws {
        let dir = global.dataDirectory
        let config = try remote.config(dataDirectory: dir.path)
        let (store, lock) = try dir.openStoreToChange("fetch-remote")
        defer { store.close(); withExtendedLifetime(lock) {} }
        let service = RemotePinService(store: store, identity: { try dir.loadIdentity() }, config: config,
                                       dataDirectory: dir.path)
        let meter = SendableMeter(meter: ProgressMeter(label: "downloading"))
        let fetched = try service.fetch(cid, from: from.flatMap(RemoteLocation.Network.init(rawValue:)),
                                        progress: meter.update) { location, error in
            Output.note("could not restore from \(location.network.rawValue): \(error)")
        }
        meter.meter.finish()
        switch fetched {
        case .bytes(let bytes, _):
            try write(bytes)
            Output.note("fetched \(bytes.count) bytes of \(cid); the CID matches")
        case .restored(let manifest, let location):
            if output != nil { try write(try store.readFile(cid)) }
            if global.json {
                Output.json(["cid": cid.description, "from": location.network.rawValue, "size": String(manifest.size)])
            } else {
                print("restored \(cid) (\(manifest.size) bytes) from \(location.network.rawValue); every CID matches")
            }
        }
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
