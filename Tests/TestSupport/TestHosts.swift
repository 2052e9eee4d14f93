import Foundation
import NetworkLab

/// Hosts of the project's own on one machine (shared/notes/test-hosts.md):
/// a network namespace per host, each with a veth into one bridge and an
/// address in a private /24 chosen for this run. Needs root (CI runs as
/// root). Made by the test that uses them and removed by `remove()` (also
/// when the test fails); traffic goes only between these hosts.
public final class TestHosts: @unchecked Sendable {  // names fixed at init; remove() is idempotent under the lock
    /// Whether this process may make namespaces (root, with iproute2).
    public static var available: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: ip)
    }

    static let ip = "/usr/sbin/ip"

    /// Short and unique per run: interface names are at most 15 bytes.
    public let tag: String
    public let bridge: String
    /// 10.A.B: the hosts are 10.A.B.1 ... 10.A.B.n.
    public let subnet: String
    public let count: Int
    private let lock = NSLock()
    private var removed = false

    public init(count: Int) throws {
        precondition((1...50).contains(count))
        let id = UInt32.random(in: 0...0xffff)
        tag = "pn" + String(id, radix: 16)
        bridge = "br-" + tag
        subnet = "10.\(200 + Int(getpid() % 50)).\(Int(id % 250) + 1)"
        self.count = count
        do {
            try Self.ip(["link", "add", bridge, "type", "bridge"])
            try Self.ip(["link", "set", bridge, "up"])
            for i in 1...count {
                let ns = name(i), veth = "v-\(tag)-\(i)"
                try Self.ip(["netns", "add", ns])
                try Self.ip(["link", "add", veth, "type", "veth", "peer", "name", "e0", "netns", ns])
                try Self.ip(["link", "set", veth, "master", bridge, "up"])
                try Self.ip(["netns", "exec", ns, Self.ip, "addr", "add", address(i) + "/24", "dev", "e0"])
                try Self.ip(["netns", "exec", ns, Self.ip, "link", "set", "e0", "up"])
                try Self.ip(["netns", "exec", ns, Self.ip, "link", "set", "lo", "up"])
            }
        } catch {
            remove()
            throw error
        }
    }

    /// The namespace of host `i` (from 1).
    public func name(_ i: Int) -> String { "\(tag)-h\(i)" }
    /// Host `i`'s address on the bridge.
    public func address(_ i: Int) -> String { "\(subnet).\(i)" }

    /// `program arguments` inside host `i`, to completion (bounded).
    @discardableResult
    public func run(on i: Int, _ program: String, _ arguments: [String], timeout: TimeInterval = 120) throws -> NodectlProcess.Result {
        try NodectlProcess.run(program: Self.ip, ["netns", "exec", name(i), program] + arguments, timeout: timeout)
    }

    /// A long-running process inside host `i` (`ip netns exec` becomes the
    /// program, so signals reach it); its output goes to `log`.
    public func start(on i: Int, _ program: String, _ arguments: [String], log: String) throws -> ChildProcess {
        try ChildProcess.spawn(name(i), Self.ip, ["netns", "exec", name(i), program] + arguments, log: log, appendLog: true)
    }

    /// Cuts host `i` off from host `j` (a blackhole route inside `i`).
    public func partition(_ i: Int, from j: Int) throws {
        try Self.ip(["netns", "exec", name(i), Self.ip, "route", "add", "blackhole", address(j) + "/32"])
    }

    public func heal(_ i: Int, from j: Int) throws {
        try Self.ip(["netns", "exec", name(i), Self.ip, "route", "del", "blackhole", address(j) + "/32"])
    }

    /// Removes the namespaces (and the processes' links with them) and the bridge.
    public func remove() {
        let first = lock.withLock { () -> Bool in
            defer { removed = true }
            return !removed
        }
        guard first else { return }
        for i in 1...count { _ = try? NodectlProcess.run(program: Self.ip, ["netns", "del", name(i)], timeout: 30) }
        _ = try? NodectlProcess.run(program: Self.ip, ["link", "del", bridge], timeout: 30)
    }

    deinit { remove() }

    private static func ip(_ arguments: [String]) throws {
        let result = try NodectlProcess.run(program: ip, arguments, timeout: 30)
        guard result.status == 0 else {
            throw TestHostsError("ip \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.stderr)")
        }
    }
}

public struct TestHostsError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
