import Foundation
import Identity
import PeerNode

/// The demo's daemons: a data directory each with a fresh identity (what
/// `nodectl init` writes) and a config.json, run as `nodectl daemon`
/// child processes of this same executable.
enum DemoNetwork {
    /// This executable, to run the daemons with.
    static var executable: String { RepositoryFiles.executable }

    /// A fresh identity in a new data directory (0700), what `nodectl init` writes.
    static func createIdentity(in directory: String) throws -> KeyPair {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw LabError("cannot create the data directory \(directory): \(error.localizedDescription)")
        }
        let keys = KeyPair.generate()
        try KeyFile.save(keys, path: directory + "/identity.json")
        return keys
    }

    /// Writes the node's config.json, starts its daemon (NetworkLab's
    /// `DaemonHandle`, in the run's process group) and waits until its API
    /// answers; the daemon's log is `log`. `restart`: the same node again
    /// after a kill (the handle appends to its log and removes the api.json
    /// a killed daemon left behind, so the wait is for the new one).
    static func start(name: String, role: DemoRole, directory: String, config: NodeConfig, log: String,
                      processes: ProcessGroup, timeout: Double, restart: Bool = false) throws -> DemoNode {
        do { try config.save(path: directory + "/config.json") } catch {
            throw LabError("cannot write \(directory)/config.json: \(error)")
        }
        let daemon = DaemonHandle(name: name, dataDirectory: directory, logPath: log, executable: executable)
        daemon.stopsWhenReleased = false
        try daemon.start(timeout: timeout, group: processes)
        let address = try KeyFile.load(path: directory + "/identity.json").address
        guard daemon.address == address.base58 else {
            throw LabFailure("\(name)'s daemon says it is \(daemon.address), but its identity file says \(address)")
        }
        return DemoNode(name: name, role: role, dataDirectory: directory, address: address, config: config,
                        client: daemon.client, gossipPeer: daemon.bootstrapEntry, log: log, pid: daemon.process?.pid ?? 0)
    }
}
