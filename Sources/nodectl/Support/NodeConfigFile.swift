import Foundation
import Identity
import PeerNode

/// A node's config.json, updated field by field: the fields it does not
/// name stay as the operator wrote them.
struct NodeConfigFile {
    let path: String
    var fields: [String: Any]

    init(directory: String) throws {
        path = URL(fileURLWithPath: directory).appendingPathComponent("config.json").path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw CLIError("--config \(directory): no such data directory (make it with nodectl init)")
        }
        guard let data = FileManager.default.contents(atPath: path) else { fields = [:]; return }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw CLIError("\(path) is not a JSON object; fix or remove it first")
        }
        fields = object
    }

    /// Sets programId and chainRPC, checks the result is a valid node config, and writes it.
    func setProgram(_ id: Address, rpcURL: String) throws {
        var fields = self.fields
        fields["programId"] = id.base58
        fields["chainRPC"] = rpcURL
        let data = try JSONSerialization.data(withJSONObject: fields, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        do { try JSONDecoder().decode(NodeConfig.self, from: data).validate() } catch {
            throw CLIError("\(path) would not be a valid node config: \(error)")
        }
        guard FileManager.default.createFile(atPath: path, contents: data) else { throw CLIError("cannot write \(path)") }
    }
}
