import Foundation
import NetworkLab

extension NodeClient {
    /// The daemon of nodectl's data directory (its api.json and api.token).
    init(dataDirectory: DataDirectory) throws {
        try self.init(dataDirectory: dataDirectory.path)
    }

    /// A call with a JSON object built from command-line options as its body.
    func call(_ method: String, _ path: String, body: [String: Any]) throws -> Data {
        try call(method, path, body: try JSONSerialization.data(withJSONObject: body))
    }
}

/// Prints a daemon's JSON answer as is (for --json).
func printRaw(_ data: Data) {
    FileHandle.standardOutput.write(data)
    FileHandle.standardOutput.write(Data("\n".utf8))
}
