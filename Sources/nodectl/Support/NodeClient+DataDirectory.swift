import Foundation
import NetworkLab

extension NodeClient {
    /// The daemon of nodectl's data directory (its api.json and api.token).
    init(dataDirectory: DataDirectory) throws {
        try self.init(dataDirectory: dataDirectory.path)
    }
}

/// Prints a daemon's JSON answer as is (for --json).
func printRaw(_ data: Data) {
    FileHandle.standardOutput.write(data)
    FileHandle.standardOutput.write(Data("\n".utf8))
}
