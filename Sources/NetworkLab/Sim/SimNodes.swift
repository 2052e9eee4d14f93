import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The run's daemons by name, as they are now: a restart gives a node a new
/// process and API port, and the players and the progress line must follow.
/// Read by player threads while the fault thread replaces entries; guarded
/// by the lock, so `@unchecked Sendable` is safe.
final class SimNodes: @unchecked Sendable {
    private let lock = NSLock()
    private var nodes: [String: DemoNode] = [:]
    /// The plan's order (daemons of a group come up in any order).
    private let order: [String]
    private var down: Set<String> = []
    private var frozen: Set<String> = []
    /// /metrics counters of a node's earlier lives (they start at zero again after a restart).
    private var carried: [String: [String: UInt64]] = [:]

    init(order: [String]) { self.order = order }

    func add(_ node: DemoNode) {
        lock.withLock {
            nodes[node.name] = node
            down.remove(node.name)
        }
    }

    func node(_ name: String) throws -> DemoNode {
        guard let n = lock.withLock({ nodes[name] }) else { throw LabError("internal: no node \(name)") }
        return n
    }

    /// Those started, in the plan's order.
    var all: [DemoNode] { lock.withLock { order.compactMap { nodes[$0] } } }

    func markDown(_ name: String, carrying counters: [String: UInt64]) {
        lock.withLock {
            down.insert(name)
            for (k, v) in counters { carried[name, default: [:]][k, default: 0] += v }
        }
    }

    func setFrozen(_ name: String, _ isFrozen: Bool) {
        lock.withLock { if isFrozen { frozen.insert(name) } else { frozen.remove(name) } }
    }

    /// Nodes whose daemon runs and is not frozen.
    var upCount: Int { lock.withLock { nodes.count - down.union(frozen).count } }
    var count: Int { lock.withLock { nodes.count } }

    /// A counter over all of a node's lives.
    func counter(_ name: String, _ key: String, now: UInt64) -> UInt64 {
        now + lock.withLock { carried[name]?[key] ?? 0 }
    }
}
