import Foundation
import NetworkLab

/// Runs the built `nodectl` binary (or any program) as a separate process,
/// as users do. Shared by every test target that drives processes.
public struct NodectlProcess {
    /// The nodectl binary beside the test bundle in the build folder.
    public static let binary: String = {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if dir.lastPathComponent == "MacOS" { dir = dir.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }
        return dir.appendingPathComponent("nodectl").path
    }()

    public struct Result {
        public let status: Int32
        public let stdout: Data
        public let stderr: String
        public var text: String { String(decoding: stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
        /// Stdout as a JSON object: for nodectl's own offline answers (`ls`,
        /// `chain ...`), which are no daemon's API types. A daemon's answer is
        /// read with `decode(as:)` as its type.
        public func json() throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: stdout) as? [String: Any] ?? [:]
        }

        /// Stdout as JSON of type `T` (a daemon's answer that nodectl printed with `--json`, say).
        public func decode<T: Decodable>(as type: T.Type) throws -> T {
            try NodeClient.decode(stdout, "the program's output", as: type)
        }
    }

    /// Runs nodectl to completion (bounded by `timeout` seconds).
    @discardableResult
    /// `directory`: the working directory (default: this process's).
    public static func run(_ arguments: [String], timeout: TimeInterval = 120, directory: String? = nil) throws -> Result {
        try run(program: binary, arguments, timeout: timeout, directory: directory)
    }

    /// Runs any program to completion (bounded by `timeout` seconds), with
    /// no standard input, through NetworkLab's one spawner.
    @discardableResult
    public static func run(program: String, _ arguments: [String], timeout: TimeInterval = 120,
                           directory: String? = nil) throws -> Result {
        let r = try ChildProcess.capture(program, arguments, timeout: timeout, directory: directory)
        return Result(status: r.status, stdout: r.stdout, stderr: r.stderr)
    }
}
