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

    /// Writes the node's config.json, starts its daemon and waits until its
    /// API answers; the daemon's log is `log`. `restart`: the same node
    /// again after a kill (its log continues; the api.json a killed daemon
    /// left behind is removed first, so the wait is for the new one).
    static func start(name: String, role: DemoRole, directory: String, config: NodeConfig, log: String,
                      processes: ProcessGroup, timeout: Double, restart: Bool = false) throws -> DemoNode {
        do { try config.save(path: directory + "/config.json") } catch {
            throw LabError("cannot write \(directory)/config.json: \(error)")
        }
        if restart { try? FileManager.default.removeItem(atPath: directory + "/api.json") }
        let process = try processes.start(name, executable, ["daemon", "--data-dir", directory], log: log, appendLog: restart)
        let client = try waitForValue("\(name)'s daemon to write api.json", timeout: timeout) { () throws -> NodeClient? in
            if let status = process.exitStatus {
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                throw LabFailure("\(name)'s daemon exited with status \(status): \(text.suffix(800))")
            }
            guard FileManager.default.fileExists(atPath: directory + "/api.json") else { return nil }
            return try NodeClient(dataDirectory: directory)
        }
        let probe = DemoNode(name: name, role: role, dataDirectory: directory, address: try KeyFile.load(path: directory + "/identity.json").address,
                             config: config, client: client, gossipPeer: "", log: log, pid: process.pid)
        let id: APIServer.Identity = try waitForValue("\(name)'s API to answer", timeout: timeout) { try probe.get("/v1/id") }
        guard id.address == probe.address.base58 else {
            throw LabFailure("\(name)'s daemon says it is \(id.address), but its identity file says \(probe.address)")
        }
        return DemoNode(name: name, role: role, dataDirectory: directory, address: probe.address, config: config,
                        client: client, gossipPeer: "\(id.address)@\(id.gossip)", log: log,
                        pid: process.pid)
    }
}
