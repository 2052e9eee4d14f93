import ContentStore
import Foundation
import Identity

/// The layout of a node's data directory.
struct DataDirectory {
    let path: String

    static func defaultPath() -> String {
        if let env = ProcessInfo.processInfo.environment["PEERNODE_DATA"], !env.isEmpty { return env }
        return NSHomeDirectory() + "/.peernode"
    }

    var identityFile: String { path + "/identity.json" }
    var storeDirectory: String { path + "/store" }

    func create() throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw CLIError("cannot create the data directory \(path): \(error.localizedDescription)")
        }
    }

    /// Writes `keys` as the node's identity (what `nodectl init` does).
    @discardableResult
    func createIdentity(_ keys: KeyPair) throws -> KeyPair {
        try create()
        try KeyFile.save(keys, path: identityFile)
        return keys
    }

    func loadIdentity() throws -> KeyPair {
        guard FileManager.default.fileExists(atPath: identityFile) else {
            throw CLIError("no identity in \(path); run `nodectl init --data-dir \(path)` first")
        }
        return try KeyFile.load(path: identityFile)
    }

    func openStore(config: StoreConfig = StoreConfig()) throws -> ChunkStore {
        try create()
        return try ChunkStore(directory: storeDirectory, config: config)
    }
}

/// A message for the user; printed as "Error: ..." with exit status 1.
/// `status`: the daemon's HTTP status, when the message is its answer.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    var status: Int?
    init(_ description: String, status: Int? = nil) {
        self.description = description
        self.status = status
    }
}
