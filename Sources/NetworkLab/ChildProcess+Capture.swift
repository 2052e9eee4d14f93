import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension ChildProcess {
    /// What a program run to completion said and how it ended.
    public struct Captured: Sendable {
        /// The exit status (128 + the signal that ended it).
        public let status: Int32
        public let stdout: Data
        public let stderr: String
    }

    /// Runs a program to completion with stdout and stderr kept apart and
    /// `input` (or nothing) on stdin. Through files, not pipes: a daemon the
    /// program starts may inherit a pipe and would keep it open forever.
    /// After `timeout` seconds it gets SIGTERM, then SIGKILL. `directory`:
    /// its working directory (through `env -C`, which execs the program in
    /// place: Glibc's module does not export posix_spawn's chdir action).
    public static func capture(_ executable: String, _ arguments: [String], input: String? = nil,
                               timeout: Double = 120, directory: String? = nil) throws -> Captured {
        let base = NSTemporaryDirectory() + "capture-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let (inPath, outPath, errPath) = (base + ".in", base + ".out", base + ".err")
        defer { for p in [inPath, outPath, errPath] { try? FileManager.default.removeItem(atPath: p) } }
        if let input {
            guard FileManager.default.createFile(atPath: inPath, contents: Data(input.utf8)) else {
                throw LabError("cannot create \(inPath)")
            }
        }
        let name = URL(fileURLWithPath: executable).lastPathComponent
        let (program, argv) = directory.map { ("/usr/bin/env", ["-C", $0, executable] + arguments) } ?? (executable, arguments)
        let child = try spawn(name, program, argv, stdin: input == nil ? "/dev/null" : inPath,
                              stdout: outPath, stderr: errPath)
        if child.wait(timeout: timeout) == nil { child.stop(signal: SIGTERM, grace: 10) }
        let status = child.exitStatus ?? -1
        let stdout = FileManager.default.contents(atPath: outPath) ?? Data()
        let stderr = String(decoding: FileManager.default.contents(atPath: errPath) ?? Data(), as: UTF8.self)
        return Captured(status: status, stdout: stdout, stderr: stderr)
    }
}
