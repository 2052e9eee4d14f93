import Foundation

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
        public func json() throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: stdout) as? [String: Any] ?? [:]
        }
    }

    /// Runs nodectl to completion (bounded by `timeout` seconds).
    /// `directory`: the working directory (default: this process's).
    @discardableResult
    public static func run(_ arguments: [String], timeout: TimeInterval = 120, directory: String? = nil) throws -> Result {
        try run(program: binary, arguments, timeout: timeout, directory: directory)
    }

    /// Runs any program to completion (bounded by `timeout` seconds), with
    /// no standard input, draining its output as it runs.
    @discardableResult
    public static func run(program: String, _ arguments: [String], timeout: TimeInterval = 120,
                           directory: String? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.standardInput = FileHandle.nullDevice
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Drain both pipes while it runs so a large output cannot block it.
        nonisolated(unsafe) var outData = Data(), errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        group.wait()
        return Result(status: process.terminationStatus, stdout: outData, stderr: String(decoding: errData, as: UTF8.self))
    }
}
