import Foundation
import Identity
import NetworkLab
import PayChannel
#if canImport(Glibc)
import Glibc
import Solana
#endif

/// Starts the repository's localnet (localnet/localnet) on a free loopback
/// port with a temporary ledger, once per test process, and deploys the
/// payment-channel program through the upgradeable loader. The localnet is
/// told to exit with this process, so it never outlives the test run.
public actor Localnet {
    public static let shared = Localnet()

    /// A localnet of one's own (a test that stops it must not stop the shared one).
    public init() {}

    public struct Running: Sendable {
        public let url: String
        public let port: Int
        public let ledger: String
        public let rpc: SolanaRPC
        /// The lab's handle (deploy, airdrop, stop).
        public let localnet: LocalnetProcess
    }

    public struct Deployed: Sendable {
        public let net: Running
        public let programId: Address
        public let client: ChannelClient
        /// Bytes of programs/out/paychannel.so.
        public let programSize: Int
    }

    private var running: Task<Running, any Error>?
    private var deployed: Task<Deployed, any Error>?

    /// The repository root (this file is Tests/TestSupport/Localnet.swift).
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static var python: String {
        let venv = repositoryRoot.appendingPathComponent(".venv/bin/python").path
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : "/usr/bin/python3"
    }

    public func start() async throws -> Running {
        if let running { return try await running.value }
        let task = Task { try await Self.launch() }
        running = task
        return try await task.value
    }

    /// Localnet with the channel program deployed by a funded deployer.
    public func deployProgram() async throws -> Deployed {
        if let deployed { return try await deployed.value }
        let net = try await start()
        let task = Task { () throws -> Deployed in
            let elf = try Self.programBytes()
            // Made final, as payees require (and the shared program must not change under other tests).
            let id = try await net.localnet.deploy(elf: elf, deployerLamports: 100 * WellKnown.lamportsPerSol)
            return Deployed(net: net, programId: id, client: ChannelClient(rpc: net.rpc, programId: id),
                            programSize: elf.count)
        }
        deployed = task
        return try await task.value
    }

    /// programs/out/paychannel.so, built by programs/build when missing or stale.
    public static func programBytes() throws -> [UInt8] {
        let source = repositoryRoot.appendingPathComponent("programs/paychannel.c").path
        let linker = repositoryRoot.appendingPathComponent("programs/link.py").path
        let output = repositoryRoot.appendingPathComponent("programs/out/paychannel.so").path
        let fm = FileManager.default
        func modified(_ p: String) -> Date? { (try? fm.attributesOfItem(atPath: p))?[.modificationDate] as? Date }
        if let out = modified(output), let src = modified(source), let ld = modified(linker), out >= src, out >= ld {
            // up to date
        } else {
            try run(repositoryRoot.appendingPathComponent("programs/build").path, [])
        }
        return Array(try Data(contentsOf: URL(fileURLWithPath: output)))
    }

    /// The program as it was at a git revision of this repository (built by
    /// programs/build into a temporary folder): to upgrade an older program in place.
    public static func programBytes(atRevision revision: String) throws -> [UInt8] {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("program-\(revision)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let source = try run("/usr/bin/git", ["-C", repositoryRoot.path, "show", "\(revision):programs/paychannel.c"])
        guard FileManager.default.createFile(atPath: dir + "/paychannel.c", contents: Data(source.utf8)) else {
            throw TestSupportError.failed("cannot write \(dir)/paychannel.c")
        }
        try run(repositoryRoot.appendingPathComponent("programs/build").path, [dir + "/paychannel.c", dir])
        return Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/paychannel.so")))
    }

    /// A free TCP port on 127.0.0.1 (bind to port 0, read it back, release it).
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError.failed("socket() failed") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard bound else { throw TestSupportError.failed("bind() on 127.0.0.1 failed") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    static func launch() async throws -> Running {
        let name = "localnet-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let ledger = FileManager.default.temporaryDirectory.appendingPathComponent(name).path
        let log = ledger + ".start.log"
        defer { try? FileManager.default.removeItem(atPath: log) }
        let net = try LocalnetProcess.start(script: localnetScript, ledger: ledger, exitWith: getpid(), log: log)
        return Running(url: net.url, port: net.port, ledger: ledger, rpc: net.rpc, localnet: net)
    }

    static var localnetScript: String { RepositoryFiles.localnetScript(repositoryRoot.path) }

    /// Stops the shared localnet (normally unnecessary: it exits with the test process).
    public func stop() async throws {
        guard let running else { return }
        let net = try await running.value
        let log = net.ledger + ".stop.log"
        defer { try? FileManager.default.removeItem(atPath: log) }
        try net.localnet.stop(log: log)
        self.running = nil
        self.deployed = nil
    }

    /// Runs a command to completion (NetworkLab's spawner, bounded by
    /// `timeout`); throws with its output when it fails.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], input: String? = nil,
                           timeout: Double = 300) throws -> String {
        let r = try ChildProcess.capture(executable, arguments, input: input, timeout: timeout)
        let text = String(decoding: r.stdout, as: UTF8.self) + r.stderr
        guard r.status == 0 else {
            throw TestSupportError.failed("\(executable) \(arguments.joined(separator: " ")) exited \(r.status): \(text)")
        }
        return text
    }
}

public enum TestSupportError: Error, CustomStringConvertible {
    case failed(String)
    public var description: String {
        switch self { case .failed(let s): return s }
    }
}
