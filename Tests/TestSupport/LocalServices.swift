import Foundation
import NetworkLab
#if canImport(Glibc)
import Glibc
#endif

/// Starts and stops the project's local test services (localipfs,
/// localarweave) on free loopback ports, each in its own temporary folder.
/// Shared by every test that needs them; each test class starts its own
/// instances in `setUp` (class-level) and stops them in `tearDown`.
public enum LocalServices {
    /// The repository root: the folder with localipfs/ in it.
    public static let repoRoot = Localnet.repositoryRoot.path

    public static var venvReady: Bool {
        FileManager.default.isExecutableFile(atPath: repoRoot + "/.venv/bin/python")
    }

    /// One running service.
    public final class Service: @unchecked Sendable {  // immutable after init; stop() is idempotent
        public let name: String
        public let script: String
        public let stateDir: String
        public let port: Int
        public var baseURL: String { "http://127.0.0.1:\(port)" }

        init(name: String, script: String, extraArgs: [String]) throws {
            self.name = name
            self.script = script
            stateDir = NSTemporaryDirectory() + "remotepin-\(name)-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: stateDir, withIntermediateDirectories: true)
            // --exit-with: the service stops by itself if this test process dies.
            let (status, output) = LocalServices.run(script, ["start", "--port", "0", "--repo", stateDir,
                                                              "--exit-with", "\(getpid())"] + extraArgs)
            guard status == 0 else {
                let log = (try? String(contentsOfFile: stateDir + "/\(name).log", encoding: .utf8)) ?? ""
                try? FileManager.default.removeItem(atPath: stateDir)
                throw serviceStartFailure("\(name) did not start (exit \(status)): \(output)\n\(log.suffix(2000))")
            }
            let portText = (try? String(contentsOfFile: stateDir + "/\(name).port", encoding: .utf8)) ?? ""
            guard let port = Int(portText.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                _ = LocalServices.run(script, ["stop", "--repo", stateDir])
                try? FileManager.default.removeItem(atPath: stateDir)
                throw serviceStartFailure("\(name) started but wrote no port file in \(stateDir)")
            }
            self.port = port
        }

        public func stop() {
            _ = LocalServices.run(script, ["stop", "--repo", stateDir])
            try? FileManager.default.removeItem(atPath: stateDir)
        }
    }

    /// localipfs with a bearer token and short time-outs, so "not found" cases end quickly.
    public static func startIPFS(token: String = "test-token", pinTimeout: Double = 4, fetchTimeout: Double = 3,
                          rpcToken: String? = nil) throws -> Service {
        try Service(name: "localipfs", script: repoRoot + "/localipfs/localipfs",
                    extraArgs: ["--token", token, "--pin-timeout", "\(pinTimeout)", "--fetch-timeout", "\(fetchTimeout)"]
                        + (rpcToken.map { ["--rpc-token", $0] } ?? []))
    }

    public static func startArweave() throws -> Service {
        try Service(name: "localarweave", script: repoRoot + "/localarweave/localarweave", extraArgs: [])
    }

    /// Runs a program to completion through NetworkLab's spawner (the
    /// services' start waits at most 60 s; this bound is beyond it).
    public static func run(_ program: String, _ args: [String]) -> (Int32, String) {
        do {
            let r = try ChildProcess.capture(program, args, timeout: 180, directory: repoRoot)
            return (r.status, String(decoding: r.stdout, as: UTF8.self) + r.stderr)
        } catch {
            return (-1, "cannot run \(program): \(error)")
        }
    }

    /// A free TCP port on 127.0.0.1 with nothing listening (for "unreachable" cases).
    public static func closedPort() -> Int {
        (try? Localnet.freePort()) ?? 9  // 9 (discard): nothing listens there either
    }
}

/// The services are part of the repo (./bootstrap installs their venv): a
/// missing venv is a setup error, reported as a failure with the fix.
public func serviceStartFailure(_ message: String) -> Error {
    struct ServiceError: Error, CustomStringConvertible { let description: String }
    if !LocalServices.venvReady {
        return ServiceError(description: "\(message)\nThe local services need the repo's .venv: run ./bootstrap "
                            + "(or python3 -m venv .venv && .venv/bin/pip install -r requirements.txt)")
    }
    return ServiceError(description: message)
}

/// Deterministic pseudo-random bytes (xorshift), so failures reproduce.
public func pseudoRandomBytes(_ count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
    var x = seed
    var out = [UInt8](repeating: 0, count: count)
    var i = 0
    while i < count {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17
        var v = x
        for _ in 0..<8 where i < count {
            out[i] = UInt8(truncatingIfNeeded: v)
            v >>= 8
            i += 1
        }
    }
    return out
}
